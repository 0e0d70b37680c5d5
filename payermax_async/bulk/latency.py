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
  not one burst;
* and the loop is not saturated: while its thread is on the CPU ``SATURATED`` of the time or more
  (inline RSA signing at a high limit does that against a fast gateway), every answer waits in this
  loop's own queue for two or three turns of it, which the timer's lag undercounts. The round trip
  then measures this process, and says nothing about the gateway (measured: such a run cut itself
  from 64 to 26-31 in flight, in two runs of three, with the gateway idle).

What a verdict does is the controller's business (:mod:`.adaptive`): it is secondary to the
gateway's own word, ``TOO_MANY_REQUEST``.
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Callable

__all__ = ["FLOOR", "LAG_WEIGHT", "SATURATED", "LatencyWatch", "LoopLag", "Speed"]

#: loop lag allowed for per round trip: one late wake-up to send, one to read the answer
LAG_WEIGHT = 2.0
#: below this, a round trip's length is the machine's noise: the best is never taken as less
FLOOR = 0.001
#: the share of time on the CPU from which the loop's thread is its own bottleneck
SATURATED = 0.9
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

    def observe(
        self, latency: float, now: float, *, lag: float = 0.0, answers: int = 1, saturated: bool = False
    ) -> Speed:
        """Take one answered round trip; CONGESTED when the last ``answers`` were all slow.

        ``saturated``: this process's loop is its own bottleneck (:attr:`LoopLag.saturated`); the
        sample then measures this process, so it is left out (and costs a saturated loop nothing).
        """
        if saturated:
            self._over = 0
            return Speed.FAST
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


def _other_threads_cpu() -> float:
    """CPU time of this process's threads other than the caller's."""
    return time.process_time() - time.thread_time()


class LoopLag:
    """How late this event loop runs a timer, and how much of the time its thread (and the
    process's other threads: the client's signing thread) is on the CPU, smoothed: the local share
    of a round trip.

    A chain of ``call_later`` callbacks (no task), running only while ``busy()`` says there is
    something to measure, so an idle limiter leaves nothing scheduled behind. ``cpu_clock`` is
    the CPU time of the thread the loop runs in, ``others_clock`` that of the process's other
    threads; tests pass their own.
    """

    __slots__ = (
        "_busy",
        "_cpu",
        "_cpu_clock",
        "_first",
        "_handle",
        "_measured_at",
        "_others",
        "_others_clock",
        "busy",
        "helpers",
        "interval",
        "lag",
        "saturated",
    )

    def __init__(
        self,
        busy: Callable[[], bool],
        interval: float = 0.01,
        cpu_clock: Callable[[], float] = time.thread_time,
        others_clock: Callable[[], float] = _other_threads_cpu,
    ) -> None:
        self.interval = interval
        self.lag = 0.0
        self.busy = 0.0  # the share of time the loop's thread spent on the CPU
        self.helpers = 0.0  # the same for the process's other threads, together
        #: busy or helpers >= SATURATED: this process is its own bottleneck, an answer's wait mostly
        #: for the loop or for the signing thread (kept, not computed: read on every answer)
        self.saturated = False
        self._busy = busy
        self._handle: asyncio.TimerHandle | None = None
        self._cpu_clock = cpu_clock
        self._others_clock = others_clock
        self._cpu = 0.0
        self._others = 0.0
        self._measured_at: float | None = None
        self._first = True

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

    def measure(self, now: float) -> None:
        """Take the CPU shares since the last call (``now``: the loop's time). Called on the loop's
        thread: two clock reads per tick, never per request."""
        cpu, others, since = self._cpu_clock(), self._others_clock(), self._measured_at
        if since is not None and now > since:
            wall = now - since
            share = min(1.0, max(0.0, (cpu - self._cpu) / wall))
            helped = max(0.0, (others - self._others) / wall)
            if self._first:
                # the first interval is taken as it is: a run's first round trips, when the limit
                # climbs fastest, must not wait for an average to warm up from zero
                self.busy, self.helpers = share, helped
            else:
                self.busy = (1 - _SMOOTHING) * self.busy + _SMOOTHING * share
                self.helpers = (1 - _SMOOTHING) * self.helpers + _SMOOTHING * helped
            self.saturated = self.busy >= SATURATED or self.helpers >= SATURATED
            self._first = False
        self._cpu, self._others, self._measured_at = cpu, others, now

    def _tick(self, due: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.sample(now - due)
        self.measure(now)
        if self._busy():
            due = now + self.interval
            self._handle = loop.call_at(due, self._tick, due)
        else:
            self._handle = None
