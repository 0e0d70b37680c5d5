"""Bulk capture on PostgreSQL: one queue, a fleet of workers, each order captured exactly once.

The SQLite journal's contract, spread over machines:

* ``enqueue`` writes each order with its ``request_id`` (fixed there, once; idempotent per
  ``out_trade_no``) and its job in one transaction, so an order is never queued without its id
  nor recorded without a job;
* a worker claims jobs with pgqueuer (``FOR UPDATE SKIP LOCKED``), marks the order ``sending``
  and captures it under the stored id;
* a worker that dies stops heartbeating its claims; after ``heartbeat_timeout`` another worker
  re-claims them and replays the same request_id, which PayerMax deduplicates;
* the orders table, not the job queue, is the record: ``status`` and ``outcomes`` read it, and
  ``requeue`` puts back every order that is neither captured nor failed.

The workers are in :mod:`postgres_worker`; the fleet-wide limit in :mod:`fleet` (seats) and
:mod:`adaptive` (the AIMD value the seats follow).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass

import psycopg
from pgqueuer import PsycopgDriver, Queries
from psycopg.rows import TupleRow

from ..validation import check_amount, check_currency, check_id, new_request_id
from .codec import EncodedOutcome, decode_outcome
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus

__all__ = ["ENTRYPOINT", "FINAL", "CaptureQueue", "EnqueueReport", "OutcomeRow"]

ENTRYPOINT = "payermax_capture"
FINAL = ("captured", "failed")
_CHUNK = 1000
_STATUS = {s.value: s for s in OutcomeStatus}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payermax_captures (
    out_trade_no  text PRIMARY KEY,
    request_id    text NOT NULL UNIQUE,
    amount        text NOT NULL,
    currency      text NOT NULL,
    batch         text NOT NULL,
    state         text NOT NULL DEFAULT 'queued',
    sends         integer NOT NULL DEFAULT 0,
    capture_no    text,
    result        jsonb,
    error_class   text,
    error_code    text,
    error_message text,
    worker        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payermax_captures_batch_state ON payermax_captures (batch, state);
"""


@dataclass(frozen=True, slots=True)
class EnqueueReport:
    queued: int = 0
    already: int = 0  # same order, same amount and currency: nothing to do
    conflicts: tuple[str, ...] = ()  # same out_trade_no with another amount, currency or request_id


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    out_trade_no: str
    request_id: str
    amount: str
    currency: str
    state: str
    sends: int
    capture_no: str | None
    error_code: str | None
    error_message: str | None


def _normalise(item: CaptureItem) -> tuple[str, str, str, str | None]:
    otn = check_id(item.out_trade_no, "out_trade_no")
    currency = check_currency(item.currency)
    amount = check_amount(item.amount, currency)
    rid = None if item.request_id is None else check_id(item.request_id, "request_id", strict_charset=False)
    return otn, str(amount), currency, rid


