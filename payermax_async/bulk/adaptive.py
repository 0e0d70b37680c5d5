"""Finding the gateway's concurrency limit instead of asking the user to guess it.

PayerMax refuses requests beyond a per-interface concurrency limit (``TOO_MANY_REQUEST``) and does
not say what the limit is. :class:`Aimd` probes for it the way TCP probes a path: one more request
in flight per round trip while answers come back fine, a multiplicative cut on a refusal or when
latency climbs well above the best seen (the gateway queueing). ``--concurrency`` becomes the
ceiling the probe never passes.

It starts like TCP too: doubling per round trip until the first cut (a halving), then additive. Two details
keep the sawtooth tight enough to run within a few percent of the true limit:

* one cut per round trip: a refusal for a request sent *before* the last cut says nothing new;
* probing slows near the level of the last refusal, where the next refusal is expected.

The same rule runs in two places: :class:`AdaptiveLimiter` keeps the limit in memory for one
event loop; :class:`~.fleet.FleetLimit` keeps it in a PostgreSQL row so every worker on every machine
shares one limit (each worker batches its signals into one UPDATE per flush).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..codes import TOO_MANY_REQUEST
from ..errors import ApiError

__all__ = ["AdaptiveLimiter", "Aimd", "AimdSettings", "Ticket", "refusals_back"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AimdSettings:
    ceiling: int
    floor: int = 1
    initial: int = 4
    #: requests added to the limit per round trip (per ``limit`` successes)
    increase: float = 1.0
    #: multiplier applied on a refusal
    decrease: float = 0.9
    #: multiplier applied when latency rises past ``latency_tolerance`` x the baseline
    latency_decrease: float = 0.95
    latency_tolerance: float = 2.0
    #: within this distance of the last refusal level, probe this many times slower
    cautious_band: float = 2.0
    cautious_slowdown: float = 8.0

    def __post_init__(self) -> None:
        if not 1 <= self.floor <= self.ceiling:
            raise ValueError("need 1 <= floor <= ceiling")
        if not 0 < self.decrease < 1 or not 0 < self.latency_decrease < 1:
            raise ValueError("decrease factors must be in (0, 1)")
        if self.increase <= 0 or self.latency_tolerance <= 1 or self.cautious_slowdown < 1:
            raise ValueError("increase > 0, latency_tolerance > 1, cautious_slowdown >= 1")

    def start(self) -> float:
        return float(min(max(self.initial, self.floor), self.ceiling))

    def grow(self, limit: float, successes: float, w_max: float | None) -> float:
        if w_max is None:  # slow start: +1 per success (doubling per round trip) until the first cut
            return min(float(self.ceiling), limit + successes)
        step = self.increase * successes / max(limit, 1.0)
        if limit >= w_max - self.cautious_band:
            step /= self.cautious_slowdown
        return min(float(self.ceiling), limit + step)

    def cut(self, limit: float, factor: float) -> float:
        return max(float(self.floor), limit * factor)


class Aimd:
    """The controller's state for one process. Times are from one monotonic clock."""

    def __init__(self, settings: AimdSettings) -> None:
        self.settings = settings
        self.limit = settings.start()
        self.w_max: float | None = None
        self.last_cut = -math.inf
        self.baseline: float | None = None  # best latency seen
        self.smoothed: float | None = None  # EWMA of latency
        self.cuts = 0

    @property
    def permits(self) -> int:
        return max(self.settings.floor, int(self.limit))

    def success(self, started: float, latency: float, now: float) -> None:
        self.baseline = latency if self.baseline is None else min(self.baseline, latency)
        self.smoothed = latency if self.smoothed is None else 0.8 * self.smoothed + 0.2 * latency
        if self.smoothed > self.baseline * self.settings.latency_tolerance and started >= self.last_cut:
            self._cut(self.settings.latency_decrease, now)
            return
        self.limit = self.settings.grow(self.limit, 1.0, self.w_max)

    def rate_limited(self, started: float, now: float) -> None:
        if started < self.last_cut:
            return  # sent under the old limit; that overshoot is already answered
        level = self.limit
        self._cut(self.settings.decrease, now)
        self.w_max = level

    def _cut(self, factor: float, now: float) -> None:
        if self.w_max is None:  # leaving slow start, which overshoots by up to 2x: halve
            self.w_max = self.limit
            factor = min(factor, 0.5)
        self.limit = self.settings.cut(self.limit, factor)
        self.last_cut = now
        self.cuts += 1


class Ticket:
    """One request's seat. Say how it went: ``ok()`` or ``rate_limited()``; anything else is no signal."""

    __slots__ = ("_verdict", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self._verdict: bool | None = None

    def ok(self) -> None:
        self._verdict = True

    def rate_limited(self) -> None:
        self._verdict = False


class AdaptiveLimiter:
    """A semaphore whose size is the controller's limit, for one event loop."""

    def __init__(self, aimd: Aimd, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.aimd = aimd
        self._clock = clock
        self._in_flight = 0
        self._changed = asyncio.Condition()
        self.refused = 0
        self.succeeded = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Ticket]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < self.aimd.permits)
            self._in_flight += 1
        ticket = Ticket(self._clock())
        try:
            yield ticket
        finally:
            now = self._clock()
            if ticket._verdict is True:
                self.succeeded += 1
                self.aimd.success(ticket.started, now - ticket.started, now)
            elif ticket._verdict is False:
                self.refused += 1
                self.aimd.rate_limited(ticket.started, now)
            async with self._changed:
                self._in_flight -= 1
                # wake only as many as may now start: with a ceiling of 100 and a limit of 20,
                # waking every waiter on each answer costs more than the answer itself
                self._changed.notify(max(1, self.aimd.permits - self._in_flight))

    async def run(self, send: Callable[[], Awaitable[T]], *, max_refusals: int = 1000) -> T:
        """``send()`` in a slot; a ``TOO_MANY_REQUEST`` refusal cuts the limit and sends again.

        A refusal is proof the request was not processed, so sending it again is always safe;
        ``max_refusals`` only bounds a gateway that refuses forever (the refusal is raised).
        """
        refusals = 0
        while True:
            async with self.slot() as ticket:
                try:
                    result = await send()
                except ApiError as exc:
                    if exc.code != TOO_MANY_REQUEST or refusals >= max_refusals:
                        raise
                    ticket.rate_limited()
                    refusals += 1
                    continue
                ticket.ok()
                return result


def refusals_back(capture: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """``capture`` made to hand ``TOO_MANY_REQUEST`` back instead of retrying it, when it can.

    ``PayerMaxClient.capture`` takes ``retry_rate_limited=False``; a client without that option
    keeps retrying refusals itself, and the controller then learns from latency alone.
    """
    try:
        params = inspect.signature(capture).parameters
    except (TypeError, ValueError):
        return capture
    if "retry_rate_limited" not in params:
        return capture

    async def call(*args: Any, **kwargs: Any) -> T:
        return await capture(*args, retry_rate_limited=False, **kwargs)

    return call
