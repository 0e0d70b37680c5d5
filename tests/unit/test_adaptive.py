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
from payermax_async.bulk.adaptive import AdaptiveLimiter, Aimd, AimdSettings, refusals_back
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
    assert AimdSettings(ceiling=3, initial=10).start() == 3.0


def test_slow_start_doubles_then_the_first_refusal_halves() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=4))
    for _ in range(4):
        a.success(started=0.0, latency=0.05, now=0.1)
    assert a.permits == 8
    a.rate_limited(started=0.1, now=0.2)
    assert (a.limit, a.w_max, a.cuts) == (4.0, 8.0, 1)


def test_one_cut_per_round_trip_and_additive_growth_after() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=40))
    a.rate_limited(started=1.0, now=1.05)  # leaves slow start: 20
    a.rate_limited(started=1.0, now=1.06)  # sent before the cut: already answered
    assert (a.limit, a.cuts) == (20.0, 1)
    a.rate_limited(started=1.1, now=1.2)  # sent after it: 0.9x
    assert a.limit == pytest.approx(18.0) and a.cuts == 2
    a.w_max = 100.0  # far from the last refusal: +1 per `limit` successes
    for _ in range(18):
        a.success(started=2.0, latency=0.05, now=2.1)
    assert a.limit == pytest.approx(19.0, abs=0.05)


def test_growth_slows_near_the_last_refusal_level_and_stops_at_the_ceiling() -> None:
    s = AimdSettings(ceiling=21, cautious_slowdown=8.0)
    assert s.grow(20.0, 20.0, w_max=21.0) == pytest.approx(20.125)
    assert s.grow(10.0, 10.0, w_max=21.0) == pytest.approx(11.0)
    assert s.grow(20.9, 1000.0, w_max=50.0) == 21.0
    assert s.cut(1.5, 0.5) == 1.0  # the floor


def test_rising_latency_cuts_gently() -> None:
    a = Aimd(AimdSettings(ceiling=100, initial=20))
    a.w_max = 30.0
    a.success(started=0.0, latency=0.05, now=0.05)
    before = a.limit
    for i in range(10):  # the gateway starts queueing: latency x4
        a.success(started=1.0 + i, latency=0.2, now=1.2 + i)
    assert a.cuts >= 1 and a.limit < before
    assert a.limit > before * 0.95**10 - 1e-9


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
