"""Processing each PayerMax notification once, and never acknowledging one that was not processed.

PayerMax re-sends a notification until it is acknowledged, so a handler sees duplicates, some of
them while the first delivery is still being handled. A duplicate may be acknowledged only once
the event is really handled: acknowledged early, and the first delivery then failing, the event
is lost (PayerMax stops re-sending). So a duplicate waits for the first delivery in this process,
and takes over when it fails; a duplicate that finds the event in flight in *another* process
gets :class:`~payermax_async.errors.NotificationInFlightError` (answer it with an error status:
PayerMax re-sends later, by when the first has finished or its lease has run out).

A store remembers handled events. :class:`InMemorySeenStore` is one process's memory, gone on
restart; :class:`SqliteSeenStore` survives restarts and is shared by the processes of one machine.
"""

from __future__ import annotations

import asyncio
import enum
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from os import PathLike
from typing import Any, Protocol, TypeVar, runtime_checkable

from .errors import NotificationInFlightError
from .types._base import NotificationEnvelope

__all__ = [
    "DEFAULT_DEDUP_LEASE",
    "DEFAULT_DEDUP_TTL",
    "Claim",
    "InMemorySeenStore",
    "LeasingSeenStore",
    "NotificationDeduplicator",
    "SeenStore",
    "SqliteSeenStore",
]

#: PayerMax's last re-send comes about 13 h after the first; a day covers the whole schedule.
DEFAULT_DEDUP_TTL = 24 * 3600.0
#: How long a delivery may hold an event before another process may take it over (a crashed
#: worker's claim must not block the event for a day). Handlers should finish well within it.
DEFAULT_DEDUP_LEASE = 120.0

N = TypeVar("N", bound=NotificationEnvelope)


class Claim(enum.Enum):
    NEW = "new"  # the caller now holds the event: run the handler
    IN_FLIGHT = "in_flight"  # someone else holds it right now
    DONE = "done"  # handled already


