"""Reconciliation of the resource namespaces at unit level (a scripted gateway, no socket): after a lost
answer and ORDER_REPEAT, the endpoint table's reconcile kind decides. A ``*_query`` kind runs its
query with the business id and returns the typed result marked ``reconciled`` (or the flat methods'
ORDER_REPEAT error when the query shows another request); "read", "replay" and "none" run no query.
(Against the simulator over HTTP: tests/e2e/test_resource_reconcile_e2e.py.)"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

import msgspec
import pytest

from payermax_async import ApiError, OutcomeUnknownError, PayerMaxClient, ResponseLostError
from payermax_async._pipeline import RequestOptions
from payermax_async.endpoints import ENDPOINTS
from payermax_async.operations._reconcile import QUERIES, _at, query_request, reconciler
from payermax_async.types import MerchantInfo, UserInfo
from payermax_async.types.links import CreatePaybylinkGoodsDetail, CreatePaybylinkResult
from payermax_async.types.payouts import (
    PayeeAccountInfo,
    PayeeInfo,
    PayoutQueryResult,
    PayoutRequest,
    PayoutResult,
    PayoutTrade,
    PayoutTradeResult,
)
from payermax_async.types.refunds import RefundRequest, RefundResult
from payermax_async.types.subscriptions import (
    SubscriptionCreatePeriodAmount,
    SubscriptionCreatePeriodRule,
    SubscriptionCreateSubscriptionPlan,
)

from ..support import Keys, Reply, ScriptedGateway

BASE = "http://127.0.0.1:9/aggregate-pay/api/gateway/"


def reply(keys: Keys, data: Any = None, code: str = "APPLY_SUCCESS") -> Reply:
    body = json.dumps({"code": code, "msg": "m", "data": data}).encode()
    return Reply(status=200, body=body, headers={"sign": keys.payermax_sign(body)})


def lost_then_repeat(gateway: ScriptedGateway, keys: Keys, api: str) -> None:
    """The first attempt lands but its answer is lost; the replay meets ORDER_REPEAT."""
    gateway.post(BASE + api, exception=ResponseLostError("connection reset mid-response"))
    gateway.post(BASE + api, callback=lambda url, **kw: reply(keys, code="ORDER_REPEAT"))


def answers(gateway: ScriptedGateway, keys: Keys, api: str, data: dict[str, Any]) -> None:
    gateway.post(BASE + api, callback=lambda url, **kw: reply(keys, data))


def sent(gateway: ScriptedGateway, api: str) -> list[dict[str, Any]]:
    return [json.loads(r.body)["data"] for r in gateway.requests if r.url == BASE + api]


# ---------------------------------------------------------------------------- the table


def test_every_query_kind_of_the_endpoint_table_has_its_query() -> None:
    kinds = {e.reconcile for e in ENDPOINTS.values()}
    assert {k for k in kinds if k.endswith("_query")} == set(QUERIES)
    assert kinds - set(QUERIES) == {"read", "replay", "none"}


@pytest.mark.parametrize("key", sorted(k for k, e in ENDPOINTS.items() if e.reconcile in QUERIES))
def test_each_query_is_asked_and_compared_by_the_schemas_own_names(key: str) -> None:
    # The query's required fields all come from the operation's request, by wire name; every path
    # compared exists in the query's answer and in some request of that kind.
    endpoint = ENDPOINTS[key]
    query = QUERIES[endpoint.reconcile]
    asked = ENDPOINTS[query.api_name]
    assert asked.reconcile == "read" and asked.idempotency == ()
    assert endpoint.request_type and asked.request_type and asked.result_type
    sent_names = {f.encode_name for f in msgspec.structs.fields(endpoint.request_type)}
    for f in msgspec.structs.fields(asked.request_type):
        assert f.required <= (f.encode_name in sent_names), (query.api_name, f.encode_name)
    for path in query.same:
        assert _has(asked.result_type, path), (query.api_name, path)
        assert any(
            _has(e.request_type, path) for e in ENDPOINTS.values() if e.reconcile == endpoint.reconcile
        ), path


def test_a_field_the_query_does_not_return_is_not_held_against_it() -> None:
    assert _at(PayoutQueryResult(out_trade_no="PO_1"), "trade.amount") is None
    assert _at(PayoutQueryResult(trade=PayoutTradeResult(currency="BRL")), "trade.currency") == "BRL"


def _has(cls: Any, path: str) -> bool:
    for step in path.split("."):
        fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
        if step not in fields:
            return False
        info = msgspec.inspect.type_info(fields[step].type)
        struct = [t for t in getattr(info, "types", (info,)) if isinstance(t, msgspec.inspect.StructType)]
        cls = struct[0].cls if struct else None
    return True


# ---------------------------------------------------------------------------- each *_query kind


def plan() -> SubscriptionCreateSubscriptionPlan:
    return SubscriptionCreateSubscriptionPlan(
        subject="Box",
        total_periods=12,
        period_rule=SubscriptionCreatePeriodRule(period_unit="M", period_count=1),
        period_amount=SubscriptionCreatePeriodAmount(amount=Decimal("9.99"), currency="USD"),
    )


def make_link(client: PayerMaxClient, amount: str = "10.50") -> Awaitable[CreatePaybylinkResult]:
    return client.payment_links.create(
        merchant_link_id="L_1",
        link_type="ONETIME",
        country="SA",
        currency="SAR",
        total_amount=amount,
        description="Order 3",
        user_info=UserInfo(user_id="u1"),
        goods_details=[
            CreatePaybylinkGoodsDetail(
                goods_name="Cup", goods_description="A cup", quantity="1", price=Decimal(amount),
                goods_currency="SAR", show_url="https://merchant.test/cup",
            )
        ],
        merchant_info=MerchantInfo(contact_email="shop@merchant.test"),
        notify_url="https://merchant.test/notify",
    )  # fmt: skip


Call = Callable[[PayerMaxClient], Awaitable[Any]]
CASES: list[tuple[str, str, Call, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # (apiName, query, call, the query's expected request, its answer, fields of the result)
    (
        "applyPaymentToken",
        "InquireApplyRequest",
        lambda c: c.tokens.apply(
            country="SA", payment_method_type="CARD", user_id="u1", token_scope="tokenAcq",
            front_callback_url="https://merchant.test/back", request_id="BIND_1",
        ),
        {"userId": "u1", "tokenScope": "tokenAcq", "requestId": "BIND_1"},
        {"requestId": "BIND_1", "status": "SUCCESS", "paymentTokenID": "PMT_1"},
        {"status": "SUCCESS", "payment_token_id": "PMT_1", "request_id": "BIND_1"},
    ),
    (
        "subscriptionCreate",
        "subscriptionQuery",
        lambda c: c.subscriptions.create(
            user_id="u1", callback_url="https://merchant.test/sub", subscription_plan=plan(),
            subscription_request_id="SUBREQ_1",
        ),
        {"subscriptionRequestId": "SUBREQ_1"},
        {
            "subscriptionRequestId": "SUBREQ_1", "merchantNo": "M-TEST-1", "userId": "u1",
            "subscriptionPlan": {"subscriptionNo": "SUB_9", "subscriptionStatus": "INACTIVE"},
            "subscriptionPaymentDetails": [],
        },
        {"subscription_request_id": "SUBREQ_1"},
    ),
    (
        "createPaybylink",
        "queryPaybylink",
        make_link,
        {"merchantLinkId": "L_1"},
        {
            "linkId": "LK_9", "merchantLinkId": "L_1", "totalAmount": "10.5", "country": "SA",
            "currency": "SAR", "linkStatus": "ACTIVE", "expiresAt": "2030-01-01T00:00:00.000Z",
            "linkUrl": "https://pay.test/l/LK_9", "qrCodeUrl": "https://pay.test/q/LK_9",
            "description": "Order 3", "payByLinkInfo": [],
        },
        {"link_id": "LK_9", "link_url": "https://pay.test/l/LK_9", "link_status": "ACTIVE"},
    ),
    (
        "exchange",
        "exchangeQuery",
        lambda c: c.fx.exchange(
            ccy_pair="USDSAR", side="SELL", transaction_amount="100.00", transaction_ccy="USD",
            target_ccy="SAR", out_trade_no="FX_1",
        ),
        {"outTradeNo": "FX_1"},
        {
            "outTradeNo": "FX_1", "ccyPair": "USDSAR", "side": "SELL", "transactionAmount": "100",
            "transactionCcy": "USD", "targetCcy": "SAR", "targetAmount": "375.10", "rate": "3.751",
            "tradeNo": "FX_T_9", "status": "SUCCESS",
        },
        {"trade_no": "FX_T_9", "target_amount": Decimal("375.10"), "status": "SUCCESS"},
    ),
    (
        "confirmPayment",
        "orderQuery",
        lambda c: c.payments.confirm("O_1", trade_token="T_1", verification_code="123456"),
        {"outTradeNo": "O_1"},
        {"outTradeNo": "O_1", "tradeToken": "T_1", "status": "SUCCESS", "totalAmount": 10, "currency": "USD"},
        {"status": "SUCCESS"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("api", "query", "call", "asked", "answer", "fields"), CASES, ids=[c[0] for c in CASES]
)
async def test_lost_answer_then_order_repeat_is_settled_by_the_endpoints_query(
    client: PayerMaxClient,
    gateway: ScriptedGateway,
    keys: Keys,
    api: str,
    query: str,
    call: Call,
    asked: dict[str, Any],
    answer: dict[str, Any],
    fields: dict[str, Any],
) -> None:
    assert QUERIES[ENDPOINTS[api].reconcile].api_name == query
    lost_then_repeat(gateway, keys, api)
    answers(gateway, keys, query, answer)
    result = await call(client)
    result_type = ENDPOINTS[api].result_type
    assert result_type is not None and isinstance(result, result_type)
    assert result.reconciled and type(result).__name__ == result_type.__name__
    assert {name: getattr(result, name) for name in fields} == fields
    first, second = sent(gateway, api)
    assert first == second  # one business id, fixed before the first attempt
    assert sent(gateway, query) == [asked]


@pytest.mark.parametrize(
    ("api", "query", "call", "answer"),
    [
        ("createPaybylink", "queryPaybylink", make_link,
         {"merchantLinkId": "L_1", "totalAmount": "99.00", "currency": "SAR", "country": "SA"}),
        ("exchange", "exchangeQuery",
         lambda c: c.fx.exchange(ccy_pair="USDSAR", side="SELL", transaction_amount="100.00",
                                 transaction_ccy="USD", target_ccy="SAR", out_trade_no="FX_1"),
         {"outTradeNo": "FX_1", "ccyPair": "USDSAR", "side": "BUY", "transactionAmount": "100.00"}),
        ("subscriptionCreate", "subscriptionQuery",
         lambda c: c.subscriptions.create(user_id="u1", callback_url="https://merchant.test/sub",
                                          subscription_plan=plan(), subscription_request_id="SUBREQ_1"),
         {"subscriptionRequestId": "SUBREQ_1", "userId": "someone-else"}),
    ],
    ids=["link-amount", "exchange-side", "subscription-user"],
)  # fmt: skip
async def test_a_query_showing_another_request_is_the_flat_methods_order_repeat_error(
    client: PayerMaxClient,
    gateway: ScriptedGateway,
    keys: Keys,
    api: str,
    query: str,
    call: Call,
    answer: dict[str, Any],
) -> None:
    # The id was already taken by a request with other content: ours was refused, not lost.
    lost_then_repeat(gateway, keys, api)
    answers(gateway, keys, query, answer)
    with pytest.raises(ApiError) as info:
        await call(client)
    assert info.value.code == "ORDER_REPEAT" and info.value.operation == api
    assert "different request" in info.value.message


async def test_a_query_that_finds_nothing_is_its_own_refusal(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    lost_then_repeat(gateway, keys, "createPaybylink")
    gateway.post(BASE + "queryPaybylink", callback=lambda url, **kw: reply(keys, code="ORDER_NOT_EXIST"))
    with pytest.raises(ApiError) as info:
        await make_link(client)
    assert info.value.code == "ORDER_NOT_EXIST" and info.value.operation == "queryPaybylink"


@pytest.mark.parametrize(
    ("api", "request_", "result_type", "query", "answer", "fields"),
    [
        ("refund",
         RefundRequest(out_refund_no="RF_1", refund_amount=Decimal("5.00"), refund_currency="USD",
                       out_trade_no="O_1"),
         RefundResult, "refundQuery",
         {"outRefundNo": "RF_1", "refundTradeNo": "RT_9", "refundAmount": 5, "refundCurrency": "USD",
          "outTradeNo": "O_1", "status": "REFUND_SUCCESS"},
         {"refund_trade_no": "RT_9", "status": "REFUND_SUCCESS"}),
        ("paymentOrderPay",
         PayoutRequest(out_trade_no="PO_1", country="BR",
                       trade=PayoutTrade(amount=Decimal("7.5"), currency="BRL"),
                       payee_info=PayeeInfo(payment_method_type="BANK_TRANSFER",
                                            account_info=PayeeAccountInfo(account_no="1", account_type="CPF",
                                                                          check_digit="0"))),
         PayoutResult, "paymentOrderQry",
         {"outTradeNo": "PO_1", "tradeNo": "PT_9", "status": "PENDING",
          "trade": {"amount": "7.50", "currency": "BRL"}},
         {"trade_no": "PT_9", "status": "PENDING"}),
    ],
    ids=["refund_query", "payout_query"],
)  # fmt: skip
async def test_the_dispatcher_settles_the_flat_kinds_the_same_way(
    client: PayerMaxClient,
    gateway: ScriptedGateway,
    keys: Keys,
    api: str,
    request_: msgspec.Struct,
    result_type: type[Any],
    query: str,
    answer: dict[str, Any],
    fields: dict[str, Any],
) -> None:
    # The flat methods are settled by the same dispatcher (OperationsBase._send runs it).
    settle = reconciler(client, api, request_, result_type, {"key": "k"}, RequestOptions())
    assert settle is not None
    answers(gateway, keys, query, answer)
    result = await settle()
    assert result.reconciled and isinstance(result, result_type)
    assert {name: getattr(result, name) for name in fields} == fields
    assert sent(gateway, query) == [
        msgspec.to_builtins(query_request(QUERIES[ENDPOINTS[api].reconcile], request_))
    ]
    answers(gateway, keys, query, {**answer, "refundAmount": 6, "trade": {"amount": "8", "currency": "BRL"}})
    with pytest.raises(ApiError) as info:
        await settle()
    assert info.value.code == "ORDER_REPEAT"


async def test_a_flat_method_is_settled_by_its_endpoints_kind_too(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    # order_close's kind is order_query: a close whose answer was lost is read back, not guessed.
    assert ENDPOINTS["orderClose"].reconcile == "order_query"
    lost_then_repeat(gateway, keys, "orderClose")
    answers(gateway, keys, "orderQuery", {"outTradeNo": "O_7", "status": "CLOSED", "totalAmount": 5})
    closed = await client.order_close("O_7", "no stock")
    assert closed.reconciled and closed.status == "CLOSED" and closed.out_trade_no == "O_7"
    assert sent(gateway, "orderQuery") == [{"outTradeNo": "O_7"}]


# ---------------------------------------------------------------------------- read, replay, none


@pytest.mark.parametrize(
    "api", sorted({e.api_name for e in ENDPOINTS.values() if e.reconcile not in QUERIES})
)
def test_kinds_without_a_query_get_no_reconcile(client: PayerMaxClient, api: str) -> None:
    # No request: the endpoint by apiName (its variants share one kind).
    assert reconciler(client, api, cast(Any, None), dict, {}, RequestOptions()) is None


async def test_replay_kind_after_order_repeat_is_an_outcome_that_landed(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    assert ENDPOINTS["subscriptionCancel"].reconcile == "replay"
    lost_then_repeat(gateway, keys, "subscriptionCancel")
    with pytest.raises(OutcomeUnknownError) as info:
        await client.subscriptions.cancel("SUB_9")
    assert info.value.landed and info.value.ids == {"subscription_no": "SUB_9"}
    assert [r.url for r in gateway.requests] == [BASE + "subscriptionCancel"] * 2  # no query was sent


async def test_read_kind_is_simply_asked_again(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    assert ENDPOINTS["queryPaybylink"].reconcile == "read"
    gateway.post(BASE + "queryPaybylink", exception=ResponseLostError("lost"))
    answers(gateway, keys, "queryPaybylink", {"merchantLinkId": "L_1", "linkStatus": "ACTIVE"})
    found = await client.payment_links.query("L_1")
    assert found.link_status == "ACTIVE" and not found.reconciled


@pytest.mark.parametrize(
    ("api", "method"),
    [("applyDDC", lambda c: c.payments.apply_ddc), ("applyDropinSession", lambda c: c.dropin.apply_session)],
)
def test_none_kind_says_a_repeat_may_act_twice(client: PayerMaxClient, api: str, method: Any) -> None:
    assert ENDPOINTS[api].reconcile == "none" and ENDPOINTS[api].idempotency == ()
    doc = " ".join((method(client).__doc__ or "").split())
    assert "no business id" in doc and "second session" in doc and "max_retries=0" in doc


async def test_none_kind_retried_after_a_lost_answer_is_sent_again(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    gateway.post(BASE + "applyDropinSession", exception=ResponseLostError("lost"))
    answers(gateway, keys, "applyDropinSession", {"sessionKey": "S_2", "clientKey": "C"})
    session = await client.dropin.apply_session(currency="USD", country="US", user_id="u1")
    assert session.session_key == "S_2" and not session.reconciled
    assert len(sent(gateway, "applyDropinSession")) == 2  # the one that was lost may have made S_1
