"""What a user of the client sees beyond the typed result: the raw answer, per-call-site options,
the User-Agent, the key version, and a PayerMax key rotation (scripted gateway, no socket)."""

from __future__ import annotations

import asyncio
import json
import platform
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

import payermax_async
from payermax_async import (
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    OutcomeUnknownError,
    PayerMaxClient,
    PaymentNotification,
    ResponseLostError,
    SignatureError,
    WebhookVerifier,
)
from payermax_async.keys import AnyKeyVerifier
from payermax_async.raw import RawResponse
from payermax_async.signing import generate_key_pair
from payermax_async.testing.notifications import make_notification

from ..support import URL, Keys, ScriptedGateway, capture_data, reply, sent_bodies

QUERY_URL = URL.replace("capture", "orderQuery")


def _echo_capture(keys: Keys, **headers: str) -> Callable[..., Any]:
    def answer(url: str, **kw: Any) -> Any:
        request_id = json.loads(kw["data"])["data"]["requestId"]
        return reply(keys, data=capture_data(requestId=request_id), headers=headers)

    return answer


async def test_raw_response_shows_the_verified_answer_and_parses_to_the_typed_result(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_echo_capture(keys, **{"X-Trace-Id": "t-42"}))
    raw = await client.with_raw_response.capture(out_trade_no="ORD_1", amount=Decimal("100"), currency="USD")
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-trace-id"] == "t-42"  # case-insensitive, as aiohttp's
    assert keys.payermax_sign(raw.content) == raw.headers["sign"]  # the very bytes that were verified
    envelope = raw.json()
    assert isinstance(envelope, dict) and envelope["data"]["amount"] == Decimal(100)
    assert json.loads(raw.text)["code"] == "APPLY_SUCCESS"
    result = raw.parse()
    assert result.out_trade_no == "ORD_1" and result.amount == Decimal(100)
    assert "bytes" in repr(raw) and "sign" not in repr(raw)


