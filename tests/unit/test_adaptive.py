"""The AIMD controller, the adaptive limiter, rate-limit refusals handed back by the client, and
``capture_many(adaptive=True)`` against a gateway that refuses past its concurrency limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from payermax_async import PayerMaxClient
from payermax_async.bulk import CaptureItem, OutcomeStatus, capture_many
from payermax_async.bulk.adaptive import AdaptiveLimiter, Aimd, AimdSettings, Ticket, refusals_back
from payermax_async.errors import ApiError, OutcomeUnknownError, ResponseLostError
from payermax_async.types import CaptureResult, CaptureStatus

from ..support import URL, Keys, ScriptedGateway, capture_data, reply, sent_bodies


class LimitedGateway:
    """Allows ``limit`` captures in flight, each ``service`` seconds; refuses past it at once."""

    def __init__(self, limit: int, service: float) -> None:
        self.limit = limit
        self.service = service
        self.in_flight = self.peak = self.refused = 0
        self.captured: dict[str, str] = {}

    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
        *,
        retry_rate_limited: bool = True,
    ) -> CaptureResult:
        assert request_id is not None and not retry_rate_limited
        if self.in_flight >= self.limit:
            self.refused += 1
            await asyncio.sleep(0)
            raise ApiError("TOO_MANY_REQUEST", "limit", operation="capture")
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.service)
        finally:
            self.in_flight -= 1
        assert self.captured.setdefault(out_trade_no, request_id) == request_id
        return CaptureResult(
            capture_no="C" + request_id[:20],
            request_id=request_id,
            out_trade_no=out_trade_no,
            amount=Decimal(str(amount)),
            currency=currency,
            status=CaptureStatus.SUCCESS,
        )


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="floor"):
        AimdSettings(ceiling=0)
    with pytest.raises(ValueError, match="floor"):
        AimdSettings(ceiling=5, floor=6)
    with pytest.raises(ValueError, match="decrease"):
        AimdSettings(ceiling=5, decrease=1.0)
    with pytest.raises(ValueError, match="latency_tolerance"):
        AimdSettings(ceiling=5, latency_tolerance=1.0)
    with pytest.raises(ValueError, match="latency_window"):
        AimdSettings(ceiling=5, latency_window=0)
    assert AimdSettings(ceiling=3, initial=10).start() == 3.0


def test_slow_start_doubles_per_round_trip_while_the_limit_is_full() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=4))
    for _ in range(4):
        a.success(0, 0.05, now=0.05)
    assert a.permits == 8
    for _ in range(8):
        a.success(0, 0.05, now=0.1)
    assert a.permits == 16
    for _ in range(8):  # answers while nothing waited for a seat: the limit was not the bottleneck
        a.success(0, 0.05, now=0.15, limited=False)
    assert a.permits == 16


def test_a_refusal_cuts_to_the_level_it_was_sent_at_and_ends_slow_start() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=32))
    a.rate_limited(0, level=21)  # sent as the 21st in flight
    assert a.limit == pytest.approx(0.95 * 21) and (a.epoch, a.refused) == (1, True)
    assert a.w_max is None  # slow start's level is a burst's: no cautious band around it
    a.success(1, 0.05, now=1.0)
    assert a.limit == pytest.approx(0.95 * 21 + 1 / (0.95 * 21))  # additive from now on


def test_one_cut_per_episode_and_the_closed_epoch_can_only_deepen_it() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=40))
    a.rate_limited(0, level=32)  # slow start's last burst: refusals come back in any order
    assert a.limit == pytest.approx(0.95 * 32) and a.epoch == 1
    for level in (30, 24, 21, 27):  # the same episode: each can only lower the cut to its level
        a.rate_limited(0, level=level)
    assert a.limit == pytest.approx(0.95 * 21) and a.epoch == 1
    a.rate_limited(1, level=20)  # sent after the cut: a new episode
    assert a.limit == pytest.approx(0.95 * 0.95 * 21) and a.epoch == 2 and a.w_max == pytest.approx(0.95 * 21)
    before = a.limit
    a.rate_limited(0, level=5)  # two epochs old: already answered
    assert a.limit == before and a.epoch == 2


def test_refused_where_it_was_refused_before_the_limit_steps_back_one() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=21))
    a.epoch = 1  # past slow start
    a.rate_limited(1, level=21)
    assert a.limit == pytest.approx(0.95 * 21) and a.w_max == 21
    a.limit = 21.3
    a.rate_limited(2, level=21)  # the gateway has not moved: back to the level that last worked
    assert a.limit == 20.0 and a.epoch == 3
    a.rate_limited(2, level=21)  # the same episode, the same level: nothing new
    assert a.limit == 20.0
    a.rate_limited(3, level=18)  # refused lower than before: the gateway's limit came down
    assert a.limit == pytest.approx(0.95 * 18) and a.w_max == 18


def test_growth_is_cautious_only_near_the_last_refusal_level() -> None:
    s = AimdSettings(ceiling=60, cautious_slowdown=16.0)
    assert s.grow(20.0, 20.0, w_max=21.0) == pytest.approx(20 + 1 / 16)
    assert s.grow(10.0, 10.0, w_max=21.0) == pytest.approx(11.0)
    assert s.grow(30.0, 30.0, w_max=21.0) == pytest.approx(31.0)  # past it: the gateway's limit grew
    assert s.grow(22.0, 22.0, w_max=21.0) == pytest.approx(23.0)
    assert s.grow(21.5, 21.5, w_max=21.0) == pytest.approx(21.5 + 1 / 16)  # at it: the next refusal is due
    assert s.grow(10.0, 5.0, w_max=None, slow_start=True) == 15.0
    assert s.grow(59.9, 1000.0, w_max=None, slow_start=True) == 60.0  # the ceiling
    assert s.cut(1.5, 0.5) == 1.0  # the floor


def _slow(a: Aimd, n: int, latency: float, now: float, *, lag: float = 0.0) -> None:
    for _ in range(n):
        a.success(a.epoch, latency, now, lag=lag)


def test_rising_latency_cuts_after_a_whole_round_trip_while_the_gateway_never_refused() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=10))
    a.epoch = 1  # past slow start
    a.limit = 10.0
    _slow(a, 10, 0.05, now=0.0)  # the baseline
    grown = a.limit
    _slow(a, 5, 1.0, now=1.0)  # slow, but not yet for a whole round trip
    assert a.epoch == 1 and a.limit == grown
    _slow(a, 10, 1.0, now=1.1)
    assert a.epoch == 2 and a.limit == pytest.approx(grown * 0.95)


def test_after_a_refusal_latency_only_stops_the_climb() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=10))
    a.rate_limited(0, level=11)
    level = a.limit
    _slow(a, 10, 0.05, now=0.0)
    level = a.limit
    _slow(a, 200, 1.0, now=1.0)  # slow for many round trips: no cut, no growth
    assert (a.epoch, a.limit) == (1, level)


def test_the_loops_own_lag_is_not_taken_for_the_gateways() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=10))
    a.epoch, a.limit = 1, 10.0
    _slow(a, 10, 0.05, now=0.0)
    _slow(a, 100, 0.2, now=1.0, lag=0.04)  # 4x the best, but the loop itself runs 40 ms late
    assert a.epoch == 1 and a.limit > 10.0


def test_a_saturated_loops_latency_neither_cuts_nor_holds_the_limit() -> None:
    a = Aimd(AimdSettings(ceiling=64, initial=4))
    for _ in range(4):
        a.success(0, 0.004, 0.0)  # the first few in flight: 4 ms
    for i in range(200):  # more in flight, each waiting for this process's own RSA: 20x longer
        a.success(0, 0.08, 0.01 * i, saturated=True)
    assert a.epoch == 0 and a.limit == 64.0  # no cut, and up to the ceiling, as a fixed limit would


async def test_the_limiter_tells_the_controller_when_its_loop_is_saturated() -> None:
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=64, initial=4)), clock=lambda: 0.0)
    lim.aimd.success(0, 0.004, 0.0)
    lim.lag.busy, lim.lag.saturated = 1.0, True  # as the probe measures a loop signing inline
    held = [await lim.acquire() for _ in range(lim.aimd.permits)]
    for t in held:
        lim.aimd.latency.observe(1.0, 0.0)  # far over the bar: each would count towards a cut
        t.ok()
        lim.release(t)
    assert lim.aimd.epoch == 0 and lim.aimd.limit > 4
    lim.lag.stop()


# ------------------------------------------------------------- the controller against a model gateway


def _run(
    aimd: Aimd,
    limit: int,
    rounds: int,
    latency: Callable[[int], float] = lambda in_flight: 0.05,
    lag: float = 0.0,
) -> tuple[list[int], int, int]:
    """Round trips against a gateway that allows ``limit`` in flight and refuses the rest at once
    (refusals answer first, the highest level first, as a burst's may); demand never runs out.
    Returns the permits per round trip, requests sent and refused."""
    history: list[int] = []
    sent = refused = 0
    now = 0.0
    for _ in range(rounds):
        epoch, permits = aimd.epoch, aimd.permits
        history.append(permits)
        for level in range(permits, limit, -1):
            aimd.rate_limited(epoch, level)
        refused += max(0, permits - limit)
        sent += permits
        now += 0.05
        for _ in range(min(permits, limit)):
            aimd.success(epoch, latency(permits), now, lag=lag)
    return history, sent, refused


def test_against_a_refusing_gateway_it_runs_at_the_limit_with_few_refusals() -> None:
    aimd = Aimd(AimdSettings(ceiling=100))
    history, sent, refused = _run(aimd, limit=20, rounds=400)
    assert history.index(16) == 2 and history[3] == 32  # slow start: 4, 8, 16, 32 ...
    settled = history[10:]
    assert max(settled) <= 21 and min(settled) >= 19
    assert sum(min(p, 20) for p in settled) / (20 * len(settled)) >= 0.97
    assert refused / sent <= 0.01


def test_a_busy_workers_lag_does_not_hold_it_below_the_limit() -> None:
    import random

    rng = random.Random(7)
    aimd = Aimd(AimdSettings(ceiling=100))
    # the worker's loop runs 0-300 ms late: answers take 1-7x the gateway's 50 ms, at random
    history, _, refused = _run(aimd, 20, 300, latency=lambda _: 0.05 + rng.uniform(0, 0.3), lag=0.15)
    assert aimd.refused and refused > 0
    assert sum(min(p, 20) for p in history[10:]) / (20 * len(history[10:])) >= 0.97


def test_against_a_queueing_gateway_latency_stops_it_far_below_the_ceiling() -> None:
    aimd = Aimd(AimdSettings(ceiling=200))
    # never refuses; past 10 in flight each answer waits in its queue
    history, _, refused = _run(aimd, 10_000, 300, latency=lambda n: 0.05 * max(1.0, n / 10))
    assert refused == 0 and aimd.epoch > 0 and not aimd.refused
    assert min(history[50:]) >= 10 and max(history[50:]) <= 45


async def test_limiter_finds_the_limit_and_sends_refused_requests_again() -> None:
    gw = LimitedGateway(limit=8, service=0.002)
    # latency here is the event loop's, not a gateway's queue: leave only the refusal signal
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=50, latency_tolerance=1e6)))
    send = refusals_back(gw.capture)

    async def one(otn: str) -> CaptureResult:
        rid = uuid.uuid4().hex
        return await lim.run(lambda: send(otn, "1.00", "USD", request_id=rid))

    results = await asyncio.gather(*(one(f"O{i}") for i in range(600)))
    assert len(results) == len(gw.captured) == 600 and lim.in_flight == 0
    assert lim.succeeded == 600 and lim.refused == gw.refused > 0
    assert lim.aimd.cuts >= 1 and lim.aimd.w_max is not None
    assert 4 <= lim.aimd.permits <= 10  # settled around the gateway's 8, far below the ceiling
    assert gw.peak <= 8


async def test_limiter_hands_seats_out_in_order_and_a_cancelled_waiter_passes_its_seat_on() -> None:
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=10, initial=2)))
    first, second = await lim.acquire(), await lim.acquire()
    assert (first.in_flight, second.in_flight, lim.in_flight) == (1, 2, 2)
    order: list[str] = []

    async def wait(name: str) -> None:
        ticket = await lim.acquire()
        order.append(name)
        lim.release(ticket)

    levels: list[int] = []

    async def level() -> None:
        ticket = await lim.acquire()
        levels.append(ticket.in_flight)

    a, b, c = (asyncio.create_task(wait(n)) for n in "abc")
    await asyncio.sleep(0)
    b.cancel()  # cancelled while waiting: it leaves the queue
    await asyncio.sleep(0)
    lim.release(first)  # no verdict: no signal, the limit stays 2
    lim.release(second)
    await asyncio.gather(a, c, return_exceptions=True)
    assert order == ["a", "c"] and lim.in_flight == 0 and lim.aimd.limit == 2.0
    await asyncio.sleep(lim.lag.interval * 2)  # a timer due after the probe's next tick
    assert not lim.lag.running  # idle: it stopped itself, nothing left scheduled
    held = [await lim.acquire(), await lim.acquire()]
    burst = [asyncio.create_task(level()) for _ in range(2)]
    await asyncio.sleep(0)
    lim.aimd.limit = 4.0
    for t in held:
        lim.release(t)  # both waiters woken at once: each knows the level it was let in at
    await asyncio.gather(*burst)
    assert sorted(levels) == [2, 3] and lim.in_flight == 2  # not both the count when they ran (2)
    lim.release(Ticket(0.0, 0, 1))
    lim.release(Ticket(0.0, 0, 2))
    lim.aimd.limit = 2.0

    held = [await lim.acquire(), await lim.acquire()]
    late = asyncio.create_task(lim.acquire())
    await asyncio.sleep(0)
    lim.release(held[0])  # hands the seat to `late`...
    late.cancel()  # ...which is cancelled before it runs: the seat goes back
    with pytest.raises(asyncio.CancelledError):
        await late
    assert lim.in_flight == 1
    lim.release(held[1])
    assert lim.in_flight == 0


async def test_only_a_full_limit_grows() -> None:
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=10, initial=4)), clock=lambda: 0.0)
    for _ in range(3):  # one at a time: the limit of 4 was never in the way
        async with lim.slot() as ticket:
            ticket.ok()
    assert lim.aimd.limit == 4.0 and lim.succeeded == 3
    tickets = [await lim.acquire() for _ in range(4)]
    for t in tickets:
        t.ok()
        lim.release(t)
    assert lim.aimd.limit == 5.0  # only the first answer came while all 4 seats were taken


def test_a_request_refused_again_backs_off_more_each_time_up_to_a_second() -> None:
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=10)))
    assert [lim.backoff(n) for n in (2, 3, 4)] == [0.05, 0.1, 0.2]
    assert lim.backoff(30) == 1.0
    lim.aimd.latency.observe(0.2, 0.0)
    assert lim.backoff(2) == 0.2  # one round trip at first


async def test_limiter_raises_other_errors_and_a_refusal_past_the_bound() -> None:
    lim = AdaptiveLimiter(Aimd(AimdSettings(ceiling=4)))

    async def refuse() -> None:
        raise ApiError("TOO_MANY_REQUEST", "limit")

    async def decline() -> None:
        raise ApiError("AUTH_EXPIRED", "no")

    with pytest.raises(ApiError, match="limit"):
        await lim.run(refuse, max_refusals=3)
    assert lim.refused == 3 and lim.in_flight == 0
    with pytest.raises(ApiError, match="no"):
        await lim.run(decline)


async def test_refusals_back_leaves_a_client_without_the_option_alone() -> None:
    async def plain(out_trade_no: str) -> str:
        return out_trade_no

    assert refusals_back(plain) is plain
    builtin = cast(Callable[..., Awaitable[None]], print)  # no signature to read
    assert refusals_back(builtin) is builtin


async def test_capture_many_adaptive_captures_everything_without_being_told_the_limit() -> None:
    gw = LimitedGateway(limit=6, service=0.003)
    items = [CaptureItem(f"ORD{i}", "1.00", "USD") for i in range(300)]
    outcomes = [o async for o in capture_many(gw, items, concurrency=40, adaptive=True)]
    assert [o.status for o in outcomes] == [OutcomeStatus.CAPTURED] * 300
    assert len(gw.captured) == 300 and gw.peak <= 6
    assert {o.request_id for o in outcomes} == set(gw.captured.values())


def _answers(keys: Keys, *codes: str) -> Callable[..., Any]:
    calls = iter(codes)

    def callback(url: Any, **kwargs: Any) -> Any:
        code = next(calls, codes[-1])
        if code == "APPLY_SUCCESS":
            return reply(keys, data=capture_data())
        return reply(keys, code)

    return callback


async def test_capture_hands_a_rate_limit_refusal_back_when_asked(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_answers(keys, "TOO_MANY_REQUEST", "APPLY_SUCCESS"), repeat=True)
    with pytest.raises(ApiError) as info:
        await client.capture("ORD_1", "10.00", "USD", "R-1", retry_rate_limited=False)
    assert info.value.code == "TOO_MANY_REQUEST" and len(sent_bodies(gateway)) == 1
    # by default the refusal is retried inside the call
    result = await client.capture("ORD_1", "10.00", "USD", "R-1")
    assert result.capture_no == "CP-1" and len(sent_bodies(gateway)) == 2


async def test_a_refusal_after_a_lost_answer_is_still_an_unknown_outcome(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, exception=ResponseLostError("no response"))
    gateway.post(URL, callback=_answers(keys, "TOO_MANY_REQUEST"), repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await client.capture("ORD_1", "10.00", "USD", "R-1", retry_rate_limited=False)
    assert len(sent_bodies(gateway)) == 2


async def test_a_client_view_with_options_still_hands_a_refusal_back(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    # with_options sets defaults; the merge with them must keep the call's own retry_rate_limited,
    # or an adaptive capture_many on such a view never sees a refusal (the client retries it)
    gateway.post(URL, callback=_answers(keys, "TOO_MANY_REQUEST", "APPLY_SUCCESS"), repeat=True)
    view = client.with_options(timeout=5.0, max_retries=2)
    with pytest.raises(ApiError) as info:
        await view.capture("ORD_1", "10.00", "USD", "R-1", retry_rate_limited=False)
    assert info.value.code == "TOO_MANY_REQUEST" and len(sent_bodies(gateway)) == 1
