"""The state each PayerMax request example needs before the gateway can accept it, built through
the gateway's own requests and steps (never by writing its books directly)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from payermax_async.testing.gateway.flows import Gateway
from payermax_async.testing.gateway.wire import APPLY_SUCCESS

from .kit import FACTS, fresh_id, with_fresh_ids


def example_data(key: str, index: int = 0) -> dict[str, Any]:
    return with_fresh_ids(FACTS.operation(key)["request_examples"][index]["data"])


def ok(gateway: Gateway, api: str, data: dict[str, Any]) -> dict[str, Any]:
    answer = gateway.handle_data(api, data)
    assert answer.code == APPLY_SUCCESS, (api, answer)
    return answer.data or {}


def paid_order(gateway: Gateway, out_trade_no: str, amount: Decimal, currency: str) -> None:
    data = example_data("orderAndPay/delSuffixStart1", 0)
    data.update(outTradeNo=out_trade_no, totalAmount=amount, currency=currency)
    data.pop("subscriptionPlan", None)
    data.pop("goodsDetails", None)
    assert ok(gateway, "orderAndPay", data)["status"] == "SUCCESS"


def pending_order(gateway: Gateway, out_trade_no: str) -> None:
    data = example_data("orderAndPay", 1)
    data["outTradeNo"] = out_trade_no
    ok(gateway, "orderAndPay", data)


def token_for(gateway: Gateway, user_id: str) -> str:
    data = example_data("applyPaymentToken")
    data.update(
        userId=user_id,
        tokenScope="tokenAcq",
        cardInfo={
            "cardOrg": "VISA",
            "cardIdentifierNo": "4111111111111111",
            "cardHolderFullName": "A B",
            "cardExpirationMonth": "12",
            "cardExpirationYear": "30",
        },
    )
    answer = ok(gateway, "applyPaymentToken", data)
    assert answer["status"] == "SUCCESS"
    return str(answer["paymentTokenID"])


def prepare(gateway: Gateway, key: str, data: dict[str, Any]) -> None:
    """Give the gateway what ``data`` refers to; adjust ``data``'s references to it."""
    api = FACTS.operation(key)["api_name"]
    detail = data.get("paymentDetail") or {}
    if api == "orderAndPay" and detail.get("paymentToken") is not None:
        session = example_data("applyDropinSession")
        session.update(userId=data["userId"], currency=data["currency"], country=data["country"])
        detail["sessionKey"] = ok(gateway, "applyDropinSession", session)["sessionKey"]
    elif api == "orderAndPay" and detail.get("paymentTokenID") is not None:
        detail["paymentTokenID"] = token_for(gateway, data["userId"])
    elif api in ("orderQuery", "orderClose", "confirmPayment"):
        pending_order(gateway, data["outTradeNo"])
    elif api in ("capture", "cancel"):
        gateway.authorize(
            data["outTradeNo"], Decimal(str(data.get("amount", 100))), data.get("currency", "USD")
        )
    elif api == "refund":
        data.pop("tradeToken", None)
        data["outTradeNo"] = fresh_id("PAID")
        paid_order(gateway, data["outTradeNo"], Decimal(str(data["refundAmount"])), data["refundCurrency"])
    elif api == "refundQuery":
        refund = example_data("refund")
        refund["outTradeNo"] = fresh_id("PAID")
        paid_order(
            gateway, refund["outTradeNo"], Decimal(str(refund["refundAmount"])), refund["refundCurrency"]
        )
        made = ok(gateway, "refund", refund)
        data["outRefundNo"] = made["outRefundNo"]
        data.pop("refundTradeNo", None)
    elif api == "paymentOrderQry":
        payout = example_data("paymentOrderPay")
        payout["outTradeNo"] = data["outTradeNo"]
        ok(gateway, "paymentOrderPay", payout)
    elif api == "InquireApplyRequest":
        binding = example_data("applyPaymentToken")
        binding.update(requestId=data["requestId"], userId=data["userId"], tokenScope=data["tokenScope"])
        ok(gateway, "applyPaymentToken", binding)
    elif api == "removePaymentToken":
        data["paymentTokenID"] = token_for(gateway, data["userId"])
    elif api in ("queryPaybylink", "expirePaybylink"):
        link = example_data("createPaybylink")
        link["merchantLinkId"] = data["merchantLinkId"]
        ok(gateway, "createPaybylink", link)
    elif api in ("subscriptionQuery", "subscriptionCancel"):
        sub = example_data("subscriptionCreate")
        made = ok(gateway, "subscriptionCreate", sub)
        data["subscriptionNo"] = made["subscriptionPlan"]["subscriptionNo"]
        data.pop("subscriptionRequestId", None)
    elif api == "exchangeQuery":
        deal = example_data("exchange")
        deal["outTradeNo"] = data["outTradeNo"]
        ok(gateway, "exchange", deal)
