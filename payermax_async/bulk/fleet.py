"""One fleet-wide concurrency limit that finds the gateway's limit itself, held in a database row.

:class:`FleetLimit` runs :mod:`.adaptive`'s rule with its state in PostgreSQL, so every worker on
every machine follows one limit; the seats of :mod:`.seats` (:class:`FleetSemaphore`, re-exported
here) keep the captures in flight within it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

import psycopg
from psycopg.rows import TupleRow

from .adaptive import AimdSettings
from .latency import LoopLag, Speed
from .seats import SEATS_SCHEMA, FleetSemaphore, install

__all__ = ["FleetLimit", "FleetSemaphore"]

_LIMITS_SCHEMA = """
CREATE TABLE IF NOT EXISTS payermax_capture_limits (
    name          text PRIMARY KEY,
    value         double precision NOT NULL,
    floor         integer NOT NULL,
    ceiling       integer NOT NULL,
    w_max         double precision,
    cuts          bigint NOT NULL DEFAULT 0,
    refused       boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE payermax_capture_limits ADD COLUMN IF NOT EXISTS refused boolean NOT NULL DEFAULT false;
"""

# One statement per flush; SET sees the old row, so every test reads the same state. The rule is
# Aimd's (see .adaptive), on the fleet's own level: the permits in the row when a refusal lands.
# A worker knows the limit only as of its last flush, so the level one worker knew when it sent a
# refused request says little (measured: stale views turned every other step back into a cut).
# * ``cuts`` is the epoch (0: slow start). A vote names the epoch its requests were sent in: it cuts
#   only if nobody cut since, so one congestion episode is one cut for the whole fleet.
# * Slow start overshoots by up to 2x before the first refusal lands: it ends halving, as TCP's.
# * The limit grows only while the fleet uses it (seats in use within ``slack`` of it): a worker
#   learns the limit a flush late and takes seats a poll later, and a limit that grows on answers
#   alone ran ahead of the captures in flight to 2.4x the gateway's before the first refusal.
_FLUSH = """
WITH seats AS (
    SELECT count(*) AS in_use FROM payermax_capture_seats
    WHERE name = %(name)s AND holder IS NOT NULL AND lease_until > now()
), vote AS (
    SELECT %(epoch)s::bigint AS epoch, %(rate)s::boolean AS rate, %(cut)s::float8 AS factor
)
UPDATE payermax_capture_limits l SET
    value = CASE
        WHEN l.cuts = vote.epoch THEN GREATEST(l.floor, CASE
            WHEN vote.rate AND l.cuts = 0 THEN l.value * LEAST(0.5, vote.factor)
            WHEN vote.rate AND floor(l.value) >= l.w_max THEN floor(l.value) - 1
            ELSE l.value * vote.factor END)
        WHEN seats.in_use + %(slack)s < l.value THEN l.value
        WHEN l.cuts = 0 THEN LEAST(l.ceiling, l.value + %(n)s)
        ELSE LEAST(l.ceiling, l.value + %(inc)s * %(n)s / GREATEST(l.value, 1)
             / CASE WHEN l.value >= l.w_max - %(band)s AND l.value < l.w_max + 1 THEN %(slow)s ELSE 1 END)
    END,
    w_max = CASE WHEN l.cuts = vote.epoch AND vote.rate AND l.cuts > 0 THEN floor(l.value) ELSE l.w_max END,
    cuts = l.cuts + CASE WHEN l.cuts = vote.epoch THEN 1 ELSE 0 END,
    refused = l.refused OR %(refused)s,
    updated_at = now()
FROM seats, vote
WHERE l.name = %(name)s
RETURNING l.value, l.cuts, l.refused
"""

#: seats in use this close to the limit count as using it
_SLACK = 2


class FleetLimit:
    """The AIMD limit in a database row, shared by every worker of every machine.

    The same rule as :class:`~.adaptive.Aimd`, with the state in the row: workers report answers
    (:meth:`success`, :meth:`rate_limited`, each with the :meth:`stamp` its request was sent under)
    and :meth:`flush` them in one UPDATE, at once after a refusal and every ``interval`` otherwise
    (:meth:`run`); ``permits`` is the fleet-wide number of requests allowed in flight, which the
    seats of the same ``name`` enforce (:class:`FleetSemaphore`). Latency is judged per worker (its
    own loop's lag is its own) and only votes.
    """

    def __init__(
        self,
        conn: psycopg.AsyncConnection[TupleRow],
        name: str,
        settings: AimdSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = conn
        self.name = name
        self.settings = settings
        self.value = settings.start()
        self.epoch = 0  # the row's cuts as of the last flush
        self.refused = False  # the gateway has refused (fleet-wide, as of the last flush)
        self.latency = settings.watch()
        self.lag = LoopLag(lambda: True)  # sampled by run()
        self._clock = clock
        self._since = -math.inf  # when this worker learnt the current epoch
        self._successes = 0
        self._saw_refusal = False
        self._vote: tuple[int, bool] | None = None  # (epoch, a refusal's)
        self._voted = asyncio.Event()
        self.interval = 0.05  # between flushes (run's); every worker of a fleet uses the same

    @property
    def permits(self) -> int:
        return max(self.settings.floor, int(self.value))

    @property
    def round_trip(self) -> float:
        """The best round trip seen recently (50 ms before any)."""
        return self.latency.baseline or 0.05

    def stamp(self) -> int | None:
        """The epoch a request sent now belongs to; None while the fleet drains after a cut.

        Seats above a lowered limit are handed back only as their captures finish, and the other
        workers hear of the cut only at their next flush and keep filling seats until then: for a
        flush interval and a round trip after this worker heard of it, the fleet may still have
        more in flight than the new limit, and a refusal then is that drain, not news.
        """
        if self._clock() - self._since < self.interval + (self.latency.smoothed or 0.0):
            return None
        return self.epoch

    async def setup(self) -> None:
        """Create the row once; an existing row keeps its learnt value (a restart resumes)."""
        await install(self._conn, _LIMITS_SCHEMA + SEATS_SCHEMA)  # the flush counts seats in use
        await self._conn.execute(
            "INSERT INTO payermax_capture_limits (name, value, floor, ceiling) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET floor = EXCLUDED.floor, ceiling = EXCLUDED.ceiling, "
            "value = LEAST(payermax_capture_limits.value, EXCLUDED.ceiling)",
            (self.name, self.value, self.settings.floor, self.settings.ceiling),
        )
        await self.flush()

    def success(self, stamp: int | None, latency: float) -> None:
        """An answer ``latency`` s after its request was sent under ``stamp``."""
        lag = self.lag
        speed = self.latency.observe(
            latency, self._clock(), lag=lag.lag, answers=self.permits, saturated=lag.saturated
        )
        if speed is Speed.FAST:
            self._successes += 1
        elif speed is Speed.CONGESTED and not self.refused and stamp == self.epoch:
            self._want_cut(self.epoch, rate=False)
        # else slow: no increase from this answer

    def rate_limited(self, stamp: int | None) -> None:
        """A refusal of a request sent under ``stamp``."""
        self._saw_refusal = True
        if stamp == self.epoch:  # older ones: the row ignores them too
            self._want_cut(stamp, rate=True)

    def _want_cut(self, epoch: int, *, rate: bool) -> None:
        self._vote = (epoch, rate or (self._vote is not None and self._vote[1]))
        self._voted.set()

    async def flush(self) -> int:
        n, vote, saw_refusal = self._successes, self._vote, self._saw_refusal
        self._successes, self._vote, self._saw_refusal = 0, None, False
        self._voted.clear()
        s = self.settings
        epoch, rate = vote if vote is not None else (None, False)
        cur = await self._conn.execute(
            _FLUSH,
            {
                "epoch": epoch,
                "cut": s.decrease if rate else s.latency_decrease,
                "rate": rate,
                "refused": saw_refusal,
                "slack": _SLACK,
                "inc": s.increase,
                "n": n,
                "band": s.cautious_band,
                "slow": s.cautious_slowdown,
                "name": self.name,
            },
        )
        row = await cur.fetchone()
        if row is None:
            raise LookupError(f"no fleet limit named {self.name!r}; call setup() first")
        value, cuts, refused = row
        assert isinstance(value, float)
        if cuts != self.epoch:
            self._since = self._clock()
            self.latency.reset()  # the next slow verdict needs a fresh round trip
        self.value, self.epoch, self.refused = value, int(cuts), bool(refused)
        return self.permits

    async def run(
        self, interval: float | None = None, on_change: Callable[[int], None] | None = None
    ) -> None:
        """Flush forever (cancel to stop): at once after a vote to cut, else every ``interval``.

        ``on_change`` hears every new permit count. The timed wait doubles as the loop's lag probe.
        """
        if interval is not None:
            self.interval = interval
        loop = asyncio.get_running_loop()
        last = -1
        while True:
            permits = await self.flush()
            if on_change is not None and permits != last:
                on_change(permits)
                last = permits
            due = loop.time() + self.interval
            try:
                await asyncio.wait_for(self._voted.wait(), self.interval)
            except TimeoutError:
                self.lag.sample(loop.time() - due)
            self.lag.measure(loop.time())
