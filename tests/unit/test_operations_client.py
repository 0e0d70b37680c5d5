"""Every operation beyond capture at unit level (a scripted gateway, no socket): the wire request it
builds, the typed result, the per-endpoint version, input refused before sending, and reconciliation when a
retry meets ORDER_REPEAT after a lost answer."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from payermax_async import (
    ApiError,
    BuyerInfo,
    CancelStatus,
    CardInfo,
    CloseStatus,
    GoodsDetail,
    InvalidRequestError,
    OutcomeUnknownError,
    PayeeAccountInfo,
    PayeeInfo,
    PayeeName,
    PayerMaxClient,
    PaymentDetail,
    PaymentStatus,
    PayoutStatus,
    RefundStatus,
    ResponseLostError,
)
from payermax_async.signing import RsaVerifier
from payermax_async.types import OrderQueryResult

from ..support import Keys, Reply, ScriptedGateway

BASE = "http://127.0.0.1:9/aggregate-pay/api/gateway/"
BACK = "https://merchant.test/back"  # hosted checkout's frontCallbackUrl (required by PayerMax)


def lost() -> ResponseLostError:
    """An answer that never came (a fresh error each time: the pipeline annotates it)."""
    return ResponseLostError("connection failed mid-request")


Handler = Callable[[dict[str, Any]], Reply]


def reply(keys: Keys, data: Any = None, code: str = "APPLY_SUCCESS") -> Reply:
    body = json.dumps(
        {"code": code, "msg": "Success." if code == "APPLY_SUCCESS" else "no", "data": data}
    ).encode()
    return Reply(
        status=200, body=body, headers={"Content-Type": "application/json", "sign": keys.payermax_sign(body)}
    )


class Gateway:
    """Routes each apiName to a handler and records what was sent, verified with the merchant key."""

    def __init__(self, m: ScriptedGateway, keys: Keys) -> None:
        self.m, self.keys = m, keys
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def on(self, api: str, *handlers: Handler | Exception, repeat: bool = False) -> None:
        for handler in handlers:
            if isinstance(handler, Exception):
                self.m.post(BASE + api, exception=handler)
                continue

            def callback(url: Any, _h: Handler = handler, _api: str = api, **kw: Any) -> Reply:
                body, headers = kw["data"], kw["headers"]
                assert RsaVerifier(self.keys.merchant_public).verify(body, base64.b64decode(headers["sign"]))
                envelope = json.loads(body)
                self.sent.append((_api, envelope, headers))
                return _h(envelope)

            self.m.post(BASE + api, callback=callback, repeat=repeat)

    def envelopes(self, api: str) -> list[dict[str, Any]]:
        """The requests that got an answer (a raised exception records no envelope)."""
        return [env for name, env, _ in self.sent if name == api]

    def attempts(self, api: str) -> int:
        return sum(1 for r in self.m.requests if r.url == BASE + api)


@pytest.fixture
def gw(keys: Keys, gateway: ScriptedGateway) -> Gateway:
    return Gateway(gateway, keys)


def ok(keys: Keys, **data: Any) -> Handler:
    return lambda env: reply(keys, data)


# ---------------------------------------------------------------------------- orderAndPay


async def test_authorization_request_shape_and_result(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "orderAndPay",
        lambda env: reply(
            keys,
            {
                "outTradeNo": env["data"]["outTradeNo"],
                "tradeToken": "T-1",
                "status": "PENDING",
                "redirectUrl": "https://cashier.test/3ds",
            },
        ),
    )
    result = await client.order_and_pay(
        "AUTH_1",
        Decimal("25.50"),
        "USD",
        country="US",
        subject="Hotel deposit",
        user_id="user-7",
        integrate="Direct_Payment",
        terminal_type="WEB",
        capture_mode="MANUAL",
        notify_url="https://merchant.test/payermax/notify",
        payment_detail=PaymentDetail(
            payment_method_type="CARD",
            card_info=CardInfo(
                card_identifier_no="4111111111111111",
                card_expiration_year="27",
                card_expiration_month="12",
                cvv="123",
            ),
            buyer_info=BuyerInfo(client_ip="127.0.0.1", user_agent="Mozilla/5.0"),
        ),
        goods_details=[GoodsDetail(goods_id="G1", goods_name="Night", quantity="1", price=Decimal("25.50"))],
        expire_time=1800,
    )
    [env] = gw.envelopes("orderAndPay")
    assert env["version"] == "1.5"  # the Direct API authorization variant's
    data = env["data"]
    assert data["captureMode"] == "MANUAL" and data["authorizationType"] == "FINAL_AUTH"
    assert data["totalAmount"] == 25.5 and data["integrate"] == "Direct_Payment"
    assert data["terminalType"] == "WEB"
    card = data["paymentDetail"]["cardInfo"]
    assert card == {
        "cardIdentifierNo": "4111111111111111",
        "cardExpirationYear": "27",
        "cardExpirationMonth": "12",
        "cvv": "123",
    }
    assert data["paymentDetail"]["buyerInfo"] == {"clientIp": "127.0.0.1", "userAgent": "Mozilla/5.0"}
    # goodsDetails[].price is a string on the wire, as PayerMax types it
    assert data["goodsDetails"] == [
        {"goodsId": "G1", "goodsName": "Night", "quantity": "1", "price": "25.50"}
    ]
    assert data["expireTime"] == "1800" and "frontCallbackUrl" not in data
    assert result.trade_token == "T-1" and result.redirect_url == "https://cashier.test/3ds"
    assert result.status is PaymentStatus.PENDING and not result.reconciled
    [(_, _, headers)] = gw.sent
    assert "merchantAuthToken" not in headers and "merchant_auth_token" not in headers


async def test_amount_is_an_exact_json_number(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    raw: list[bytes] = []
    gw.on("orderAndPay", lambda env: reply(keys, {"outTradeNo": "O_1", "tradeToken": "T"}))
    gw.m.requests.clear()
    await client.order_and_pay(
        "O_1", "0.10", "USD", country="US", subject="s", user_id="u", front_callback_url=BACK
    )
    raw.extend(r.body for r in gw.m.requests)
    assert b'"totalAmount":0.10' in raw[0]


async def test_extra_fields_ride_along_but_cannot_override(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("orderAndPay", ok(keys, outTradeNo="O_2", tradeToken="T-2"))
    await client.order_and_pay(
        "O_2",
        5,
        "USD",
        country="US",
        subject="s",
        user_id="u",
        front_callback_url=BACK,
        risk_params={"level": Decimal("1.25")},
        extra={"environment": {"x": "y"}},
    )
    [env] = gw.envelopes("orderAndPay")
    assert env["data"]["riskParams"] == {"level": 1.25} and env["data"]["totalAmount"] == 5
    assert env["data"]["environment"] == {"x": "y"} and env["version"] == "1.4"
    with pytest.raises(InvalidRequestError, match="totalAmount"):
        await client.order_and_pay(
            "O_3", 5, "USD", subject="s", user_id="u", front_callback_url=BACK, extra={"totalAmount": 1}
        )
    assert len(gw.sent) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 1.5}, "totalAmount"),
        ({"amount": "1.001"}, "totalAmount"),
        ({"amount": "1e3"}, "amount"),  # not plain decimal text: refused before it is an amount
        ({"currency": "usd"}, "currency"),  # not an ISO 4217 code: named as itself
        ({"country": "USA"}, "country"),
        ({"subject": "x" * 257}, "subject"),
        ({"out_trade_no": "bad id!"}, "outTradeNo"),
        ({"out_trade_no": "ORD-1"}, "outTradeNo"),
        ({"notify_url": "ftp://x.test/n"}, "notifyUrl"),
        ({"front_callback_url": None}, "frontCallbackUrl"),  # hosted checkout needs it
        ({"integrate": "Direct_Payment", "terminal_type": "WEB"}, "paymentDetail"),
        ({"capture_mode": "LATER"}, "captureMode"),
        ({"authorization_type": "FINAL_AUTH"}, "authorizationType"),
        ({"goods_details": [{"goodsId": "x"}]}, "goodsDetails[0]"),
        ({"extra": {"outTradeNo": "other"}}, "extra"),
        ({"extra": {"": "blank"}}, "extra"),
        ({"payment_detail": {"cardInfo": {}}}, "paymentDetail"),
    ],
)
async def test_order_and_pay_refuses_bad_input_before_sending(
    client: PayerMaxClient, gw: Gateway, overrides: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {
        "out_trade_no": "O_1",
        "amount": "10",
        "currency": "USD",
        "country": "US",
        "subject": "s",
        "user_id": "u",
        "front_callback_url": BACK,
    }
    args.update(overrides)
    with pytest.raises(InvalidRequestError) as info:
        await client.order_and_pay(**args)
    assert info.value.field == field
    assert gw.sent == [] and not gw.m.requests


async def test_lost_answer_then_order_repeat_is_reconciled_by_order_query(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "orderAndPay",
        lost(),
        lambda env: reply(keys, code="ORDER_REPEAT"),
    )
    gw.on(
        "orderQuery",
        ok(keys, outTradeNo="O_9", tradeToken="T-9", totalAmount=10, currency="USD", status="SUCCESS"),
    )
    result = await client.order_and_pay(
        "O_9", 10, "USD", country="US", subject="s", user_id="u", front_callback_url=BACK
    )
    assert result.reconciled and result.status is PaymentStatus.SUCCESS and result.trade_token == "T-9"
    assert result.redirect_url is None
    assert [env["data"]["outTradeNo"] for env in gw.envelopes("orderQuery")] == ["O_9"]


async def test_reconcile_refuses_someone_elses_order(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    # The id was taken before (another amount): ORDER_REPEAT after a lost answer is not "ours landed".
    gw.on(
        "orderAndPay",
        lost(),
        lambda env: reply(keys, code="ORDER_REPEAT"),
    )
    gw.on(
        "orderQuery",
        ok(keys, outTradeNo="O_7", tradeToken="T-7", totalAmount=99, currency="USD", status="SUCCESS"),
    )
    with pytest.raises(ApiError) as info:
        await client.order_and_pay(
            "O_7", 10, "USD", country="US", subject="s", user_id="u", front_callback_url=BACK
        )
    assert info.value.code == "ORDER_REPEAT" and info.value.out_trade_no == "O_7"


async def test_refund_reconcile_refuses_a_different_refund(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "refund",
        lost(),
        lambda env: reply(keys, code="ORDER_REPEAT"),
    )
    other = {"outRefundNo": "R_4", "outTradeNo": "O_OTHER", "refundAmount": 3, "refundCurrency": "USD"}
    gw.on("refundQuery", ok(keys, status="REFUND_SUCCESS", **other))
    with pytest.raises(ApiError) as info:
        await client.refund("O_1", "R_4", 3, "USD")
    assert info.value.code == "ORDER_REPEAT" and info.value.out_refund_no == "R_4"


async def test_order_repeat_on_the_first_attempt_is_the_callers_error(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("orderAndPay", lambda env: reply(keys, code="ORDER_REPEAT"))
    with pytest.raises(ApiError) as info:
        await client.order_and_pay(
            "O_8", 10, "USD", country="US", subject="s", user_id="u", front_callback_url=BACK
        )
    assert info.value.code == "ORDER_REPEAT" and info.value.out_trade_no == "O_8"
    assert gw.envelopes("orderQuery") == []


# ---------------------------------------------------------------------------- query, cancel, close


async def test_order_query_and_version_defaults_and_overrides(
    make_client: Callable[..., PayerMaxClient], gw: Gateway, keys: Keys
) -> None:
    query = {
        "outTradeNo": "O_1",
        "tradeToken": "T",
        "totalAmount": "12.30",
        "currency": "USD",
        "status": "PENDING",
        "captureMode": "MANUAL",
    }
    gw.on("orderQuery", ok(keys, **query), repeat=True)
    async with make_client(versions={"orderQuery": "1.7"}) as custom, make_client() as plain:
        found = await plain.order_query("O_1")
        await custom.order_query("O_1")
        await custom.order_query("O_1", version="1.9")
    assert [env["version"] for env in gw.envelopes("orderQuery")] == ["1.5", "1.7", "1.9"]
    assert isinstance(found, OrderQueryResult) and found.total_amount == Decimal("12.30")
    assert found.status is PaymentStatus.PENDING and not found.status.is_final


async def test_cancel_generates_one_request_id_and_reuses_it_on_retry(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    def answer(env: dict[str, Any]) -> Reply:
        return reply(
            keys,
            {
                "cancelNo": "CN-1",
                "requestId": env["data"]["requestId"],
                "outTradeNo": "AUTH_1",
                "status": "SUCCESS",
            },
        )

    gw.on("cancel", lambda env: reply(keys, code="SYSTEM_ERROR"), answer)
    result = await client.cancel("AUTH_1")
    first, second = gw.envelopes("cancel")
    assert first["version"] == "1.5"
    assert re.fullmatch(r"[0-9a-f]{32}", first["data"]["requestId"])
    assert first["data"] == second["data"] and first["requestTime"] <= second["requestTime"]
    assert result.request_id == first["data"]["requestId"] and result.status is CancelStatus.SUCCESS


async def test_cancel_with_callers_request_id(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("cancel", ok(keys, requestId="MY-VOID-1", outTradeNo="AUTH_1", status="PENDING"))
    result = await client.cancel("AUTH_1", "MY-VOID-1")
    assert gw.envelopes("cancel")[0]["data"] == {"requestId": "MY-VOID-1", "outTradeNo": "AUTH_1"}
    assert result.status is CancelStatus.PENDING and not result.status.is_final


async def test_order_close(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("orderClose", ok(keys, outTradeNo="O_1", status="CLOSED", closedTime="2023-10-20T03:28:23.092Z"))
    result = await client.order_close("O_1", "customer left")
    [env] = gw.envelopes("orderClose")
    assert env["version"] == "1.4" and env["data"] == {"outTradeNo": "O_1", "reason": "customer left"}
    assert result.status is CloseStatus.CLOSED and result.closed_time is not None


# ---------------------------------------------------------------------------- refunds


async def test_refund_request_and_result(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on(
        "refund",
        ok(keys, outRefundNo="R_1", tradeOrderNo="T-1", refundTradeNo="RT-1", status="REFUND_PENDING"),
    )
    result = await client.refund(
        "O_1", "R_1", "7.5", "USD", comments="damaged", refund_notify_url="https://merchant.test/refunds"
    )
    [env] = gw.envelopes("refund")
    assert env["version"] == "1.5"
    assert env["data"] == {
        "outRefundNo": "R_1",
        "refundAmount": 7.5,
        "refundCurrency": "USD",
        "outTradeNo": "O_1",
        "comments": "damaged",
        "refundNotifyUrl": "https://merchant.test/refunds",
    }
    assert result.status is RefundStatus.REFUND_PENDING and result.refund_trade_no == "RT-1"
    assert result.trade_order_no == "T-1"  # PayerMax names the payment, not our outTradeNo


async def test_refund_lost_answer_is_reconciled_by_refund_query(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "refund",
        lost(),
        lambda env: reply(keys, code="ORDER_REPEAT"),
    )
    gw.on(
        "refundQuery",
        ok(
            keys,
            outRefundNo="R_2",
            refundTradeNo="RT-2",
            outTradeNo="O_1",
            refundAmount=3,
            refundCurrency="USD",
            status="REFUND_SUCCESS",
        ),
    )
    result = await client.refund("O_1", "R_2", 3, "USD")
    assert result.reconciled and result.status is RefundStatus.REFUND_SUCCESS
    assert gw.envelopes("refundQuery")[0]["data"] == {"outRefundNo": "R_2"}


async def test_refund_without_reconcile_answer_is_outcome_unknown(
    make_client: Callable[..., PayerMaxClient], gw: Gateway
) -> None:
    gw.on("refund", *[lost() for _ in range(2)])
    async with make_client(max_retries=1) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.refund("O_1", "R_3", 3, "USD")
    assert info.value.out_refund_no == "R_3" and info.value.out_trade_no == "O_1"


async def test_refund_query_by_either_id_but_exactly_one(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "refundQuery",
        ok(keys, outRefundNo="R_1", refundTradeNo="RT-1", status="REFUND_FAILED", resultMsg="issuer refused"),
        repeat=True,
    )
    by_trade = await client.refund_query(refund_trade_no="RT-1")
    assert gw.envelopes("refundQuery")[0]["data"] == {"refundTradeNo": "RT-1"}
    assert by_trade.status is RefundStatus.REFUND_FAILED and by_trade.status.is_final
    bad: list[dict[str, Any]] = [{}, {"out_refund_no": "R_1", "refund_trade_no": "RT-1"}]
    for kwargs in bad:
        with pytest.raises(InvalidRequestError):
            await client.refund_query(**kwargs)
    assert len(gw.sent) == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("O_1", "R_1", "-1", "USD"), "refundAmount"),
        (("O_1", "R_1", "100", "JPY", "x"), "refundNotifyUrl"),
        (("O_1", "R_1", "1.5", "IDR"), "refundAmount"),  # PayerMax refunds IDR whole
        (("O_1", "R_1", "1.001", "KWD"), "refundAmount"),  # and KWD to 2 places (ISO 4217: 3)
    ],
)
async def test_refund_refuses_bad_input(
    client: PayerMaxClient, gw: Gateway, args: tuple[Any, ...], field: str | None
) -> None:
    url = args[4] if len(args) == 5 else None  # a refund URL that is not a URL
    with pytest.raises(InvalidRequestError) as info:
        await client.refund(*args[:4], refund_notify_url=url)
    assert info.value.field == field
    assert not gw.m.requests


# ---------------------------------------------------------------------------- payouts


def payee() -> PayeeInfo:
    return PayeeInfo(
        payment_method_type="BANK_TRANSFER",
        target_org="NBE",
        account_info=PayeeAccountInfo(account_no="EG380019000500000000263180002"),
        name=PayeeName(full_name="Test Payee"),
    )


async def test_payout_sends_the_amount_as_an_exact_string(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("paymentOrderPay", ok(keys, outTradeNo="PO_1", tradeNo="TN-1", status="PENDING"))
    result = await client.payout(
        "PO_1",
        Decimal("100.5"),
        "EGP",
        country="EG",
        payee_info=payee(),
        notify_url="https://merchant.test/payouts",
        reference="batch-7",
        destination_currency="EGP",
        expiry_days=3,
        extra={"merchantVersion": "2.0"},
    )
    [env] = gw.envelopes("paymentOrderPay")
    assert env["version"] == "1.5"
    # trade.amount is a JSON string on the wire, exact as given (never through a float)
    assert env["data"]["trade"] == {"amount": "100.5", "currency": "EGP"}
    assert "paymentMethod" not in env["data"]["payeeInfo"]
    assert env["data"]["payeeInfo"]["paymentMethodType"] == "BANK_TRANSFER"
    assert env["data"]["destinationCurrency"] == "EGP" and env["data"]["expiryDays"] == "3"
    assert env["data"]["merchantVersion"] == "2.0" and env["data"]["reference"] == "batch-7"
    assert env["data"]["payeeInfo"]["accountInfo"]["accountNo"] == "EG380019000500000000263180002"
    assert result.status is PayoutStatus.PENDING and result.trade_no == "TN-1"


async def test_payout_lost_answer_is_reconciled_by_payout_query(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "paymentOrderPay",
        lost(),
        lambda env: reply(keys, code="ORDER_REPEAT"),
    )
    gw.on(
        "paymentOrderQry",
        ok(
            keys,
            outTradeNo="PO_2",
            tradeNo="TN-2",
            status="SUCCESS",
            trade={"amount": "1.00", "currency": "USD"},
        ),
    )
    result = await client.payout("PO_2", 1, "USD", country="US", payee_info=payee())
    assert result.reconciled and result.status is PayoutStatus.SUCCESS
    assert gw.attempts("paymentOrderPay") == 2  # the lost one and the ORDER_REPEAT, never a third


async def test_payout_query(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("paymentOrderQry", ok(keys, outTradeNo="PO_1", status="FAILED", responseCode="ACCOUNT_INVALID"))
    found = await client.payout_query("PO_1")
    assert found.status is PayoutStatus.FAILED and found.response_code == "ACCOUNT_INVALID"
    assert gw.envelopes("paymentOrderQry")[0]["data"] == {"outTradeNo": "PO_1"}


async def test_payout_refuses_bad_input(client: PayerMaxClient, gw: Gateway) -> None:
    with pytest.raises(InvalidRequestError, match="payeeInfo"):
        await client.payout("PO_1", 1, "USD", country="US", payee_info={"paymentMethod": "X"})  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as info:
        await client.payout("P-1", 1, "USD", country="US", payee_info=payee())
    assert info.value.field == "outTradeNo"
    no_account = PayeeInfo(payment_method_type="X", account_info=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as info:
        await client.payout("PO_1", 1, "USD", country="US", payee_info=no_account)
    assert info.value.field == "payeeInfo.accountInfo"
    assert not gw.m.requests


# ---------------------------------------------------------------------------- generic call, ISV


class BalanceQuery(msgspec.Struct, rename="camel"):
    currency: str


class Balance(msgspec.Struct, rename="camel"):
    available_amount: Decimal
    currency: str


async def test_call_with_dict_data_returns_exact_dict(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "applyDropinSession",
        lambda env: reply(keys, {"sessionKey": "SK", "amount": 0.1, "echo": env["data"]}),
    )
    result = await client.call("applyDropinSession", {"outTradeNo": "O_1", "totalAmount": Decimal("0.10")})
    [env] = gw.envelopes("applyDropinSession")
    assert env["version"] == "1.6"  # the drop-in default
    assert result["sessionKey"] == "SK" and result["amount"] == Decimal("0.1")
    assert isinstance(result["amount"], Decimal) and result["echo"]["totalAmount"] == Decimal("0.10")


async def test_call_with_struct_data_and_result_type(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("queryBalance", ok(keys, availableAmount="1000.25", currency="USD"))
    balance = await client.call(
        "queryBalance", BalanceQuery(currency="USD"), result_type=Balance, version="2.0"
    )
    [env] = gw.envelopes("queryBalance")
    assert env["data"] == {"currency": "USD"} and env["version"] == "2.0"
    assert isinstance(balance, Balance) and balance.available_amount == Decimal("1000.25")


async def test_call_refuses_bad_api_name_and_unencodable_data(client: PayerMaxClient, gw: Gateway) -> None:
    with pytest.raises(InvalidRequestError):
        await client.call("../capture", {})
    with pytest.raises(InvalidRequestError):
        await client.call("somethingNew", {"when": object()})
    assert not gw.m.requests


async def test_isv_envelope_carries_sp_merchant_no(
    make_client: Callable[..., PayerMaxClient], gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "orderQuery",
        ok(keys, outTradeNo="O_1", tradeToken="T", totalAmount=1, currency="USD", status="SUCCESS"),
    )
    async with make_client(sp_merchant_no="SP-ISV-1", merchant_auth_token="tok-1") as client:
        await client.order_query("O_1")
    [env] = gw.envelopes("orderQuery")
    assert env["spMerchantNo"] == "SP-ISV-1" and env["merchantNo"] == "M-TEST-1"


async def test_plain_merchant_envelope_has_no_sp_merchant_no(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "orderQuery",
        ok(keys, outTradeNo="O_1", tradeToken="T", totalAmount=1, currency="USD", status="SUCCESS"),
    )
    await client.order_query("O_1")
    assert "spMerchantNo" not in gw.envelopes("orderQuery")[0]
