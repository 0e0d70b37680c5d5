"""A SQLite journal that makes a bulk capture run safe to repeat after a crash.

The one rule: a capture's ``request_id`` is on disk before any byte of the capture is sent. A
re-run then replays every order that was in flight, or whose answer was lost, under the request_id
it was first sent with; PayerMax deduplicates by request_id, so the replay answers with the
original capture instead of making a second one. Orders with a definite outcome are not sent again.

Rows are keyed by ``out_trade_no`` because PayerMax allows one capture per authorization. The file
is in WAL mode with a busy timeout, so several worker processes can share it; each process writes
only its own orders. Writes are batched (one transaction per batch of reservations or outcomes)
since SQLite's commit, not the insert, is what costs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Literal

from ..errors import JournalError
from ..validation import new_request_id
from .guard import JournalIdentity, RunLock, check_identity, refuse_unusable_file
from .rows import (
    DONE_STATES,
    Claim,
    EntryState,
    JournalEntry,
    Record,
    Reservation,
    Verdict,
    entry_from_row,
)

__all__ = [
    "DONE_STATES",
    "Claim",
    "EntryState",
    "Journal",
    "JournalEntry",
    "JournalError",
    "Record",
    "Reservation",
    "Verdict",
]

SCHEMA_VERSION = 1
_MAX_PARAMS = 500  # well under SQLite's smallest variable limit (999 before 3.32)


_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

_COLUMNS = (
    "out_trade_no, request_id, amount, currency, state, run_id, sends, capture_no, result, "
    "error_class, error_code, error_message, updated_at"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    out_trade_no  TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL,
    amount        TEXT NOT NULL,
    currency      TEXT NOT NULL,
    state         TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    sends         INTEGER NOT NULL DEFAULT 1,
    capture_no    TEXT,
    result        BLOB,
    error_class   TEXT,
    error_code    TEXT,
    error_message TEXT,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS captures_state ON captures(state);
"""

_DONE_SQL = ", ".join(f"'{s.value}'" for s in sorted(DONE_STATES))


