"""Every operation beyond capture at unit level (a scripted gateway, no socket): the wire request it
builds, the typed result, the per-endpoint version, input refused before sending, and reconciliation when a
retry meets ORDER_REPEAT after a lost answer. Orders, cancel and close, the generic call and the ISV
envelope here; refunds and payouts in test_operations_refunds_payouts.py."""

from __future__ import annotations

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
    PayerMaxClient,
    PaymentDetail,
    PaymentStatus,
)
from payermax_async.types import OrderQueryResult

from ..support import Keys, Reply
from .opskit import BACK, Gateway, lost_then_repeated, ok, reply

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
        ({"amount": "1e3"}, "totalAmount"),  # not plain decimal text: refused under its wire name too
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
    lost_then_repeated(gw, "orderAndPay")
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
    lost_then_repeated(gw, "orderAndPay")
    gw.on(
        "orderQuery",
        ok(keys, outTradeNo="O_7", tradeToken="T-7", totalAmount=99, currency="USD", status="SUCCESS"),
    )
    with pytest.raises(ApiError) as info:
        await client.order_and_pay(
            "O_7", 10, "USD", country="US", subject="s", user_id="u", front_callback_url=BACK
        )
    assert info.value.code == "ORDER_REPEAT" and info.value.out_trade_no == "O_7"


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
