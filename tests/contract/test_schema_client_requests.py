"""The client against PayerMax's schema, end to end through the transport (no socket).

For every endpoint (variant) of the table: the request the client actually sends, built by its typed
method from PayerMax's own request example, validates against the corrected schema, carries no field
the schema lacks and drops none the example had. And every PayerMax answer example, signed by a test
key, comes back through the whole client as the typed result (or the typed ApiError), with no
documented field lost and amounts exact.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import msgspec
import pytest

from payermax_async import ApiError, GenericNotification, PayerMaxClient, WebhookVerifier, _schema
from payermax_async.endpoints import ENDPOINTS, endpoint_for
from payermax_async.transport import HttpResponse, MockRequest, MockTransport
from payermax_async.types._base import NotificationEnvelope, WireResult, convert_data
from payermax_async.types.notifications import (
    BY_NOTIFY_TYPE,
    BillPaymentValidationNotification,
    RfiNotification,
)

from ..support import Keys
from ._schema_examples import undocumented

DOC = _schema.load()
OPTIONS = {"timeout", "max_retries", "version", "extra"}

# How a flat method names a field its request struct nests or renames (resource methods use the
# struct's own names, so they need no entry here).
ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "amount": (("amount",), ("total_amount",), ("refund_amount",), ("trade", "amount")),
    "currency": (("currency",), ("refund_currency",), ("trade", "currency")),
    "verification_code": (("payment_detail", "verification_code"),),
}


def method_for(client: PayerMaxClient, api_name: str) -> Callable[..., Awaitable[Any]]:
    flat: dict[str, Callable[..., Awaitable[Any]]] = {
        "capture": client.capture,
        "cancel": client.cancel,
        "orderAndPay": client.order_and_pay,
        "orderQuery": client.order_query,
        "orderClose": client.order_close,
        "refund": client.refund,
        "refundQuery": client.refund_query,
        "paymentOrderPay": client.payout,
        "paymentOrderQry": client.payout_query,
        "confirmPayment": client.payments.confirm,
        "applyDDC": client.payments.apply_ddc,
        "paymentFieldValidation": client.payouts.validate_fields,
        "currentBalanceQuery": client.balances.current,
        "dayEndBalanceQuery": client.balances.day_end,
        "orderConfirm": client.bill_payments.confirm,
        "caseSearch": client.disputes.search,
        "caseReplay": client.disputes.reply,
        "applyDropinSession": client.dropin.apply_session,
        "quoteQuery": client.fx.quote,
        "exchange": client.fx.exchange,
        "exchangeQuery": client.fx.exchange_query,
        "queryClientExchangeRate": client.fx.client_rates,
        "createPaybylink": client.payment_links.create,
        "queryPaybylink": client.payment_links.query,
        "expirePaybylink": client.payment_links.expire,
        "addOrDelRiskNameList": client.risk.name_list,
        "putRfiMaterialList": client.risk.put_rfi_materials,
        "subscriptionCreate": client.subscriptions.create,
        "subscriptionQuery": client.subscriptions.query,
        "subscriptionCancel": client.subscriptions.cancel,
        "inquirePaymentToken": client.tokens.inquire,
        "removePaymentToken": client.tokens.remove,
        "applyPaymentToken": client.tokens.apply,
        "InquireApplyRequest": client.tokens.inquire_apply,
    }
    return flat[api_name]


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        obj = getattr(obj, name, None)
    return obj


def arguments(method: Callable[..., Any], request: msgspec.Struct) -> tuple[list[Any], dict[str, Any]]:
    """The method's arguments that rebuild ``request``: by name, or through ALIASES."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(method).parameters.items():
        if name in OPTIONS:
            continue
        paths = ((name,), *ALIASES.get(name, ()))
        value = next((v for p in paths if (v := _get(request, p)) is not None), None)
        if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and param.default is inspect.Parameter.empty:
            args.append(value)
        elif value is not None:
            kwargs[name] = value
    return args, kwargs


def request_examples() -> Iterator[Any]:
    for key, entry in DOC["operations"].items():
        for index, example in enumerate(entry["request_examples"]):
            yield pytest.param(key, example["data"], id=f"{key}#{index}")
    # PayerMax documents no orderClose request example: the smallest valid one.
    yield pytest.param(
        "orderClose", {"outTradeNo": "P1642410680681", "reason": "basket abandoned"}, id="orderClose"
    )


def answer(keys: Keys, body: bytes) -> Callable[[MockRequest], HttpResponse]:
    def handler(request: MockRequest) -> HttpResponse:
        return HttpResponse(200, {"Content-Type": "application/json", "sign": keys.payermax_sign(body)}, body)

    return handler


def echoing(keys: Keys, key: str) -> Callable[[MockRequest], HttpResponse]:
    """A success carrying back the ids PayerMax's answers to ``key`` always carry, and nothing else."""

    def handler(request: MockRequest) -> HttpResponse:
        sent = json.loads(request.body)["data"]
        data = {w: sent[w] for w in ENDPOINTS[key].echoes_wire if w in sent}
        return answer(keys, json.dumps({"code": "APPLY_SUCCESS", "msg": "Success.", "data": data}).encode())(
            request
        )

    return handler


