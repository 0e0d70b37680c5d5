"""The rate limiter on virtual time: permits spaced evenly, a burst after idle, and capture_many
starting captures at the rate."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from decimal import Decimal
from typing import TypeVar

import pytest

from payermax_async.bulk import RateLimiter
from payermax_async.types import CaptureResult

from .bulkkit import FakeClient, collect, items

T = TypeVar("T")


class FakeClock:
    """Virtual time: ``sleep`` parks the caller until :meth:`drive` moves the clock to its deadline.

    Time advances only when every task is parked, straight to the earliest deadline, so what a
    test sees is the order and timing of events as the limiter scheduled them, whatever the speed
    of the machine running it.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._seq), fut))
        await fut

    async def drive(self, aw: Awaitable[T]) -> T:
        task = asyncio.ensure_future(aw)
        while not task.done():
            for _ in range(20):  # let every runnable task run until it parks
                await asyncio.sleep(0)
            if self._timers and not task.done():
                when, _, fut = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                fut.set_result(None)
        return task.result()


async def test_rate_limiter_spaces_permits_evenly_in_call_order() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50, clock=clock, sleep=clock.sleep)
    granted: list[tuple[int, float]] = []

    async def take(i: int) -> None:
        await limiter.acquire()
        granted.append((i, clock.now))

    # All ten ask at t=0; permits go in call order, 20 ms apart, not ten at once.
    await clock.drive(asyncio.gather(*(take(i) for i in range(10))))
    assert [i for i, _ in granted] == list(range(10))
    assert [t for _, t in granted] == pytest.approx([0.02 * k for k in range(10)])


async def test_rate_limiter_burst_lets_a_few_go_after_idle_then_spaces_them() -> None:
    clock = FakeClock(start=100.0)
    limiter = RateLimiter(10, burst=3, clock=clock, sleep=clock.sleep)

    async def take(n: int) -> list[float]:
        times = []
        for _ in range(n):
            await limiter.acquire()
            times.append(clock.now)
        return times

    assert await clock.drive(take(5)) == pytest.approx([100.0, 100.0, 100.0, 100.1, 100.2])
    clock.now += 60  # idle for a minute: the burst is available again, but no more than it
    assert await clock.drive(take(4)) == pytest.approx([160.2, 160.2, 160.2, 160.3])


async def test_capture_many_starts_captures_at_the_rate_limit() -> None:
    clock = FakeClock()
    started: list[float] = []

    class Clocked(FakeClient):
        async def capture(
            self, out_trade_no: str, amount: Decimal | int | str, currency: str, request_id: str | None = None
        ) -> CaptureResult:
            started.append(clock.now)
            return await super().capture(out_trade_no, amount, currency, request_id)

    limiter = RateLimiter(100, clock=clock, sleep=clock.sleep)
    outcomes = await clock.drive(collect(Clocked(), items(250), concurrency=32, rate_limit=limiter))
    assert len(outcomes) == 250
    assert started == pytest.approx([0.01 * k for k in range(250)])  # one every 10 ms, no bursts
    for t in started:  # so no one-second window holds more than the rate (+1 at the window's edge)
        assert sum(t <= s < t + 1.0 for s in started) <= 101


def test_rate_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(1, burst=0)
