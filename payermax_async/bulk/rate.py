"""Pacing for a bulk run: captures started at an even rate, never in bursts at the top of a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Hands out permits evenly spaced ``1/rate`` seconds apart (a virtual scheduling limiter).

    Not a bucket that refills each second: 100/s means one every 10 ms, never 100 at the top of
    the second. ``burst`` lets that many go at once after an idle spell. Permits are handed out
    in call order. ``clock`` and ``sleep`` are injectable so that tests run on a fake clock.
    """

    __slots__ = ("_burst", "_clock", "_interval", "_next", "_sleep", "rate")

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be > 0 (requests per second)")
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self.rate = float(rate)
        self._interval = 1.0 / self.rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    async def acquire(self) -> None:
        now = self._clock()
        # The slot is reserved before sleeping, so the order of callers is the order of permits.
        slot = max(self._next, now - (self._burst - 1) * self._interval)
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
