"""The latency signal: slow only past the recent best times the tolerance plus the loop's own lag,
congested only when that lasts a round trip; and the loop-lag probe that runs only while busy."""

from __future__ import annotations

import asyncio
import time

import pytest

from payermax_async.bulk.latency import FLOOR, LAG_WEIGHT, SATURATED, LatencyWatch, LoopLag, Speed


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        LatencyWatch(1.0)
    with pytest.raises(ValueError, match="window"):
        LatencyWatch(3.0, window=0)


def test_congested_only_after_a_whole_round_trip_of_slow_answers() -> None:
    w = LatencyWatch(3.0)
    assert w.baseline is None
    assert w.observe(0.05, 0.0, answers=4) is Speed.FAST
    assert w.baseline == 0.05 and w.threshold(0.0) == pytest.approx(0.15)
    speeds = [w.observe(1.0, 0.1, answers=4) for _ in range(4)]
    assert speeds == [Speed.SLOW, Speed.SLOW, Speed.SLOW, Speed.CONGESTED]
    w.reset()  # after a cut the count starts again
    assert w.observe(1.0, 0.2, answers=4) is Speed.SLOW
    for _ in range(30):  # answers fast again: the average comes down, the count resets
        w.observe(0.05, 0.3, answers=4)
    assert w.observe(0.05, 0.3, answers=4) is Speed.FAST


def test_sub_millisecond_round_trips_are_noise() -> None:
    w = LatencyWatch(3.0)
    w.observe(0.000_002, 0.0)  # a gateway on the same machine: microseconds
    assert w.threshold(0.0) == pytest.approx(3 * FLOOR)
    assert all(w.observe(0.000_5, 0.0) is Speed.FAST for _ in range(10))


def test_the_loops_lag_raises_the_bar() -> None:
    w = LatencyWatch(3.0)
    w.observe(0.05, 0.0)
    assert w.threshold(0.05) == pytest.approx(0.15 + LAG_WEIGHT * 0.05)
    for _ in range(20):
        assert w.observe(0.2, 1.0, lag=0.05) is Speed.FAST  # 4x the best, all of it the loop's
    assert w.observe(0.2, 1.0, lag=0.0) is Speed.CONGESTED


def test_the_best_is_the_recent_best() -> None:
    w = LatencyWatch(3.0, window=10.0)
    w.observe(0.001, 0.0)  # one freak fast answer
    w.observe(0.05, 5.0)
    assert w.baseline == 0.001
    w.observe(0.05, 12.0)  # the next window: the last one's best still counts
    assert w.baseline == 0.001
    w.observe(0.06, 21.0)  # two windows on: forgotten
    assert w.baseline == 0.05
    w.observe(0.07, 100.0)  # nothing for a long while: nothing before counts
    assert w.baseline == 0.07


async def test_the_lag_probe_runs_only_while_busy() -> None:
    busy = True
    probe = LoopLag(lambda: busy, interval=0.001)
    probe.start()
    probe.start()  # already running: one chain only
    assert probe.running
    await asyncio.sleep(0.005)  # later timers fire after the probe's
    assert probe.running and probe.lag >= 0.0
    busy = False
    await asyncio.sleep(0.005)
    assert not probe.running  # it stopped itself
    probe.start()
    probe.stop()
    assert not probe.running
    probe.stop()  # stopping twice is harmless


def test_lag_samples_are_smoothed_and_never_negative() -> None:
    probe = LoopLag(lambda: False)
    probe.sample(0.1)
    assert probe.lag == pytest.approx(0.02)
    probe.sample(-1.0)  # a timer cannot run early; a clock that says so is ignored
    assert probe.lag == pytest.approx(0.016)


def test_a_saturated_loop_is_no_verdict_on_the_gateway() -> None:
    w = LatencyWatch(3.0)
    w.observe(0.004, 0.0)  # a few in flight: the best
    speeds = [w.observe(0.08, 0.1, answers=4, saturated=True) for _ in range(8)]
    assert speeds == [Speed.FAST] * 8  # 20x the best, all of it this process's own queue
    assert w.smoothed == 0.004 and w.baseline == 0.004  # left out: they measured this process
    assert [w.observe(0.08, 0.2, answers=4) for _ in range(4)][-1] is Speed.CONGESTED  # unsaturated


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_cpu_share_of_the_loops_thread_is_measured_and_smoothed() -> None:
    cpu = _Clock()
    probe = LoopLag(lambda: False, cpu_clock=cpu, others_clock=_Clock())
    probe.measure(100.0)  # the first call only starts the clock
    assert probe.busy == 0.0 and not probe.saturated
    cpu.now += 0.0095
    probe.measure(100.01)  # the first interval counts in full: no warming up from zero
    assert probe.busy == pytest.approx(0.95) and probe.saturated
    now = 100.01
    for _ in range(30):  # on the CPU the whole time: signing inline, say
        now += 0.01
        cpu.now += 0.01
        probe.measure(now)
    assert probe.busy > SATURATED and probe.saturated
    for _ in range(30):  # waiting on the network: off the CPU
        now += 0.01
        cpu.now += 0.001
        probe.measure(now)
    assert probe.busy == pytest.approx(0.1, abs=0.01) and not probe.saturated
    probe.measure(now)  # no time passed: nothing to learn, nothing divided by zero
    assert probe.busy == pytest.approx(0.1, abs=0.01)


def test_a_busy_signing_thread_saturates_the_process_as_a_busy_loop_does() -> None:
    loop_cpu, others = _Clock(), _Clock()
    probe = LoopLag(lambda: False, cpu_clock=loop_cpu, others_clock=others)
    probe.measure(0.0)
    now = 0.0
    for _ in range(30):  # the loop half idle, the signing thread on the CPU all the time
        now += 0.01
        loop_cpu.now += 0.005
        others.now += 0.01
        probe.measure(now)
    assert probe.busy == pytest.approx(0.5, abs=0.01) and probe.helpers > SATURATED
    assert probe.saturated  # answers wait for our own signatures, not for the gateway
    for _ in range(30):  # the signing thread mostly idle again
        now += 0.01
        loop_cpu.now += 0.005
        others.now += 0.002
        probe.measure(now)
    assert probe.helpers == pytest.approx(0.2, abs=0.01) and not probe.saturated


def test_the_other_threads_clock_leaves_out_the_callers_own() -> None:
    from payermax_async.bulk.latency import _other_threads_cpu

    before = _other_threads_cpu()
    end = time.thread_time() + 0.05
    while time.thread_time() < end:  # this thread on the CPU; no other thread is
        pass
    assert _other_threads_cpu() - before < 0.02


async def test_the_probe_measures_the_cpu_share_on_each_tick() -> None:
    loop = asyncio.get_running_loop()
    probe = LoopLag(lambda: True, interval=0.001, cpu_clock=loop.time)  # "always on the CPU"
    probe.start()
    await asyncio.sleep(0.1)
    probe.stop()
    assert probe.saturated