def client_on(keys: Keys, transport: MockTransport) -> PayerMaxClient:
    return PayerMaxClient(
        app_id="app-test",
        merchant_no="M-TEST-1",
        private_key=keys.merchant_private,
        payermax_public_key=keys.payermax_public,
        base_url="http://127.0.0.1:9",
        transport=transport,
        max_retries=0,
    )


def leaves(value: Any, path: str = "") -> set[str]:
    """Every non-null leaf's path (list positions kept), for "nothing dropped" comparisons."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in leaves(v, f"{path}.{k}")}
    if isinstance(value, list):
        return {p for i, v in enumerate(value) for p in leaves(v, f"{path}[{i}]")}
    return set() if value is None or value == "" else {path}


def test_every_endpoint_with_a_request_is_covered() -> None:
    covered = {key for key, entry in DOC["operations"].items() if entry["request_examples"]} | {"orderClose"}
    assert {k for k, e in ENDPOINTS.items() if e.request_type is not None} <= covered


@pytest.mark.parametrize(("key", "example"), list(request_examples()))
async def test_the_request_the_client_sends_meets_the_schema(
    keys: Keys, key: str, example: dict[str, Any]
) -> None:
    endpoint = ENDPOINTS[key]
    assert endpoint.request_type is not None
    request = convert_data(json.loads(json.dumps(example), parse_float=Decimal), endpoint.request_type)
    transport = MockTransport(echoing(keys, key))
    async with client_on(keys, transport) as client:
        method = method_for(client, endpoint.api_name)
        args, kwargs = arguments(method, request)
        await method(*args, **kwargs)
    [sent] = transport.requests
    assert sent.url.endswith(f"/aggregate-pay/api/gateway/{endpoint.api_name}")
    body = json.loads(sent.body, parse_float=Decimal)
    schema = DOC["operations"][key]["request"]
    # jsonschema reads numbers as Python numbers: give it floats, keep the exact body for the rest
    jsonschema.Draft202012Validator(schema).validate(json.loads(sent.body))
    assert undocumented(body, schema, "") == []
    assert body["version"] == endpoint.version
    assert endpoint_for(endpoint.api_name, request).key == key  # the variant the example documents
    dropped = leaves(example) - leaves(body["data"])
    assert not dropped, f"fields of PayerMax's example the typed method did not send: {sorted(dropped)}"


def response_examples() -> Iterator[Any]:
    for key, entry in DOC["operations"].items():
        for index, example in enumerate(entry["response_examples"]):
            yield pytest.param(key, example, id=f"{key}#{index}")


def exact(value: Any) -> Any:
    """JSON with numbers as exact Decimals and no nulls (an absent and a null field are the same)."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [exact(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


@pytest.mark.parametrize(("key", "example"), list(response_examples()))
async def test_every_payermax_answer_comes_back_through_the_client(
    keys: Keys, key: str, example: dict[str, Any]
) -> None:
    endpoint = ENDPOINTS[key]
    body = json.dumps(example).encode()
    transport = MockTransport(answer(keys, body))
    async with client_on(keys, transport) as client:
        call = client.call(endpoint.api_name, {}, result_type=endpoint.result_type or dict, version="1.0")
        if example.get("code") != "APPLY_SUCCESS":
            with pytest.raises(ApiError) as info:
                await call
            assert info.value.code == example["code"]
            return
        result = await call
    if endpoint.result_type is None:
        assert result == exact(example.get("data")) or result is None
        return
    assert isinstance(result, endpoint.result_type)
    back = exact(msgspec.to_builtins(result, builtin_types=(Decimal,)))
    sent = exact(example.get("data") or {})
    lost = leaves(sent) - leaves(back)
    assert not lost, f"documented fields lost: {sorted(lost)}"


# Callbacks whose body names no notifyType: each comes to a URL of its own, so it is parsed as its type.
UNNAMED: dict[str, type[WireResult]] = {
    "rfiNotifyUrl": RfiNotification,
    "billPaymentValidationUrl": BillPaymentValidationNotification,
}


def callback_examples() -> Iterator[Any]:
    for key, entry in DOC["callbacks"].items():
        if key == "pageReturn":  # the payer's browser coming back, not a notification
            continue
        for index, example in enumerate(entry["request_examples"]):
            yield pytest.param(key, example, id=f"{key}#{index}")


@pytest.mark.parametrize(("key", "example"), list(callback_examples()))
def test_every_payermax_notification_example_parses(keys: Keys, key: str, example: dict[str, Any]) -> None:
    body = json.dumps(example).encode()
    verifier = WebhookVerifier(keys.payermax_public, max_age=None)
    notification: Any
    if key in UNNAMED:
        notification = verifier.parse_as(body, keys.payermax_sign(body), UNNAMED[key])
        assert type(notification) is UNNAMED[key]
    else:
        notification = verifier.parse(body, keys.payermax_sign(body))
        expected = BY_NOTIFY_TYPE.get(str(example.get("notifyType")), GenericNotification)
        assert type(notification) is expected
    back = exact(msgspec.to_builtins(notification, builtin_types=(Decimal,)))
    lost = leaves(exact(example)) - leaves(back)
    assert not lost, f"documented fields lost: {sorted(lost)}"
    if isinstance(notification, NotificationEnvelope):
        assert notification.idempotency_key.startswith(str(example.get("notifyType") or ""))
