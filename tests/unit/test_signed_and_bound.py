"""Only what PayerMax signed is believed, and only when it is about this request (issue 12).

Each test here failed before the fix it names: unsigned answers believed (1), answers not bound to
their request (2), a clock offset learnt from anything (3), a closed client hanging or leaking a
bare CancelledError (8), raw exceptions from hostile signed bodies or a second event loop (10).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime

import pytest

from payermax_async import (
    CaptureItem,
    ClientClosedError,
    OutcomeStatus,
    OutcomeUnknownError,
    PayerMaxClient,
    PayerMaxError,
    UnboundResponseError,
)
from payermax_async._envelope import format_request_time
from payermax_async.transport import MockRequest

from ..support import URL, Keys, Reply, ScriptedGateway, capture_data, reply, sent_bodies

TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$"


def echo(keys: Keys, **overrides: str) -> Callable[..., Reply]:
    """A signed success about the request it answers, with ``overrides`` applied on top."""

    def answer(url: str, **kw: object) -> Reply:
        sent = json.loads(kw["data"])["data"]  # type: ignore[arg-type]
        data = capture_data(requestId=sent["requestId"], outTradeNo=sent["outTradeNo"])
        data.update(overrides)
        return reply(keys, data=data)

    return answer


# ------------------------------------------------------------------------------ defect 2: binding


@pytest.mark.parametrize(("field", "value"), [("outTradeNo", "ORD_2"), ("requestId", "R-other")])
async def test_a_signed_answer_about_another_request_is_no_answer(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, field: str, value: str
) -> None:
    gateway.post(URL, callback=echo(keys, **{field: value}), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert isinstance(info.value.__cause__, UnboundResponseError)
    assert len(sent_bodies(gateway)) == 3  # replayed under the same id, never taken as ours


async def test_the_replay_after_an_unbound_answer_gets_the_real_one(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=echo(keys, outTradeNo="ORD_2", captureNo="CP-OTHER"))
    gateway.post(URL, callback=echo(keys))
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert (result.out_trade_no, result.request_id, result.capture_no) == ("ORD_1", "R-1", "CP-1")


async def test_out_trade_no_is_bound_without_regard_to_case(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=echo(keys, outTradeNo="ord_1"))
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert result.out_trade_no == "ord_1" and len(sent_bodies(gateway)) == 1


# ------------------------------------------------------------------------------ defect 3: the clock


def _skew(keys: Keys, date: str, *, sign: bool = True) -> Reply:
    return reply(keys, "REQ_TIME_OVER_TIME", sign=sign, headers={"Date": date})


ANCIENT = "Mon, 01 Jan 1900 00:00:00 GMT"


@pytest.mark.parametrize("sign", [True, False])
async def test_an_absurd_or_unsigned_date_is_not_learnt(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, sign: bool
) -> None:
    gateway.post(URL, callback=lambda url, **kw: _skew(keys, ANCIENT, sign=sign))
    gateway.post(URL, callback=echo(keys), repeat=True)
    await client.capture("ORD_1", "100", "USD", request_id="R-1")
    await client.capture("ORD_1", "100", "USD", request_id="R-2")
    assert client.clock_offset == 0.0
    times = [json.loads(body)["requestTime"] for body, _ in sent_bodies(gateway)]
    assert all(__import__("re").match(TIME_RE, t) for t in times), times


async def test_the_offset_is_relearnt_from_each_signed_refusal(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    now = 1_700_000_000.0

    def date(offset: float) -> str:
        return format_datetime(datetime.fromtimestamp(now + offset, UTC), usegmt=True)

    gateway.post(URL, callback=lambda url, **kw: _skew(keys, date(300)))
    gateway.post(URL, callback=echo(keys))
    gateway.post(URL, callback=lambda url, **kw: _skew(keys, date(-600)))
    gateway.post(URL, callback=echo(keys))
    async with make_client(clock=lambda: now) as client:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
        assert client.clock_offset == 300
        await client.capture("ORD_1", "100", "USD", request_id="R-2")
        assert client.clock_offset == -600


@pytest.mark.parametrize("epoch", [-0.5, -1.001, -2208988800.25, 0.999, 1_700_000_000.0])
def test_request_time_is_well_formed_for_any_epoch(epoch: float) -> None:
    text = format_request_time(epoch)
    assert __import__("re").match(TIME_RE, text), text
    assert datetime.fromisoformat(text).timestamp() == pytest.approx(epoch, abs=0.001)


# ------------------------------------------------------------------------------ defect 10: raw errors


@pytest.mark.parametrize(
    "data",
    [
        b'{"code":"APPLY_SUCCESS","msg":"ok","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"code":"APPLY_SUCCESS","msg":"\xff\xfe","data":{}}',
        b'{"code":"APPLY_SUCCESS","msg":"ok","data":{"amount":"ten"}}',  # not an amount
    ],
    ids=["deep", "not-utf8", "undecodable"],
)
async def test_a_signed_body_that_cannot_be_read_is_final_and_landed(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, data: bytes
) -> None:
    """PayerMax signed it, so it saw the request; a replay would read the same bytes again."""
    answer = Reply(200, data, {"sign": keys.payermax_sign(data)})
    gateway.post(URL, callback=lambda url, **kw: answer, repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert info.value.landed and len(sent_bodies(gateway)) == 1


def test_a_client_reused_in_a_second_event_loop_says_so(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=echo(keys), repeat=True)
    client = make_client()
    asyncio.run(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    with pytest.raises(ClientClosedError, match="event loop") as info:
        asyncio.run(client.capture("ORD_1", "100", "USD", request_id="R-2"))
    assert isinstance(info.value, PayerMaxError) and len(sent_bodies(gateway)) == 1


# ------------------------------------------------------------------------------ defect 8: closed mid-run


async def test_a_call_closed_under_its_caller_is_unknown_not_cancelled(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    started = asyncio.Event()

    async def never(request: MockRequest) -> Reply:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    gateway.post(URL, callback=lambda url, **kw: never(None))  # type: ignore[arg-type]
    call = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    await started.wait()
    await client.aclose()
    with pytest.raises(OutcomeUnknownError, match="closed"):
        await call
    with pytest.raises(ClientClosedError):
        await client.capture("ORD_2", "100", "USD", request_id="R-2")


async def test_capture_many_ends_when_its_client_is_closed_mid_run(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    answered = 0

    async def slow(url: str, **kw: object) -> Reply:
        nonlocal answered
        answered += 1
        if answered == 5:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(client.aclose()))
        await asyncio.sleep(0.001 if answered < 5 else 3600)
        return echo(keys)(url, **kw)

    gateway.post(URL, callback=slow, repeat=True)
    items = [CaptureItem(f"ORD_{i}", Decimal("1.00"), "USD", f"R-{i}") for i in range(40)]
    outcomes = [o async for o in client.capture_many(items, concurrency=4)]
    assert len(outcomes) == 40  # every item has an outcome: nothing hangs, nothing is dropped
    statuses = {o.status for o in outcomes}
    assert OutcomeStatus.CAPTURED in statuses and OutcomeStatus.UNKNOWN in statuses
    assert statuses <= {OutcomeStatus.CAPTURED, OutcomeStatus.UNKNOWN, OutcomeStatus.NOT_PROCESSED}
