"""Finding the gateway's concurrency limit instead of asking the user to guess it.

PayerMax refuses requests beyond a per-interface concurrency limit (``TOO_MANY_REQUEST``) and does
not say what the limit is. :class:`Aimd` probes for it the way TCP probes a path:

* **slow start**: the limit doubles per round trip (one more per answer) until the first cut, so
  a ceiling of 100 over a gateway limit of 20 is found within a few round trips;
* **additive increase** after that: one more request in flight per round trip, ``cautious_slowdown``
  times slower from ``cautious_band`` below the level of the last refusal up to it, where the next
  one is due (not of the refusal that ends slow start: that one comes in a burst and its level is
  rough); past it without a refusal, the gateway's limit has grown, and the pace is normal again;
* **multiplicative decrease** on a refusal: ``decrease`` x the number in flight when the refused
  request was sent (the level that proved too many). That is also how slow start ends: TCP halves
  there because it cannot tell where in the last doubling the path filled up; a refusal can. A
  refusal at (or above) the level of the last one says the gateway has not moved: the limit steps
  back one request instead, to the level that last worked;
* **one cut per congestion episode**: every request carries the *epoch* it was sent in (the number
  of cuts so far), and only a request sent since the last cut can cut again. The overshoot behind
  a cut is answered by several refusals, and they are one signal, not several: one sent in the
  epoch just closed can only lower that cut to ``decrease`` x its own level (slow start's last
  burst is refused at many levels, and the lowest is the one that tells). Fleet-wide the epoch is
  the database row's (:class:`~.fleet.FleetLimit`), so workers refused in the same episode cut
  the shared limit once, not once each.

Latency is the secondary signal (:mod:`.latency`): a gateway that queues instead of refusing
shows its limit as rising latency. A slow answer (slower than the loop's own lag explains) never
raises the limit; slowness for a whole round trip cuts it by ``latency_decrease``, but only while
the gateway has never refused. Once it has, the gateway states its limit itself, and latency only
stops the probe from climbing: a busy worker's own lag can then never push the limit below the
level the gateway allows (it did: 3 workers on 2 cores ran at 0.57x of the fixed limit's rate).

``--concurrency`` becomes the ceiling the probe never passes. :class:`AdaptiveLimiter` runs the
rule for one event loop; :class:`~.fleet.FleetLimit` keeps it in a PostgreSQL row for a fleet.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from ..codes import TOO_MANY_REQUEST
from ..errors import ApiError
from .latency import LatencyWatch, LoopLag, Speed

__all__ = ["AdaptiveLimiter", "Aimd", "AimdSettings", "Ticket", "refusals_back"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AimdSettings:
    ceiling: int
    floor: int = 1
    initial: int = 4
    #: requests added to the limit per round trip (per ``limit`` successes)
    increase: float = 1.0
    #: multiplier applied on a refusal (to the number in flight when the refused request was sent)
    decrease: float = 0.95
    #: multiplier applied on a slow verdict, while the gateway has never refused
    latency_decrease: float = 0.95
    #: a round trip is slow past this many times the best one seen recently (plus the loop's lag)
    latency_tolerance: float = 3.0
    #: seconds over which "the best one seen recently" is kept
    latency_window: float = 10.0
    #: from this far below the last refusal level up to it, probe this many times slower
    cautious_band: float = 2.0
    cautious_slowdown: float = 16.0

    def __post_init__(self) -> None:
        if not 1 <= self.floor <= self.ceiling:
            raise ValueError("need 1 <= floor <= ceiling")
        if not 0 < self.decrease < 1 or not 0 < self.latency_decrease < 1:
            raise ValueError("decrease factors must be in (0, 1)")
        if self.increase <= 0 or self.latency_tolerance <= 1 or self.cautious_slowdown < 1:
            raise ValueError("increase > 0, latency_tolerance > 1, cautious_slowdown >= 1")
        if self.latency_window <= 0:
            raise ValueError("latency_window must be > 0")

    def start(self) -> float:
        return float(min(max(self.initial, self.floor), self.ceiling))

    def grow(self, limit: float, successes: float, w_max: float | None, *, slow_start: bool = False) -> float:
        if slow_start:  # +1 per success (doubling per round trip) until the first cut
            return min(float(self.ceiling), limit + successes)
        step = self.increase * successes / max(limit, 1.0)
        if w_max is not None and w_max - self.cautious_band <= limit < w_max + 1:  # past it: it grew
            step /= self.cautious_slowdown
        return min(float(self.ceiling), limit + step)

    def cut(self, limit: float, factor: float) -> float:
        return max(float(self.floor), limit * factor)

    def watch(self) -> LatencyWatch:
        return LatencyWatch(self.latency_tolerance, self.latency_window)


class Aimd:
    """The controller's state for one process; pure arithmetic on the answers it is told about."""

    def __init__(self, settings: AimdSettings) -> None:
        self.settings = settings
        self.limit = settings.start()
        self.w_max: float | None = None  # the level of the last refusal since slow start
        self.epoch = 0  # cuts so far; slow start while 0
        self.refused = False  # the gateway has refused at least once: latency only holds
        self.latency = settings.watch()
        self._level = math.inf  # the level of the refusal that cut last

    @property
    def cuts(self) -> int:
        return self.epoch

    @property
    def limit(self) -> float:
        """The concurrency limit, fractional: it grows by fractions of one per answer."""
        return self._limit

    @limit.setter
    def limit(self, value: float) -> None:
        self._limit = value
        #: requests that may be in flight: read on every request, so kept rather than computed
        self.permits = max(self.settings.floor, int(value))

    def success(
        self,
        epoch: int,
        latency: float,
        now: float,
        *,
        lag: float = 0.0,
        limited: bool = True,
        saturated: bool = False,
    ) -> None:
        """An answer to a request sent in ``epoch``, ``latency`` s after it was sent.

        ``limited``: the limit was holding requests back when it came (others waiting, or all
        seats taken). Only then does an answer raise it: a limit nobody fills proves nothing, and
        one that grew while idle would let the next burst far past the gateway's.
        """
        speed = self.latency.observe(latency, now, lag=lag, answers=self.permits, saturated=saturated)
        if speed is Speed.CONGESTED and not self.refused and epoch == self.epoch:
            self._cut(self.settings.latency_decrease)
        elif speed is Speed.FAST and limited and self._limit < self.settings.ceiling:
            # a slow answer never raises the limit; at the ceiling there is nothing to add
            self.limit = self.settings.grow(self._limit, 1.0, self.w_max, slow_start=self.epoch == 0)

    def rate_limited(self, epoch: int, level: float | None = None) -> None:
        """A ``TOO_MANY_REQUEST`` for a request sent in ``epoch`` with ``level`` in flight (itself too)."""
        self.refused = True
        if epoch == self.epoch:
            self._refused_at(self.limit if level is None else min(level, self.limit), epoch)
            self.epoch += 1
            self.latency.reset()
        elif epoch == self.epoch - 1 and level is not None and level < self._level:
            self._refused_at(level, epoch)  # the episode just cut for, refused lower: that level tells
        # older: that overshoot is already answered

    def _refused_at(self, level: float, episode: int) -> None:
        s = self.settings
        # where the last refusal was, the gateway has not moved: step back one, to what last worked
        unmoved = self.w_max is not None and level >= self.w_max
        self.limit = max(float(s.floor), level - 1 if unmoved else level * s.decrease)
        self._level = level
        if episode > 0:  # slow start's level is a burst's, too rough to keep
            self.w_max = level

    def _cut(self, factor: float) -> None:
        self.limit = self.settings.cut(self.limit, factor)
        self.epoch += 1
        self.latency.reset()


