"""The capture pipeline at unit level (a scripted gateway behind a MockTransport, no socket): what is
signed is what is sent, and every way
the gateway's answer can be wrong ends in the right typed error."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from payermax_async import (
    ApiError,
    CaptureStatus,
    ConfigurationError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxClient,
    SignatureError,
)
from payermax_async.signing import RsaVerifier

from ..support import URL, Keys, ScriptedGateway, capture_data, reply, sent_bodies

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


async def test_capture_signs_exactly_the_bytes_it_sends(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(
        URL,
        callback=lambda url, **kw: reply(
            keys, data=capture_data(requestId=json.loads(kw["data"])["data"]["requestId"])
        ),
    )
    result = await client.capture(out_trade_no="ORD_1", amount=Decimal("100.00"), currency="USD")
    [(body, headers)] = sent_bodies(gateway)
    assert RsaVerifier(keys.merchant_public).verify(body, base64.b64decode(headers["sign"]))
    assert headers["Content-Type"] == "application/json"
    assert b'"amount":100.00' in body  # a JSON number, never a float or a string
    envelope = json.loads(body)
    assert list(envelope) == ["version", "keyVersion", "requestTime", "appId", "merchantNo", "data"]
    assert envelope["version"] == "1.5" and envelope["keyVersion"] == "1"
    assert envelope["appId"] == "app-test" and envelope["merchantNo"] == "M-TEST-1"
    assert TIME_RE.match(envelope["requestTime"])
    assert envelope["data"]["outTradeNo"] == "ORD_1" and envelope["data"]["currency"] == "USD"
    assert re.fullmatch(r"[0-9a-f]{32}", envelope["data"]["requestId"])
    assert result.request_id == envelope["data"]["requestId"]
    assert result.status is CaptureStatus.SUCCESS and result.amount == Decimal(100) and result.is_final


async def test_caller_request_id_and_version_override(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    async with make_client(versions={"capture": "1.6"}) as client:
        gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data()), repeat=True)
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
        await client.capture("ORD_1", "100", "USD", request_id="R-1", version="2.0")
        (first, _), (second, _) = sent_bodies(gateway)
    assert json.loads(first)["version"] == "1.6" and json.loads(second)["version"] == "2.0"
    assert json.loads(first)["data"]["requestId"] == "R-1"


async def test_tampered_response_signature(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data(), tamper=True), repeat=True)
    with pytest.raises(SignatureError, match="does not verify") as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert len(sent_bodies(gateway)) == 3  # never trusted; replayed, then reported as itself
    assert info.value.request_id == "R-1" and info.value.out_trade_no == "ORD_1"
    assert info.value.operation == "capture"


async def test_missing_response_signature(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """An unsigned success is no answer: replayed, then unknown, carrying the code it showed."""
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data(), sign=False), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    cause = info.value.__cause__
    assert isinstance(cause, SignatureError) and cause.shown_code == "APPLY_SUCCESS" and not cause.forged
    assert len(sent_bodies(gateway)) == 3


async def test_an_unverifiable_answer_is_replayed_and_the_verified_one_wins(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data(status="FAILED"), sign=False))
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data()))
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert result.status is CaptureStatus.SUCCESS  # the unsigned FAILED was never believed


async def test_signed_error_response_with_a_bad_signature_is_not_trusted(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, "AUTH_EXPIRED", tamper=True), repeat=True)
    with pytest.raises(SignatureError):
        await client.capture("ORD_1", "100", "USD")


CODES_THAT_REFUSE = [
    "AUTH_EXPIRED",
    "PARAMS_INVALID",
    "SIGN_VERIFY_FAILED",
    "MERCHANT_INVALID",
    "ORDER_NOT_EXIST",
    "ORDER_REPEAT",
]


@pytest.mark.parametrize("code", CODES_THAT_REFUSE)
async def test_business_and_configuration_codes_are_api_errors_never_retried(
    client: PayerMaxClient, keys: Keys, code: str, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, code, {"detail": 1.5}), repeat=True)
    with pytest.raises(ApiError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-9")
    assert len(sent_bodies(gateway)) == 1
    err = info.value
    assert (err.code, err.msg, err.operation, err.http_status) == (code, "nope", "capture", 200)
    assert err.ids == {"out_trade_no": "ORD_1", "request_id": "R-9"}
    assert err.data == {"detail": Decimal("1.5")}
    assert code in str(err) and "R-9" in str(err)


@pytest.mark.parametrize(
    ("status", "body", "ctype", "fragment"),
    [
        (200, b"{not json", "application/json", "HTTP 200"),
        (200, b"<html>gateway</html>", "text/html", "text/html"),
        (502, b"<html>Bad Gateway</html>", "text/html", "HTTP 502"),
        (200, b'{"msg":"no code"}', "application/json", "not a PayerMax JSON envelope"),
        (200, b"", "application/json", "HTTP 200"),
    ],
)
async def test_malformed_answers_are_maybe_sent_and_end_as_outcome_unknown(
    make_client: Callable[..., PayerMaxClient],
    status: int,
    body: bytes,
    ctype: str,
    fragment: str,
    gateway: ScriptedGateway,
) -> None:
    async with make_client(max_retries=1) as client:
        gateway.post(URL, status=status, body=body, headers={"Content-Type": ctype}, repeat=True)
        with pytest.raises(OutcomeUnknownError) as info:
            await client.capture("ORD_1", "100", "USD", request_id="R-2")
    assert len(sent_bodies(gateway)) == 2
    assert info.value.attempts == 2 and info.value.request_id == "R-2"
    cause = info.value.__cause__
    assert isinstance(cause, MalformedResponseError) and fragment in str(cause)
    assert cause.http_status == status


@pytest.mark.parametrize("code", CODES_THAT_REFUSE)
async def test_unsigned_refusals_are_not_believed(
    client: PayerMaxClient, keys: Keys, code: str, gateway: ScriptedGateway
) -> None:
    """Defect 1: anything between us and PayerMax can write an unsigned refusal after forwarding
    the request, so it is no answer: replayed under the same id, then unknown, never a refusal."""
    gateway.post(URL, callback=lambda url, **kw: reply(keys, code, {"detail": 1.5}, sign=False), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-9")
    assert len(sent_bodies(gateway)) == 3  # 1 + max_retries, every one under R-9
    assert {json.loads(b)["data"]["requestId"] for b, _ in sent_bodies(gateway)} == {"R-9"}
    cause = info.value.__cause__
    assert isinstance(cause, SignatureError) and cause.shown_code == code
    assert code in str(info.value) and not info.value.landed


async def test_an_unsigned_4xx_after_forwarding_is_maybe_sent(
    client: PayerMaxClient, gateway: ScriptedGateway
) -> None:
    """Defect 12: a 403/404 page from an intermediary may come after it forwarded the request."""
    gateway.post(URL, status=403, body=b"forbidden", headers={"Content-Type": "text/plain"}, repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    cause = info.value.__cause__
    assert isinstance(cause, MalformedResponseError) and cause.http_status == 403 and not cause.verified
    assert len(sent_bodies(gateway)) == 3


async def test_success_body_that_does_not_match_the_model(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data(status=["SUCCESS"])))
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", max_retries=0)
    assert "does not match CaptureResult" in str(info.value.__cause__)


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"amount": 10.5}, "amount"),
    ({"amount": Decimal("0")}, "amount"),
    ({"amount": Decimal("-5")}, "amount"),
    ({"amount": Decimal("1.001")}, "amount"),
    ({"amount": "abc"}, "amount"),
    # a malformed or unknown code is the currency's fault, not the amount's (overlay: ISO 4217)
    ({"currency": "usd"}, "currency"),
    ({"currency": "XXY"}, "currency"),
    ({"out_trade_no": "x" * 65}, "outTradeNo"),
    ({"out_trade_no": "bad id"}, "outTradeNo"),
    ({"out_trade_no": "ORD-1"}, "outTradeNo"),
    ({"out_trade_no": ""}, "outTradeNo"),
    ({"request_id": "r" * 65}, "requestId"),
    ({"currency": "JPY", "amount": Decimal("1.5")}, "amount"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUTS)
async def test_bad_input_is_refused_before_any_byte_is_sent(
    client: PayerMaxClient, overrides: dict[str, Any], field: str, gateway: ScriptedGateway
) -> None:
    kwargs: dict[str, Any] = {"out_trade_no": "ORD_1", "amount": Decimal("1.00"), "currency": "USD"}
    kwargs.update(overrides)
    with pytest.raises(InvalidRequestError) as info:
        await client.capture(**kwargs)
    assert not gateway.requests
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"private_key": "garbage!"}, "private_key"),
        ({"payermax_public_key": "AAAA"}, "payermax_public_key"),
        ({"base_url": "http://pay-gate.payermax.com"}, "https"),
        ({"base_url": "https://pay-gate.payermax.com/path"}, "origin only"),
        ({"app_id": ""}, "app_id"),
        ({"merchant_no": "m" * 33}, "merchant_no"),
        ({"timeout": 0}, "timeout"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_retries": -1}, "max_retries"),
        ({"private_key": None}, "exactly one of private_key or signer"),
        ({"verifier": object()}, "exactly one of payermax_public_key or verifier"),
        ({"backend": "nope"}, "unknown signing backend"),
    ],
)
def test_bad_configuration_fails_at_construction(
    make_client: Callable[..., PayerMaxClient], overrides: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        make_client(**overrides)


async def test_no_secret_in_repr_or_errors(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    async with make_client(merchant_auth_token="tok-SECRET-123") as client:
        text = repr(client) + repr(client.config) + str(client.__dict__.get("config"))
        gateway.post(URL, callback=lambda url, **kw: reply(keys, "AUTH_EXPIRED"))
        with pytest.raises(ApiError) as info:
            await client.capture("ORD_1", "100", "USD")
        text += str(info.value) + repr(info.value)
    for secret in (keys.merchant_private[64:120], "tok-SECRET-123", keys.payermax_private[64:120]):
        assert secret not in text
    assert "app-test" in text and "fingerprint=" in text


async def test_merchant_auth_token_header_is_sent_for_isv(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    async with make_client(merchant_auth_token="tok-1", sp_merchant_no="SP-1") as client:
        gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data()))
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    [(_, headers)] = sent_bodies(gateway)
    assert headers["merchant_auth_token"] == "tok-1"  # the header name of PayerMax's ISV docs and SDKs


async def test_async_signer_is_awaited(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    from payermax_async.signing import RsaSigner

    inner = RsaSigner(keys.merchant_private)
    calls: list[int] = []

    class Kms:
        async def sign(self, message: bytes) -> bytes:
            calls.append(len(message))
            return inner.sign(message)

    async with make_client(private_key=None, signer=Kms()) as client:
        gateway.post(URL, callback=lambda url, **kw: reply(keys, data=capture_data()))
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    [(body, headers)] = sent_bodies(gateway)
    assert calls == [len(body)]
    assert RsaVerifier(keys.merchant_public).verify(body, base64.b64decode(headers["sign"]))


async def test_closed_client_refuses_work_and_user_session_stays_open(
    make_client: Callable[..., PayerMaxClient],
) -> None:
    async with aiohttp.ClientSession() as session:
        client = make_client(session=session)
        await client.aclose()
        await client.aclose()  # idempotent
        assert client.closed and not session.closed
        with pytest.raises(RuntimeError, match="closed"):
            await client.capture("ORD_1", "100", "USD")


async def test_session_and_transport_are_exclusive(make_client: Callable[..., PayerMaxClient]) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidRequestError, match="not both"):
            make_client(session=session, transport=object())


async def test_debug_logs_show_bodies_with_card_and_personal_data_masked(
    client: PayerMaxClient, keys: Keys, caplog: pytest.LogCaptureFixture, gateway: ScriptedGateway
) -> None:
    url = "http://127.0.0.1:9/aggregate-pay/api/gateway/orderAndPay"
    data = {
        "outTradeNo": "ORD_7",
        "totalAmount": 1,
        "userId": "u-1",
        "paymentDetail": {
            "cardInfo": {"cardNo": "4111111111111111", "cvv": "123", "expiryYear": "29"},
            "buyerInfo": {"email": "jane@example.com", "firstName": "Jane"},
        },
    }
    caplog.set_level("DEBUG", logger="payermax_async")
    gateway.post(
        url,
        callback=lambda u, **kw: reply(keys, data={"outTradeNo": "ORD_7", "cardNo": "4111111111111111"}),
    )
    got = await client.call("orderAndPay", data)
    assert got["outTradeNo"] == "ORD_7"
    text = caplog.text
    assert "ORD_7" in text and '"cardNo":"***"' in text
    for secret in ("4111111111111111", '"123"', "jane@example.com", "Jane", keys.merchant_private[64:100]):
        assert secret not in text


async def test_call_keeps_the_per_operation_state_bounded(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    # call() makes a new Operation each time; what the pipeline remembers per operation must not grow
    url = URL.rsplit("/", 1)[0] + "/someNewApi"
    gateway.post(url, callback=lambda url, **kw: reply(keys, data={"ok": True}), repeat=True)
    for i in range(300):
        assert await client.call("someNewApi", {"n": i}) == {"ok": True}
    assert 0 < len(client._pipeline._versions) <= 256
