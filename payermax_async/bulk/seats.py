"""One concurrency limit for every worker on every machine: numbered seats in a database table.

The fleet may have at most ``permits`` captures in flight. Seats ``0 .. ceiling-1`` are rows; a
worker may hold a seat only if its number is below the current ``permits``, so the count in
flight can never pass the limit, whatever the number of machines. Lowering the limit takes
effect as the seats above it are handed back.

A database round trip per capture would cost more than the capture's own bookkeeping, so a
worker keeps the seats it holds while it has captures waiting, and hands a seat to its next
capture locally. It gives a seat back when it has no one waiting, when the seat is above the
limit, or after holding it ``hold`` seconds (so other machines get their turn). Seats are
leased: a worker that dies stops renewing, and its seats are free again after ``lease`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Callable

import psycopg
from psycopg.rows import TupleRow

__all__ = ["SEATS_SCHEMA", "FleetSemaphore", "install"]

SEATS_SCHEMA = """
CREATE TABLE IF NOT EXISTS payermax_capture_seats (
    name        text NOT NULL,
    seat        integer NOT NULL,
    holder      text,
    lease_until timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (name, seat)
)
"""

_TAKE = """
UPDATE payermax_capture_seats s SET holder = %(me)s, lease_until = now() + make_interval(secs => %(lease)s)
FROM (
    SELECT name, seat FROM payermax_capture_seats
    WHERE name = %(name)s AND seat < %(permits)s AND (holder IS NULL OR lease_until < now())
    ORDER BY seat LIMIT %(want)s FOR UPDATE SKIP LOCKED
) free
WHERE s.name = free.name AND s.seat = free.seat
RETURNING s.seat
"""


async def install(conn: psycopg.AsyncConnection[TupleRow], schema: str) -> None:
    """Create a table once for the whole fleet: CREATE IF NOT EXISTS races with itself, so serialise."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('payermax_capture_install'))")
        await conn.execute(schema)


class FleetSemaphore:
    """``async with sem.seat():`` around each capture. Run :meth:`run` alongside (renews leases)."""

    def __init__(
        self,
        conn: psycopg.AsyncConnection[TupleRow],
        name: str,
        permits: int | Callable[[], int],
        *,
        ceiling: int | None = None,
        lease: float = 10.0,
        hold: float = 1.0,
        poll: float = 0.01,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("FleetSemaphore needs an autocommit connection")
        self._conn = conn
        self._db = asyncio.Lock()  # one statement at a time on the connection
        self.name = name
        self._permits = permits if callable(permits) else (lambda: permits)
        self.ceiling = ceiling if ceiling is not None else (permits if isinstance(permits, int) else 0)
        if self.ceiling < 1:
            raise ValueError("ceiling must be given (>= 1) when permits is a callable")
        self.lease = lease
        self.hold = hold
        self.poll = poll
        self.me = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._idle: dict[int, float] = {}  # seat -> when we took it from the table
        self._busy: dict[int, float] = {}
        self._waiters = 0
        self._changed = asyncio.Condition()
        self._wake = asyncio.Event()
        self.db_takes = 0

    @property
    def held(self) -> int:
        return len(self._idle) + len(self._busy)

    async def setup(self) -> None:
        async with self._db:
            await install(self._conn, SEATS_SCHEMA)
            await self._conn.execute(
                "INSERT INTO payermax_capture_seats (name, seat) "
                "SELECT %s, g FROM generate_series(0, %s - 1) g "
                "ON CONFLICT DO NOTHING",
                (self.name, self.ceiling),
            )

    @contextlib.asynccontextmanager
    async def seat(self) -> AsyncIterator[int]:
        seat = await self._acquire()
        try:
            yield seat
        finally:
            await self._release(seat)

    async def _acquire(self) -> int:
        async with self._changed:
            self._waiters += 1
            try:
                while True:
                    permits = self._permits()
                    usable = [s for s in self._idle if s < permits]
                    if usable:
                        seat = min(usable)
                        self._busy[seat] = self._idle.pop(seat)
                        return seat
                    self._wake.set()
                    await self._changed.wait()
            finally:
                self._waiters -= 1

    async def _release(self, seat: int) -> None:
        taken = self._busy.pop(seat)
        keep = self._waiters > 0 and seat < self._permits() and time.monotonic() - taken < self.hold
        if keep:
            async with self._changed:
                self._idle[seat] = taken
                self._changed.notify(1)
            return
        async with self._db:
            await self._conn.execute(
                "UPDATE payermax_capture_seats SET holder = NULL "
                "WHERE name = %s AND seat = %s AND holder = %s",
                (self.name, seat, self.me),
            )
        if self._waiters:
            self._wake.set()

    async def _take(self) -> None:
        want = self._waiters - len(self._idle)
        if want <= 0:
            return
        async with self._db:
            cur = await self._conn.execute(
                _TAKE,
                {
                    "me": self.me,
                    "lease": self.lease,
                    "name": self.name,
                    "permits": self._permits(),
                    "want": want,
                },
            )
            got = [int(r[0]) for r in await cur.fetchall()]
        self.db_takes += len(got)
        if got:
            now = time.monotonic()
            async with self._changed:
                for s in got:
                    self._idle[s] = now
                self._changed.notify(len(got))

    async def _renew(self) -> None:
        async with self._db:
            await self._conn.execute(
                "UPDATE payermax_capture_seats SET lease_until = now() + make_interval(secs => %s) "
                "WHERE name = %s AND holder = %s",
                (self.lease, self.name, self.me),
            )

    async def _trim(self) -> None:
        """Hand back idle seats nobody waits for, or above a lowered limit."""
        permits = self._permits()
        async with self._changed:
            spare = len(self._idle) - self._waiters
            drop = [s for s in sorted(self._idle, reverse=True) if s >= permits or (spare := spare - 1) >= 0]
            for s in drop:
                del self._idle[s]
        if drop:
            async with self._db:
                await self._conn.execute(
                    "UPDATE payermax_capture_seats SET holder = NULL WHERE name = %s AND seat = ANY(%s) "
                    "AND holder = %s",
                    (self.name, drop, self.me),
                )

    async def run(self) -> None:
        """Take seats for waiting captures, renew leases; forever (cancel to stop)."""
        renew_every = self.lease / 3
        next_renew = time.monotonic() + renew_every
        while True:
            if self._idle:
                await self._trim()
            if time.monotonic() >= next_renew:
                await self._renew()
                next_renew = time.monotonic() + renew_every
            if self._waiters > len(self._idle):
                await self._take()
                if self._waiters > len(self._idle):
                    await asyncio.sleep(self.poll)  # the fleet is full: look again shortly
                continue
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(renew_every, 1.0))

    async def close(self) -> None:
        """Hand back every seat (a clean stop; a killed worker's seats wait out their lease)."""
        async with self._db:
            await self._conn.execute(
                "UPDATE payermax_capture_seats SET holder = NULL WHERE name = %s AND holder = %s",
                (self.name, self.me),
            )
        self._idle.clear()
