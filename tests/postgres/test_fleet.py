"""The fleet-wide limit: seats that cap captures in flight across workers, and the AIMD value
shared in one row."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest

from payermax_async.bulk.adaptive import AimdSettings
from payermax_async.bulk.fleet import FleetLimit, FleetSemaphore


async def test_fleet_limit_is_shared_and_cut_once_per_round_trip(dsn: str) -> None:
    s = AimdSettings(ceiling=30, initial=4)
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c1,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c2,
    ):
        a, b = FleetLimit(c1, "capture", s), FleetLimit(c2, "capture", s)
        await a.setup()
        await b.setup()
        for _ in range(8):
            a.success(started=0.0, latency=0.05)
        assert await a.flush() == 12  # slow start, fleet-wide
        assert await b.flush() == 12
        for _ in range(12):
            a.success(started=0.0, latency=0.05)
        for _ in range(4):
            a.rate_limited(started=a._clock())
        b.rate_limited(started=b._clock())
        assert await a.flush() == 6  # halved on leaving slow start (12 of 16 got through: 0.75)
        assert await b.flush() == 6  # the other worker's refusal is the same overshoot
        await asyncio.sleep(0.06)  # past the round-trip cooldown
        b.rate_limited(started=0.0)  # sent before b saw the cut: ignored
        assert await b.flush() == 6
        for _ in range(3):
            b.success(started=0.0, latency=0.05)
        for _ in range(3):
            b.rate_limited(started=b._clock())
        assert await b.flush() == 3  # half the window refused: cut to the share that got through
        await asyncio.sleep(0.06)
        for _ in range(9):
            b.success(started=0.0, latency=0.05)
        b.rate_limited(started=b._clock())
        assert await b.flush() == 2  # 3 * 0.9
        for _ in range(1000):
            a.success(started=0.0, latency=0.05)
        assert await a.flush() <= 30
        restarted = FleetLimit(c2, "capture", s)
        await restarted.setup()
        assert restarted.permits == a.permits  # a restart resumes the learnt limit
        cur = await c1.execute("SELECT cuts FROM payermax_capture_limits WHERE name = 'capture'")
        assert await cur.fetchone() == (3,)
        with pytest.raises(LookupError):
            await FleetLimit(c1, "nope", s).flush()


async def test_seats_cap_the_fleet_and_a_dead_holders_seats_come_back(dsn: str) -> None:
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c1,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c2,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c3,
    ):
        a = FleetSemaphore(c1, "cap", 3, lease=0.5, poll=0.005)
        b = FleetSemaphore(c2, "cap", 3, lease=0.5, poll=0.005)
        await a.setup()
        await b.setup()
        runners = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
        in_flight = peak = 0
        used: dict[str, set[int]] = {"a": set(), "b": set()}

        async def work(sem: FleetSemaphore, who: str) -> None:
            nonlocal in_flight, peak
            async with sem.seat() as seat:
                used[who].add(seat)
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.002)
                in_flight -= 1

        await asyncio.gather(*(work(a, "a") for _ in range(60)), *(work(b, "b") for _ in range(60)))
        assert peak == 3 and used["a"] | used["b"] <= {0, 1, 2}
        # another worker takes all three seats and dies: b gets one once their lease runs out
        dead = FleetSemaphore(c3, "cap", 3, lease=0.5)
        got = await asyncio.wait_for(_take_all(dead, 3), 5)
        assert sorted(got) == [0, 1, 2]
        assert b.held == 0
        waiter = asyncio.create_task(work(b, "b"))
        await asyncio.wait_for(waiter, 5)  # granted once dead's leases expire
        for t in runners:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await b.close()
        assert used["b"] <= {0, 1, 2}
        cur = await c1.execute("SELECT count(*) FROM payermax_capture_seats WHERE holder = %s", (dead.me,))
        assert await cur.fetchone() == (2,)  # b took one of the expired seats and handed it back


async def _take_all(sem: FleetSemaphore, n: int) -> list[int]:
    sem._waiters = n
    got: list[int] = []
    while len(got) < n:
        await sem._take()
        got = list(sem._idle)
        await asyncio.sleep(0.01)
    return got
