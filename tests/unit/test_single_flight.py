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

from payermax_async import ApiError, CaptureResult, OutcomeUnknownError, PayerMaxClient, ResponseLostError
from payermax_async.signing import RsaSigner

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


async def test_a_flight_whose_only_caller_went_away_ends_with_it_and_leaves_no_warning(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """With nobody else waiting, cancelling the caller cancels its request like any awaitable; the
    id is free at once, so a caller arriving next sends (the same id: a replay PayerMax answers
    as the original), and nothing is left to warn about."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    gate = asyncio.Event()
    gateway.post(URL, callback=_gated(gate, _echo(keys)))
    gateway.post(URL, callback=_echo(keys))
    try:
        impatient = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
        await asyncio.sleep(0.01)
        impatient.cancel()
        await asyncio.sleep(0.01)
        assert impatient.cancelled() and len(gateway.requests) == 1
        late = await client.capture("ORD_1", "100", "USD", request_id="R-1")
        assert late.request_id == "R-1" and len(gateway.requests) == 2
        gate.set()
        del impatient
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_a_flight_carried_on_after_its_leader_was_cancelled_reconciles_a_landed_attempt(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """The cancelled leader's attempt may have landed, so the flight carried on for the caller who
    joined treats an ORDER_REPEAT as "it did": an unknown outcome, never a refusal."""
    gate = asyncio.Event()
    gateway.post(URL, callback=_gated(gate, _echo(keys)))
    gateway.post(URL, callback=_echo(keys, "ORDER_REPEAT"))
    leader = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    joined = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    await asyncio.sleep(0.01)
    leader.cancel()
    with pytest.raises(OutcomeUnknownError) as info:
        await joined
    assert info.value.landed and leader.cancelled() and len(gateway.requests) == 2


async def test_a_flight_whose_leader_was_cancelled_before_it_sent_stays_a_plain_call(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    """Cancelled while signing, before any attempt reached the transport, the leader cannot have
    landed anything: the caller who joined gets PayerMax's refusal as a refusal."""
    signing = asyncio.Event()
    rsa = RsaSigner(keys.merchant_private)

    class SlowSigner:
        async def sign(self, message: bytes) -> bytes:
            signing.set()
            await asyncio.sleep(3600 if not leader.done() else 0)
            return rsa.sign(message)

    gateway.post(URL, callback=_echo(keys, "PARAMS_INVALID"))
    async with make_client(signer=SlowSigner(), private_key=None) as client:
        leader = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
        joined = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
        await signing.wait()
        leader.cancel()
        with pytest.raises(ApiError) as info:
            await joined
    assert info.value.code == "PARAMS_INVALID" and leader.cancelled() and len(gateway.requests) == 1


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

    async def cancelled_inside(url: str, **_: Any) -> Reply:
        # One turn of the loop first, so that the second caller joins the flight before it ends
        # (on 3.12+ wait_for runs the answer in the caller's task, with no turn of its own).
        await asyncio.sleep(0)
        raise asyncio.CancelledError

    gateway.post(URL, callback=cancelled_inside, repeat=True)
    first = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    joined = asyncio.ensure_future(client.capture("ORD_1", "100", "USD", request_id="R-1"))
    done, _ = await asyncio.wait({first, joined}, timeout=10)  # a guard against a hang, not a timing
    assert done == {first, joined}
    assert first.cancelled() and joined.cancelled()
    assert len(gateway.requests) == 1  # a CancelledError raised inside is told from a cancelled leader
