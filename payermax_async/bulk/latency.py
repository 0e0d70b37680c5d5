"""Telling the gateway's slowness from our own: the latency signal of the adaptive limit.

A round trip measured by a worker is the gateway's time plus the worker's: an event loop that
shares a few cores with other workers, the database and the gateway answers late, and a rule that
reads that as the gateway queueing cuts the limit for a reason the gateway never gave (measured:
3 workers on 2 cores ran at 0.57 of the fixed-limit rate with a "2x the best latency" rule). So a
round trip counts as slow only when all of these hold:

* the smoothed latency is over ``tolerance`` x the best round trip seen recently (the best of the
  last one or two ``window`` seconds, not of all time: one freak fast answer must not set the bar
  for the rest of the run; and never under ``FLOOR``, where a round trip is the machine's noise);
* plus what the loop's own lag explains: ``LAG_WEIGHT`` x how late a timer on the same loop runs
  (:class:`LoopLag`), since an answer waits for the loop once to be sent and once to be read;
* and, to count as congestion, it has stayed there for a whole round trip (``answers`` in a row),
  not one burst.

What a verdict does is the controller's business (:mod:`.adaptive`): it is secondary to the
gateway's own word, ``TOO_MANY_REQUEST``.
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import Callable

__all__ = ["FLOOR", "LAG_WEIGHT", "LatencyWatch", "LoopLag", "Speed"]

#: loop lag allowed for per round trip: one late wake-up to send, one to read the answer
LAG_WEIGHT = 2.0
#: below this, a round trip's length is the machine's noise: the best is never taken as less
FLOOR = 0.001
_SMOOTHING = 0.2  # weight of the newest sample in the moving averages


class Speed(enum.Enum):
    FAST = "fast"
    SLOW = "slow"  # the smoothed latency is over the bar now
    CONGESTED = "congested"  # and has been for a whole round trip


class LatencyWatch:
    """Says when the gateway, not this process, has been slow for a whole round trip.

    Pure arithmetic on the samples it is given (no clock of its own), so tests drive it with
    synthetic samples and times.
    """

    __slots__ = ("_best", "_best_before", "_over", "_window_end", "smoothed", "tolerance", "window")

    def __init__(self, tolerance: float, window: float = 10.0) -> None:
        if tolerance <= 1 or window <= 0:
            raise ValueError("need tolerance > 1 and window > 0")
        self.tolerance = tolerance
        self.window = window
        self.smoothed: float | None = None
        self._best = math.inf  # the best in the current window
        self._best_before = math.inf  # the best in the window before it
        self._window_end: float | None = None
        self._over = 0  # slow samples in a row

    @property
    def baseline(self) -> float | None:
        best = min(self._best, self._best_before)
        return None if best == math.inf else best

    def threshold(self, lag: float) -> float:
        """The smoothed latency above which a sample counts as slow (``inf`` before any sample)."""
        best = max(FLOOR, min(self._best, self._best_before))
        return self.tolerance * best + LAG_WEIGHT * lag

    def observe(self, latency: float, now: float, *, lag: float = 0.0, answers: int = 1) -> Speed:
        """Take one answered round trip; CONGESTED when the last ``answers`` were all slow."""
        if self._window_end is None or now >= self._window_end + self.window:
            # the first sample, or none for a whole window: what was best before is not recent
            self._best_before = self._best = math.inf
            self._window_end = now + self.window
        elif now >= self._window_end:
            self._best_before, self._best = self._best, math.inf
            self._window_end += self.window
        if latency < self._best:
            self._best = latency
        s = self.smoothed
        self.smoothed = s = latency if s is None else (1 - _SMOOTHING) * s + _SMOOTHING * latency
        best = self._best if self._best < self._best_before else self._best_before
        if s <= self.tolerance * (best if best > FLOOR else FLOOR) + LAG_WEIGHT * lag:  # threshold()
            self._over = 0
            return Speed.FAST
        self._over += 1
        return Speed.CONGESTED if self._over >= answers else Speed.SLOW

    def reset(self) -> None:
        """After a cut: the next verdict needs a fresh round trip of slow answers."""
        self._over = 0


class LoopLag:
    """How late this event loop runs a timer, smoothed: the loop's own share of a round trip.

    A chain of ``call_later`` callbacks (no task), running only while ``busy()`` says there is
    something to measure, so an idle limiter leaves nothing scheduled behind.
    """

    __slots__ = ("_busy", "_handle", "interval", "lag")

    def __init__(self, busy: Callable[[], bool], interval: float = 0.01) -> None:
        self.interval = interval
        self.lag = 0.0
        self._busy = busy
        self._handle: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        if self._handle is None:
            loop = asyncio.get_running_loop()
            due = loop.time() + self.interval
            self._handle = loop.call_at(due, self._tick, due)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def sample(self, late: float) -> None:
        self.lag = (1 - _SMOOTHING) * self.lag + _SMOOTHING * max(0.0, late)

    def _tick(self, due: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.sample(now - due)
        if self._busy():
            due = now + self.interval
            self._handle = loop.call_at(due, self._tick, due)
        else:
            self._handle = None