class Journal:
    """The journal file. Its methods are blocking and must not be called from two threads at once.

    The async bulk engine runs them on one dedicated thread; a script may call them directly.
    ``synchronous="FULL"`` (the default) fsyncs every commit, so a reservation survives a power
    cut as well as a killed process; ``"NORMAL"`` survives a killed process only.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout: float = 30.0,
        identity: JournalIdentity | None = None,
        owner: bool = True,
    ) -> None:
        """``identity``: whose captures these are; a journal stamped with another is refused.
        ``owner``: this process runs the run, so it takes the run lock (one run at a time) and
        keeps the copy check's token; a run's worker processes open the journal with ``False``."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be 'FULL' or 'NORMAL'")
        self.path = os.fspath(path)
        self._closed = True
        self._lock = RunLock(self.path) if owner else None
        existed = os.path.exists(self.path)
        had_wal = refuse_unusable_file(self.path)
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            self._release()
            raise JournalError(f"cannot open journal {self.path!r}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._migrate(existed, had_wal, identity)
            if self._lock is not None:
                self._db.execute("PRAGMA wal_checkpoint(FULL)")  # the open marker into the main file
        except sqlite3.Error as exc:
            self._db.close()
            self._release()
            raise JournalError(f"cannot use journal {self.path!r}: {exc}") from exc
        except BaseException:
            self._db.close()
            self._release()
            raise
        self._closed = False

    def _migrate(self, existed: bool, had_wal: bool, identity: JournalIdentity | None) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self.path!r} has schema {version}; this version reads {SCHEMA_VERSION}"
                )
            if version == 0 and existed and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise JournalError(f"{self.path!r} is an SQLite database but not a journal; refusing it")
            if version < SCHEMA_VERSION:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute(_META)
            if identity is not None:
                check_identity(db, self.path, identity)
            if self._lock is not None:
                self._mark_open(had_wal)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _mark_open(self, had_wal: bool) -> None:
        """Refuse a file copied without its ``-wal``, then mark this run open.

        While a run is open the main file carries its token (checkpointed), and so does the lock
        file beside it. Finding a token with no ``-wal`` beside the file and no matching lock file
        means the file was moved or copied without the WAL that holds its latest reservations.
        """
        assert self._lock is not None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'open_run'").fetchone()
        if row and row[0] and not had_wal and self._lock.read_token() != row[0]:
            raise JournalError(
                f"journal {self.path!r} was left open by a run and its -wal file is not beside it (copied "
                "or moved without it?): its latest reservations may be missing, so it is refused"
            )
        token = uuid.uuid4().hex
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('open_run', ?)", (token,))
        self._lock.write_token(token)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    # ------------------------------------------------------------------ writing

    def reserve(self, claims: Sequence[Claim], run_id: str) -> list[Reservation]:
        """Decide each claim and make the decision durable, in one transaction.

        New orders get a request_id (the claim's own, or a fresh one) recorded as ``sending``
        before this returns; only then may the caller send them.
        """
        if not claims:
            return []
        now = time.time()
        with self._writing() as db:
            known: dict[str, JournalEntry] = {}
            keys = list(dict.fromkeys(c.out_trade_no for c in claims))
            for start in range(0, len(keys), _MAX_PARAMS):
                chunk = keys[start : start + _MAX_PARAMS]
                marks = ",".join("?" * len(chunk))
                for row in db.execute(
                    f"SELECT {_COLUMNS} FROM captures WHERE out_trade_no IN ({marks})", chunk
                ):
                    found = entry_from_row(row)
                    known[found.out_trade_no] = found
            inserts: list[tuple[object, ...]] = []
            resends: list[tuple[object, ...]] = []
            touches: list[tuple[object, ...]] = []
            claimed: dict[str, str] = {}  # out_trade_no -> request_id, claimed in this batch
            out: list[Reservation] = []
            for claim in claims:
                otn = claim.out_trade_no
                entry = known.get(otn)
                earlier = claimed.get(otn)
                if earlier is not None:
                    out.append(Reservation(Verdict.DUPLICATE, earlier, entry))
                elif entry is None:
                    rid = claim.request_id or new_request_id()
                    inserts.append((otn, rid, claim.amount, claim.currency, run_id, now, now))
                    claimed[otn] = rid
                    out.append(Reservation(Verdict.SEND, rid))
                elif entry.run_id == run_id:  # claimed by an earlier batch of this run
                    out.append(Reservation(Verdict.DUPLICATE, entry.request_id, entry))
                elif (
                    entry.amount != claim.amount
                    or entry.currency != claim.currency
                    or (claim.request_id is not None and claim.request_id != entry.request_id)
                ):
                    out.append(Reservation(Verdict.CONFLICT, entry.request_id, entry))
                else:
                    claimed[otn] = entry.request_id
                    if entry.state in DONE_STATES:
                        touches.append((run_id, otn))
                        out.append(Reservation(Verdict.DONE, entry.request_id, entry))
                    else:
                        resends.append((run_id, now, otn))
                        out.append(Reservation(Verdict.RESEND, entry.request_id, entry))
            if inserts:
                db.executemany(
                    "INSERT INTO captures (out_trade_no, request_id, amount, currency, state, run_id, "
                    "sends, created_at, updated_at) VALUES (?, ?, ?, ?, 'sending', ?, 1, ?, ?)",
                    inserts,
                )
            if resends:
                db.executemany(
                    "UPDATE captures SET state = 'sending', run_id = ?, sends = sends + 1, "
                    "updated_at = ? WHERE out_trade_no = ?",
                    resends,
                )
            if touches:
                # Marks the order as claimed by this run, so a second line for it is a duplicate.
                db.executemany("UPDATE captures SET run_id = ? WHERE out_trade_no = ?", touches)
        return out

    def record(self, records: Sequence[Record]) -> None:
        """Write outcomes. A done row is never overwritten: its outcome was already definite."""
        if not records:
            return
        now = time.time()
        with self._writing() as db:
            db.executemany(
                "UPDATE captures SET state = ?, capture_no = ?, result = ?, error_class = ?, "
                "error_code = ?, error_message = ?, updated_at = ? "
                f"WHERE out_trade_no = ? AND request_id = ? AND state NOT IN ({_DONE_SQL})",
                [_record_row(r, now) for r in records],
            )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed at the end; anything raised rolls it back, and a
        database error comes out as a JournalError."""
        if self._closed:
            raise JournalError("journal is closed")
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now; waits up to busy_timeout
        except sqlite3.OperationalError as exc:
            raise JournalError(f"journal {self.path!r} is not writable: {exc}") from exc
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            _rollback(db)
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f"journal {self.path!r}: {exc}") from exc
            raise

    # ------------------------------------------------------------------ reading

    def get(self, out_trade_no: str) -> JournalEntry | None:
        with self._reading():
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM captures WHERE out_trade_no = ?", (out_trade_no,)
            ).fetchone()
        return None if row is None else entry_from_row(row)

    def entries(self, state: EntryState | None = None) -> Iterator[JournalEntry]:
        """Every row (or those in ``state``), in out_trade_no order, fetched lazily."""
        with self._reading():
            if state is None:
                cursor = self._db.execute(f"SELECT {_COLUMNS} FROM captures ORDER BY out_trade_no")
            else:
                cursor = self._db.execute(
                    f"SELECT {_COLUMNS} FROM captures WHERE state = ? ORDER BY out_trade_no",
                    (EntryState(state).value,),
                )
            for row in cursor:
                yield entry_from_row(row)

    def counts(self) -> dict[EntryState, int]:
        with self._reading():
            found = dict(self._db.execute("SELECT state, COUNT(*) FROM captures GROUP BY state").fetchall())
        return {s: int(found.get(s.value, 0)) for s in EntryState}

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged or vanished file is a JournalError, never a raw sqlite3 exception."""
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read journal {self.path!r}: {exc}") from exc

    # ------------------------------------------------------------------ lifecycle

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                if self._lock is not None:  # a clean end: no open run to vouch for any more
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("UPDATE meta SET value = '' WHERE key = 'open_run'")
            finally:
                self._db.close()
                self._release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"


def _record_row(r: Record, now: float) -> tuple[object, ...]:
    return (
        r.state.value,
        r.capture_no,
        r.result,
        r.error_class,
        r.error_code,
        r.error_message,
        now,
        r.out_trade_no,
        r.request_id,
    )


def _rollback(db: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # the transaction may already be gone
        db.execute("ROLLBACK")