class Ticket(msgspec.Struct, gc=False):
    """One request's seat. Say how it went: ``ok()`` or ``rate_limited()``; anything else is no signal.

    (A Struct built in C, and left out of garbage collection: it holds only numbers, and one is
    made per request.)
    """

    started: float
    epoch: int
    in_flight: int  # itself included
    verdict: bool | None = None

    def ok(self) -> None:
        self.verdict = True

    def rate_limited(self) -> None:
        self.verdict = False


class AdaptiveLimiter:
    """A semaphore whose size is the controller's limit, for one event loop.

    Waiters queue in FIFO order and each release wakes only as many as may now start: with a
    ceiling of 100 over a limit of 20, waking every waiter on each answer cost more than the answer.
    """

    def __init__(self, aimd: Aimd, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.aimd = aimd
        self._clock = clock
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[int]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.lag = LoopLag(self._busy)
        self.refused = 0
        self.succeeded = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _busy(self) -> bool:
        return self._in_flight > 0 or bool(self._waiters)

    def try_acquire(self) -> Ticket | None:
        """A seat now if one is free and nobody is ahead in line; no coroutine, no future."""
        if self._waiters or self._in_flight >= self.aimd.permits:
            return None
        self._in_flight += 1
        self.lag.start()
        return Ticket(self._clock(), self.aimd.epoch, self._in_flight)

    async def acquire(self) -> Ticket:
        if self._waiters or self._in_flight >= self.aimd.permits:
            if self._loop is None:  # asked once: on 3.11 each ask is a getpid() syscall
                self._loop = asyncio.get_running_loop()
            fut: asyncio.Future[int] = self._loop.create_future()
            self._waiters.append(fut)
            try:
                level = await fut  # the seat is counted for us by whoever resolves fut, at this level
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._in_flight -= 1  # handed a seat just as we were cancelled: pass it on
                else:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(fut)
                self._wake()
                raise
        else:
            self._in_flight += 1
            level = self._in_flight
        self.lag.start()
        return Ticket(self._clock(), self.aimd.epoch, level)

    def release(self, ticket: Ticket) -> None:
        now = self._clock()
        if ticket.verdict is True:
            self.succeeded += 1
            limited = bool(self._waiters) or self._in_flight >= self.aimd.permits
            lag = self.lag
            self.aimd.success(
                ticket.epoch, now - ticket.started, now, lag=lag.lag, limited=limited, saturated=lag.saturated
            )
        elif ticket.verdict is False:
            self.refused += 1
            self.aimd.rate_limited(ticket.epoch, ticket.in_flight)
        self._in_flight -= 1
        if self._waiters:
            self._wake()
        # The lag probe stops itself at its next tick once idle: stopping it here would cancel
        # and re-arm a timer on every request of a run one at a time.

    def _wake(self) -> None:
        permits = self.aimd.permits
        while self._waiters and self._in_flight < permits:
            fut = self._waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(self._in_flight)  # its level: a burst woken at once is not all at the top

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Ticket]:
        ticket = await self.acquire()
        try:
            yield ticket
        finally:
            self.release(ticket)

    async def run(self, send: Callable[..., Awaitable[T]], *args: Any, max_refusals: int = 30) -> T:
        """``send(*args)`` in a slot; a ``TOO_MANY_REQUEST`` refusal cuts the limit and sends again.

        A refusal is proof the request was not processed, so sending it again is always safe. A
        request refused twice in a row waits (jittered, doubling, at most 1 s) before its next
        try, outside its slot, so a gateway that refuses everything is not sent a tight loop; after
        ``max_refusals`` (about 15 s of them) the refusal is raised: the item's outcome is "not
        processed", safe to run again, instead of a run that never ends.
        """
        refusals = 0
        while True:
            ticket = self.try_acquire() or await self.acquire()
            try:
                result = await send(*args)  # args passed through: no partial per call
            except ApiError as exc:
                if exc.code != TOO_MANY_REQUEST or refusals >= max_refusals:
                    raise
                ticket.rate_limited()
                refusals += 1
            else:
                ticket.ok()
                return result
            finally:
                self.release(ticket)
            if refusals > 1:
                await asyncio.sleep(random.random() * self.backoff(refusals))

    def backoff(self, refusals: int) -> float:
        """The most a request refused ``refusals`` times waits before its next try."""
        round_trip = self.aimd.latency.baseline or 0.05
        return float(min(1.0, round_trip * 2.0 ** (refusals - 2)))


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

    # A plain function, not functools.partial: a partial with a keyword copies its keyword dict
    # on every call, one more object per capture for the garbage collector to count.
    def send(*args: Any, **kwargs: Any) -> Awaitable[T]:
        return capture(*args, retry_rate_limited=False, **kwargs)

    return send