@runtime_checkable
class SeenStore(Protocol):
    """Where handled notification keys are remembered, e.g. Redis ``SET key 1 NX EX ttl``.

    ``add`` must be atomic: two concurrent deliveries of one notification may both arrive. A
    store with only these two methods cannot tell "handled" from "being handled elsewhere"; use a
    :class:`LeasingSeenStore` when several processes share it.
    """

    async def add(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; True when it was not already remembered."""
        ...

    async def discard(self, key: str) -> None:
        """Forget ``key`` (its processing failed, so a re-send must be processed again)."""
        ...


@runtime_checkable
class LeasingSeenStore(SeenStore, Protocol):
    """A store that tells an event being handled (for at most ``lease`` seconds) from one handled.

    Redis: ``SET key inflight NX EX lease`` to begin, ``SET key done EX ttl`` to finish.
    """

    async def begin(self, key: str, lease: float) -> Claim:
        """Atomically take ``key`` for ``lease`` seconds unless it is held or done."""
        ...

    async def finish(self, key: str, ttl: float) -> None:
        """Mark ``key`` handled, remembered for ``ttl`` seconds."""
        ...


class InMemorySeenStore:
    """A bounded, expiring in-process store: right for one process, lost on restart.

    At ``max_keys`` the oldest keys are dropped first, so memory stays bounded under any load;
    a duplicate of a dropped key is processed again, which idempotent handlers tolerate.
    """

    __slots__ = ("_clock", "_expiry", "max_keys")

    def __init__(self, max_keys: int = 100_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        self._clock = clock
        self._expiry: OrderedDict[str, tuple[float, bool]] = OrderedDict()  # key -> (expires, done)

    def _live(self, key: str, now: float) -> tuple[float, bool] | None:
        self._purge(now)
        entry = self._expiry.get(key)
        return entry if entry is not None and entry[0] > now else None

    def _put(self, key: str, expires: float, done: bool) -> None:
        self._expiry[key] = (expires, done)
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.max_keys:
            self._expiry.popitem(last=False)

    async def add(self, key: str, ttl: float) -> bool:
        now = self._clock()
        if self._live(key, now) is not None:
            return False
        self._put(key, now + ttl, True)
        return True

    async def begin(self, key: str, lease: float) -> Claim:
        now = self._clock()
        entry = self._live(key, now)
        if entry is not None:
            return Claim.DONE if entry[1] else Claim.IN_FLIGHT
        self._put(key, now + lease, False)
        return Claim.NEW

    async def finish(self, key: str, ttl: float) -> None:
        self._put(key, self._clock() + ttl, True)

    async def discard(self, key: str) -> None:
        self._expiry.pop(key, None)

    def _purge(self, now: float) -> None:
        # Insertion order is close to expiry order, so stop at the first live key.
        while self._expiry:
            key, (expires, _) = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]

    def __len__(self) -> int:
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        entry = self._expiry.get(key) if isinstance(key, str) else None
        return entry is not None and entry[0] > self._clock()


class SqliteSeenStore:
    """Handled notification keys in a SQLite file: they survive a restart, and the processes of
    one machine that open the same file share them (SQLite's lock makes ``begin`` atomic).

    Times are wall-clock (they must mean the same after a restart). Work runs in a thread so the
    event loop never waits on the disk. Close it with :meth:`close` when the service stops.
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS payermax_seen ("
        " key TEXT PRIMARY KEY, done INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
    )
    _PURGE_EVERY = 1000

    def __init__(self, path: str | PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        self._db: sqlite3.Connection | None = sqlite3.connect(
            path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(self._SCHEMA)
        except sqlite3.Error:
            self._db.close()
            raise

    def _run(self, operation: Callable[[sqlite3.Connection, float], Any]) -> Any:
        with self._lock:
            db = self._db
            if db is None:
                raise RuntimeError("SqliteSeenStore is closed")
            now = self._clock()
            db.execute("BEGIN IMMEDIATE")
            try:
                result = operation(db, now)
                self._writes += 1
                if self._writes % self._PURGE_EVERY == 0:
                    db.execute("DELETE FROM payermax_seen WHERE expires <= ?", (now,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    @staticmethod
    def _state(db: sqlite3.Connection, key: str, now: float) -> Claim | None:
        row = db.execute("SELECT done, expires FROM payermax_seen WHERE key = ?", (key,)).fetchone()
        if row is None or row[1] <= now:
            return None
        return Claim.DONE if row[0] else Claim.IN_FLIGHT

    @staticmethod
    def _put(db: sqlite3.Connection, key: str, done: bool, expires: float) -> None:
        db.execute(
            "INSERT OR REPLACE INTO payermax_seen (key, done, expires) VALUES (?, ?, ?)",
            (key, int(done), expires),
        )

    async def begin(self, key: str, lease: float) -> Claim:
        def take(db: sqlite3.Connection, now: float) -> Claim:
            state = self._state(db, key, now)
            if state is not None:
                return state
            self._put(db, key, False, now + lease)
            return Claim.NEW

        result: Claim = await asyncio.to_thread(self._run, take)
        return result

    async def finish(self, key: str, ttl: float) -> None:
        await asyncio.to_thread(self._run, lambda db, now: self._put(db, key, True, now + ttl))

    async def add(self, key: str, ttl: float) -> bool:
        def add(db: sqlite3.Connection, now: float) -> bool:
            if self._state(db, key, now) is not None:
                return False
            self._put(db, key, True, now + ttl)
            return True

        result: bool = await asyncio.to_thread(self._run, add)
        return result

    async def discard(self, key: str) -> None:
        await asyncio.to_thread(
            self._run, lambda db, now: db.execute("DELETE FROM payermax_seen WHERE key = ?", (key,))
        )

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def __repr__(self) -> str:
        return f"SqliteSeenStore(open={self._db is not None})"


class NotificationDeduplicator:
    """Runs a handler at most once per notification (by its ``idempotency_key``), and lets no
    duplicate be acknowledged before the event is handled.

    :meth:`process_once` returns True when it ran the handler, False for a duplicate of an event
    already handled: acknowledge both. It raises what the handler raised (the event is released,
    so a re-send is processed again) and :class:`NotificationInFlightError` when another process
    holds the event: answer those with an error status, so that PayerMax re-sends.
    """

    __slots__ = ("_inflight", "lease", "store", "ttl")

    def __init__(
        self,
        store: SeenStore | None = None,
        *,
        ttl: float = DEFAULT_DEDUP_TTL,
        lease: float = DEFAULT_DEDUP_LEASE,
    ) -> None:
        if not ttl > 0:
            raise ValueError("ttl must be > 0 seconds")
        if not lease > 0:
            raise ValueError("lease must be > 0 seconds")
        self.store: SeenStore = store if store is not None else InMemorySeenStore()
        self.ttl = ttl
        self.lease = lease
        #: events being handled in this process -> True once handled, False if the attempt failed
        self._inflight: dict[str, asyncio.Future[bool]] = {}

    async def claim(self, notification: NotificationEnvelope) -> bool:
        """True for the first delivery of this event; False for a duplicate (the store's view only)."""
        return await self.store.add(notification.idempotency_key, self.ttl)

    async def release(self, notification: NotificationEnvelope) -> None:
        await self.store.discard(notification.idempotency_key)

    async def _begin(self, key: str) -> Claim:
        if isinstance(self.store, LeasingSeenStore):
            return await self.store.begin(key, self.lease)
        return Claim.NEW if await self.store.add(key, self.ttl) else Claim.DONE

    async def _finish(self, key: str) -> None:
        if isinstance(self.store, LeasingSeenStore):
            await self.store.finish(key, self.ttl)

    async def process_once(self, notification: N, handler: Callable[[N], Awaitable[Any]]) -> bool:
        """Run ``handler(notification)`` unless this event was already handled; True if it ran."""
        key = notification.idempotency_key
        while (first := self._inflight.get(key)) is not None:
            if await asyncio.shield(first):
                return False  # the first delivery handled it
            # The first delivery failed and released the event: this one may take it over.
        mine: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inflight[key] = mine  # before any await: later duplicates wait on this one
        handled = False
        try:
            claim = await self._begin(key)
            if claim is Claim.DONE:
                handled = True
                return False
            if claim is Claim.IN_FLIGHT:
                raise NotificationInFlightError(
                    "this notification is being handled elsewhere; do not acknowledge it yet"
                )
            try:
                await handler(notification)
            except BaseException:
                await self.store.discard(key)
                raise
            handled = True
            await self._finish(key)
            return True
        finally:
            del self._inflight[key]
            mine.set_result(handled)
