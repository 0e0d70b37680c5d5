"""The fleet-wide limit: seats that cap captures in flight across workers, and the AIMD value
shared in one row."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg
import pytest

from payermax_async.bulk.adaptive import AimdSettings
from payermax_async.bulk.fleet import FleetLimit, FleetSemaphore


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _hold_seats(conn: psycopg.AsyncConnection[Any], name: str, n: int) -> None:
    """Seats 0..n-1 held (captures in flight fleet-wide); the rest free."""
    await conn.execute(
        "UPDATE payermax_capture_seats SET holder = CASE WHEN seat < %s THEN 'w' END, "
        "lease_until = now() + interval '1 hour' WHERE name = %s",
        (n, name),
    )


async def test_fleet_limit_is_shared_grows_only_while_used_and_cuts_once_per_episode(dsn: str) -> None:
    s = AimdSettings(ceiling=30, initial=4)
    clock = Clock()
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c1,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c2,
    ):
        a = FleetLimit(c1, "capture", s, clock=clock)
        b = FleetLimit(c2, "capture", s, clock=clock)
        await a.setup()
        await b.setup()
        await FleetSemaphore(c1, "capture", lambda: a.permits, ceiling=30).setup()
        for _ in range(8):
            a.success(a.stamp(), 0.05)
        assert await a.flush() == 4  # answers, but no seat in use: the limit was not in the way
        await _hold_seats(c1, "capture", 4)
        for _ in range(8):
            a.success(a.stamp(), 0.05)
        assert await a.flush() == 12  # slow start, fleet-wide
        assert await b.flush() == 12
        await _hold_seats(c1, "capture", 12)
        stamp_a, stamp_b = a.stamp(), b.stamp()
        assert stamp_a == stamp_b == 0
        for _ in range(4):
            a.rate_limited(stamp_a)
        b.rate_limited(stamp_b)
        assert await a.flush() == 6  # slow start overshoots up to 2x: it ends halving, as TCP's
        assert await b.flush() == 6  # b's refusal came from the same episode: no second cut
        assert (a.epoch, b.epoch) == (1, 1)

        # for one round trip after a cut, a refusal is the seats above the new limit draining
        a.success(a.stamp(), 0.05)
        assert a.stamp() is None
        a.rate_limited(a.stamp())
        assert await a.flush() == 6 and a.epoch == 1
        clock.now += 1.0
        assert a.stamp() == 1

        b.rate_limited(0)  # from the episode already cut for
        assert await b.flush() == 6 and b.epoch == 1
        b.rate_limited(1)  # a new episode: the fleet's level, 6, was too many
        assert await b.flush() == 5 and b.epoch == 2  # 0.95 x 6
        cur = await c1.execute(
            "SELECT w_max, cuts, refused FROM payermax_capture_limits WHERE name = %s", ("capture",)
        )
        assert await cur.fetchone() == (6.0, 2, True)

        await _hold_seats(c1, "capture", 5)
        for _ in range(1000):
            a.success(a.stamp(), 0.05)
        grown = await a.flush()
        assert 6 < grown <= 30
        clock.now += 1.0
        a.rate_limited(a.stamp())  # refused past the last refusal level: the level before was fine
        assert await a.flush() == grown - 1 and a.epoch == 3
        clock.now += 1.0
        a.rate_limited(a.stamp())  # refused below the last refusal's level: the gateway's came down
        assert await a.flush() == int(0.95 * (grown - 1)) and a.epoch == 4
        restarted = FleetLimit(c2, "capture", s)
        await restarted.setup()
        assert restarted.permits == a.permits and restarted.epoch == 4  # a restart resumes
        with pytest.raises(LookupError):
            await FleetLimit(c1, "nope", s).flush()


async def test_fleet_latency_cuts_only_before_any_refusal(dsn: str) -> None:
    s = AimdSettings(ceiling=30, initial=10)
    clock = Clock()
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        a = FleetLimit(conn, "capture", s, clock=clock)
        await a.setup()
        await FleetSemaphore(conn, "capture", lambda: a.permits, ceiling=30).setup()
        await _hold_seats(conn, "capture", 10)
        a.success(a.stamp(), 0.05)
        for _ in range(10):  # a whole round trip at 20x the best: the gateway queues
            a.success(a.stamp(), 1.0)
        assert await a.flush() == 9 and a.epoch == 1  # 0.95 x 10
        a.rate_limited(None)  # a refusal (during the drain: no vote), but now the gateway has refused
        assert await a.flush() == 9 and a.refused
        clock.now += 5.0
        for _ in range(50):
            a.success(a.stamp(), 1.0)
        assert await a.flush() == 9 and a.epoch == 1  # slow: neither cut nor grown


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