async def test_raw_response_reaches_resources_and_raises_like_the_plain_method(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    url = URL.replace("capture", "currentBalanceQuery")
    gateway.post(url, callback=lambda u, **kw: reply(keys, data={"accountRealTimeTypes": []}))
    gateway.post(url, callback=lambda u, **kw: reply(keys, code="PARAMS_INVALID"))
    gateway.post(url, callback=lambda u, **kw: reply(keys, data={"accountRealTimeTypes": []}, tamper=True))
    raw = await client.with_raw_response.balances.current()
    assert raw.status_code == 200 and raw.parse() is not None
    with pytest.raises(ApiError) as refused:
        await client.with_raw_response.balances.current()
    assert refused.value.code == "PARAMS_INVALID"
    with pytest.raises(SignatureError):  # an answer that does not verify is never handed out raw
        await client.with_raw_response.balances.current(max_retries=0)


async def test_raw_response_of_a_call_that_joined_another_in_flight(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    release = asyncio.Event()

    async def slow(url: str, **kw: Any) -> Any:
        await release.wait()
        return _echo_capture(keys)(url, **kw)

    gateway.post(URL, callback=slow)
    first = asyncio.ensure_future(
        client.capture(out_trade_no="ORD_1", amount=Decimal("100"), currency="USD", request_id="R-9")
    )
    await asyncio.sleep(0)
    joined = asyncio.ensure_future(
        client.with_raw_response.capture(
            out_trade_no="ORD_1", amount=Decimal("100"), currency="USD", request_id="R-9"
        )
    )
    await asyncio.sleep(0)
    release.set()
    plain, raw = await asyncio.gather(first, joined)
    assert len(gateway.requests) == 1  # one request for both callers
    assert raw.parse() == plain and raw.status_code == 200


async def test_every_typed_method_has_a_raw_and_a_blocking_twin(client: PayerMaxClient) -> None:
    raw = client.with_raw_response
    assert raw is client.with_raw_response  # built once per client
    names = [n for n in dir(PayerMaxClient) if not n.startswith("_")]
    typed = [n for n in names if asyncio.iscoroutinefunction(getattr(PayerMaxClient, n))]
    typed = [n for n in typed if n not in {"call", "execute", "aclose"}]
    assert {"capture", "refund", "order_query", "payout"} <= set(typed)
    for name in typed:
        assert callable(getattr(raw, name)), name
        assert getattr(raw, name).__doc__ == getattr(PayerMaxClient, name).__doc__
    assert raw.tokens.apply.__doc__ == client.tokens.apply.__doc__
    assert getattr(raw.payouts.validate_fields, "__wrapped__") == client.payouts.validate_fields  # noqa: B009


async def test_with_options_changes_defaults_but_shares_pool_budget_clock_and_flights(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    client = make_client(timeout=9.0)
    quick = client.with_options(timeout=1.5, max_retries=0)
    assert quick.retry_budget is client.retry_budget and quick._transport is client._transport
    gateway.post(URL, exception=ResponseLostError("lost"))
    with pytest.raises(OutcomeUnknownError):
        await quick.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    assert len(gateway.requests) == 1  # max_retries=0: no retry
    assert gateway.requests[0].timeout == 1.5
    gateway.post(URL, callback=_echo_capture(keys))
    await quick.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD", timeout=4.0)
    assert gateway.requests[-1].timeout == 4.0  # a call's own option still wins
    gateway.post(URL, callback=_echo_capture(keys))
    await client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    assert gateway.requests[-1].timeout == 9.0  # the original keeps its own
    # resources of the view use the view's options too
    gateway.post(URL.replace("capture", "currentBalanceQuery"), exception=ResponseLostError("lost"))
    with pytest.raises(OutcomeUnknownError):
        await quick.balances.current()
    assert gateway.requests[-1].timeout == 1.5
    client._pipeline.clock_offset = 12.0
    assert quick.clock_offset == 12.0
    await quick.aclose()  # a view does not own the pool
    assert not client.closed
    await client.aclose()
    assert quick.closed


async def test_with_options_refuses_bad_values_before_sending(client: PayerMaxClient) -> None:
    with pytest.raises(InvalidRequestError):
        client.with_options(timeout=0)
    with pytest.raises(InvalidRequestError):
        client.with_options(max_retries=-1)
    view = client.with_options(deadline=5.0).with_options(max_retries=1)
    assert view._defaults.deadline == 5.0 and view._defaults.max_retries == 1


async def test_user_agent_and_key_version_on_every_request(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    client = make_client(key_version="3")
    gateway.post(URL, callback=_echo_capture(keys))
    await client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    [(body, headers)] = sent_bodies(gateway)
    assert json.loads(body)["keyVersion"] == "3"
    assert headers["User-Agent"] == (
        f"payermax-async/{payermax_async.__version__} Python/{platform.python_version()} "
        f"aiohttp/{aiohttp.__version__}"
    )
    await client.aclose()
    for bad in ("", "x" * 9, "a\nb"):
        with pytest.raises(ConfigurationError):
            make_client(key_version=bad)


async def test_answers_signed_by_either_key_of_a_rotation_verify(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    new_private, new_public = generate_key_pair()
    client = make_client(payermax_public_key=[new_public, keys.payermax_public])
    assert isinstance(client.config.verifier, AnyKeyVerifier)
    assert new_public not in repr(client.config.verifier)
    gateway.post(URL, callback=_echo_capture(keys))  # signed with the old key
    await client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    new_keys = Keys(keys.merchant_private, keys.merchant_public, new_private, new_public)
    gateway.post(URL, callback=_echo_capture(new_keys))  # and with the new one
    await client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    await client.aclose()
    only_new = make_client(payermax_public_key=[new_public], max_retries=0)
    gateway.post(URL, callback=_echo_capture(keys))
    with pytest.raises(SignatureError):  # a retired key no longer vouches for anything
        await only_new.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
    await only_new.aclose()
    for bad in ([], [123]):
        with pytest.raises(ConfigurationError):
            make_client(payermax_public_key=bad)


def test_webhook_verifier_accepts_either_key_of_a_rotation(keys: Keys) -> None:
    new_private, new_public = generate_key_pair()
    verifier = WebhookVerifier([keys.payermax_public, new_public], app_id="app", merchant_no="M1")
    data = {"outTradeNo": "ORD_1", "totalAmount": 5, "currency": "USD", "status": "SUCCESS"}
    for private in (keys.payermax_private, new_private):
        body, sign = make_notification(
            "PAYMENT", data, payermax_private_key=private, app_id="app", merchant_no="M1"
        )
        notification = verifier.parse(body, sign)
        assert isinstance(notification, PaymentNotification) and notification.data is not None
        assert notification.data.out_trade_no == "ORD_1"
    stranger, _ = generate_key_pair()
    body, sign = make_notification(
        "PAYMENT", data, payermax_private_key=stranger, app_id="app", merchant_no="M1"
    )
    with pytest.raises(SignatureError):
        verifier.parse(body, sign)