class CaptureQueue:
    """The orders table and its job queue, on one autocommit connection."""

    def __init__(self, conn: psycopg.AsyncConnection[TupleRow], *, entrypoint: str = ENTRYPOINT) -> None:
        if not conn.autocommit:
            raise ValueError("CaptureQueue needs an autocommit connection")
        self.conn = conn
        self.entrypoint = entrypoint
        self.queries = Queries(PsycopgDriver(conn))

    @classmethod
    async def connect(cls, dsn: str, **kwargs: str) -> CaptureQueue:
        return cls(await psycopg.AsyncConnection.connect(dsn, autocommit=True), **kwargs)

    async def close(self) -> None:
        await self.conn.close()

    async def install(self) -> None:
        """Create pgqueuer's tables (once) and ours; safe to call from every worker."""
        async with self.conn.transaction():
            await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('payermax_capture_install'))")
            cur = await self.conn.execute("SELECT to_regclass('pgqueuer') IS NOT NULL")
            row = await cur.fetchone()
            if not (row and row[0]):
                await self.queries.install()
            await self.conn.execute(_SCHEMA)

    async def enqueue(self, items: Iterable[CaptureItem], *, batch: str = "default") -> EnqueueReport:
        """Record and queue orders; an order already recorded is not queued again (idempotent).

        Bad input raises ``InvalidRequestError`` before anything is written for its chunk.
        """
        queued = already = 0
        conflicts: list[str] = []
        chunk: list[tuple[str, str, str, str | None]] = []
        for item in items:
            chunk.append(_normalise(item))
            if len(chunk) == _CHUNK:
                q, a, c = await self._enqueue_chunk(chunk, batch)
                queued, already, conflicts = queued + q, already + a, conflicts + c
                chunk = []
        if chunk:
            q, a, c = await self._enqueue_chunk(chunk, batch)
            queued, already, conflicts = queued + q, already + a, conflicts + c
        return EnqueueReport(queued, already, tuple(conflicts))

    async def _enqueue_chunk(
        self, chunk: list[tuple[str, str, str, str | None]], batch: str
    ) -> tuple[int, int, list[str]]:
        rows = [(otn, rid or new_request_id(), amount, cur) for otn, amount, cur, rid in chunk]
        async with self.conn.transaction():
            cur = await self.conn.execute(
                "INSERT INTO payermax_captures (out_trade_no, request_id, amount, currency, batch) "
                "SELECT o, r, a, c, %s "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS t(o, r, a, c) "
                "ON CONFLICT DO NOTHING RETURNING out_trade_no",
                (
                    batch,
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                ),
            )
            new = {str(r[0]) for r in await cur.fetchall()}
            fresh = [r[0] for r in rows if r[0] in new]
            await self._enqueue(fresh)
            old = {r[0]: r for r in rows if r[0] not in new}
            conflicts: list[str] = []
            if old:
                cur = await self.conn.execute(
                    "SELECT out_trade_no, request_id, amount, currency FROM payermax_captures "
                    "WHERE out_trade_no = ANY(%s)",
                    (list(old),),
                )
                given = {otn: rid for otn, _, _, rid in chunk}
                for otn, rid, amount, currency in await cur.fetchall():
                    want = old[otn]
                    asked = given.get(otn)
                    if (amount, currency) != (want[2], want[3]) or (asked is not None and asked != rid):
                        conflicts.append(str(otn))
        return len(fresh), len(old) - len(conflicts), conflicts

    async def status(self, batch: str | None = None) -> dict[str, int]:
        """Orders per state (queued, sending, captured, pending, failed, unknown, not_processed)."""
        cur = await self.conn.execute(
            "SELECT state, count(*) FROM payermax_captures "
            "WHERE %s::text IS NULL OR batch = %s GROUP BY state",
            (batch, batch),
        )
        return {str(s): int(n) for s, n in await cur.fetchall()}

    async def outcomes(self, batch: str | None = None) -> AsyncIterator[OutcomeRow]:
        """Every order with its outcome, in out_trade_no order, streamed (server-side cursor)."""
        columns = (
            "out_trade_no, request_id, amount, currency, state, sends, capture_no, error_code, error_message"
        )
        async with contextlib.aclosing(self._rows("payermax_outcomes", columns, batch)) as rows:
            async for r in rows:
                yield OutcomeRow(*r)

    async def capture_outcomes(self, batch: str | None = None) -> AsyncIterator[CaptureOutcome]:
        """Every order as a :class:`CaptureOutcome` (what the output CSV is written from).

        An order still queued or in flight reads as ``UNKNOWN`` without an error.
        """
        columns = (
            "out_trade_no, amount, currency, state, request_id, capture_no, result::text, "
            "error_class, error_code, error_message"
        )
        async with contextlib.aclosing(self._rows("payermax_capture_outcomes", columns, batch)) as rows:
            async for otn, amount, currency, state, rid, cno, result, ecls, ecode, emsg in rows:
                status = _STATUS.get(state, OutcomeStatus.UNKNOWN)
                encoded = EncodedOutcome(
                    status.value, rid, cno, None if result is None else result.encode(), ecls, ecode, emsg
                )
                yield decode_outcome(CaptureItem(otn, amount, currency, rid), encoded, skipped=False)

    async def _rows(self, cursor: str, columns: str, batch: str | None) -> AsyncGenerator[TupleRow, None]:
        """The orders (of ``batch``, or all), in out_trade_no order, through a server-side cursor;
        read it under ``aclosing`` so that stopping early ends the cursor and its transaction."""
        async with self.conn.transaction(), self.conn.cursor(name=cursor) as cur:
            await cur.execute(
                f"SELECT {columns} FROM payermax_captures "
                "WHERE %s::text IS NULL OR batch = %s ORDER BY out_trade_no",
                (batch, batch),
            )
            async for r in cur:
                yield r

    async def requeue(
        self, states: Iterable[str] = ("unknown", "not_processed", "pending", "sending")
    ) -> int:
        """Put back orders in these states that have no live job: the fleet's "re-run"."""
        async with self.conn.transaction():
            cur = await self.conn.execute(
                "SELECT c.out_trade_no FROM payermax_captures c WHERE c.state = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pgqueuer q WHERE q.dedupe_key = c.out_trade_no AND q.entrypoint = %s "
                "AND q.status IN ('queued', 'picked')) FOR UPDATE OF c",
                (list(states), self.entrypoint),
            )
            otns = [str(r[0]) for r in await cur.fetchall()]
            for i in range(0, len(otns), _CHUNK):
                await self._enqueue(otns[i : i + _CHUNK])
        return len(otns)

    async def _enqueue(self, otns: list[str]) -> None:
        """One job per order, keyed by its out_trade_no: an order with a live job gets no second one."""
        if otns:
            await self.queries.enqueue(
                [self.entrypoint] * len(otns),
                [otn.encode() for otn in otns],
                [0] * len(otns),
                dedupe_key=list(otns),
                on_conflict="skip",
            )

    async def pending_jobs(self) -> int:
        cur = await self.conn.execute(
            "SELECT count(*) FROM pgqueuer WHERE entrypoint = %s AND status IN ('queued', 'picked')",
            (self.entrypoint,),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0
