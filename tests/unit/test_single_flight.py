"""The shared flight under a business id, at its edges: who sees which raw answer (also after a
reconcile), and what a flight that fails, or whose only caller went away, leaves behind."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import ApiError, CaptureResult, PayerMaxClient, ResponseLostError

from ..support import URL, Keys, Reply, ScriptedGateway, capture_data, paybylink_args, reply

LINKS = "http://127.0.0.1:9/aggregate-pay/api/gateway/"


def _echo(keys: Keys, code: str = "APPLY_SUCCESS") -> Callable[..., Reply]:
    def answer(url: str, **kw: Any) -> Reply:
        data = json.loads(kw["data"])["data"]
        if code != "APPLY_SUCCESS":
            return reply(keys, code)
        return reply(keys, data=capture_data(requestId=data["requestId"], outTradeNo=data["outTradeNo"]))

    return answer


def _gated(gate: asyncio.Event, answer: Callable[..., Reply]) -> Callable[..., Any]:
    async def slow(url: str, **kw: Any) -> Reply:
        await gate.wait()
        return answer(url, **kw)

    return slow


async def test_the_raw_caller_who_started_a_flight_and_a_plain_one_who_joined_it(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gate = asyncio.Event()
    gateway.post(URL, callback=_gated(gate, _echo(keys)))
    raw_first = asyncio.ensure_future(
        client.with_raw_response.capture("ORD_1", Decimal("100"), "USD", request_id="R-1")
    )
    await asyncio.sleep(0)
    plain = asyncio.ensure_future(client.capture("ORD_1", Decimal("100"), "USD", request_id="R-1"))
    await asyncio.sleep(0)
    gate.set()
    raw, result = await asyncio.gather(raw_first, plain)
    assert len(gateway.requests) == 1
    assert raw.parse() is result and json.loads(raw.content)["data"]["requestId"] == "R-1"


async def test_a_failed_flight_is_forgotten_so_the_next_call_sends_again(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_echo(keys, "PARAMS_INVALID"))
    gateway.post(URL, callback=_echo(keys))
    with pytest.raises(ApiError):
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert isinstance(result, CaptureResult) and len(gateway.requests) == 2


async def test_a_flight_whose_only_caller_went_away_still_lands_and_leaves_no_warning(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """The request keeps going after its caller is cancelled (it may already be at PayerMax), a
    caller arriving meanwhile joins it, and its failure is nobody's unretrieved exception."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    gate = asyncio.Event()
    gateway.post(URL, callback=_gated(gate, _echo(keys, "PARAMS_INVALID")))
    gateway.post(URL, callback=_echo(keys))
    try:
        impatient = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
        await asyncio.sleep(0.01)
        impatient.cancel()
        late = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
        await asyncio.sleep(0.01)
        gate.set()
        with pytest.raises(ApiError):
            await late  # it joined the flight that was still in the air
        assert impatient.cancelled() and len(gateway.requests) == 1
        await client.capture("ORD_1", "100", "USD", request_id="R-1")  # landed, forgotten: sent anew
        assert len(gateway.requests) == 2
        del impatient, late
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_the_raw_answer_of_a_reconciled_call_is_the_querys(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """The first attempt landed but its answer was lost, the replay met ORDER_REPEAT, and the result
    was read back by the endpoint's query: the raw answer shown is that query's, the one the
    result came from."""
    gateway.post(LINKS + "createPaybylink", exception=ResponseLostError("connection reset mid-response"))
    gateway.post(LINKS + "createPaybylink", callback=lambda url, **kw: reply(keys, "ORDER_REPEAT"))
    found = {"linkId": "LK_9", "merchantLinkId": "L_1", "totalAmount": "10.5", "currency": "SAR"}
    gateway.post(LINKS + "queryPaybylink", callback=lambda url, **kw: reply(keys, data=found))
    raw = await client.with_raw_response.payment_links.create(
        **paybylink_args(),
    )
    assert raw.parse().reconciled and raw.parse().link_id == "LK_9"
    assert json.loads(raw.content)["data"]["linkId"] == "LK_9"
    assert [r.url.rsplit("/", 1)[1] for r in gateway.requests] == [
        "createPaybylink",
        "createPaybylink",
        "queryPaybylink",
    ]


async def test_a_flight_cancelled_from_inside_wakes_its_callers(
    client: PayerMaxClient, gateway: ScriptedGateway
) -> None:
    """A flight that ends cancelled, not by close() (a transport raising CancelledError), leaves
    no caller waiting for ever: each sees the cancellation."""
    gateway.post(URL, exception=asyncio.CancelledError(), repeat=True)
    first = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    joined = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    done, _ = await asyncio.wait({first, joined}, timeout=10)  # a guard against a hang, not a timing
    assert done == {first, joined}
    assert first.cancelled() and joined.cancelled() and len(gateway.requests) == 1
