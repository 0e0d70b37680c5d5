"""Drop-in, tokens, pay-by-link and subscriptions, each through its whole flow."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.wire import Refusal

from .flowkit import Driver
from .states import example_data


def session(drive: Driver, user: str = "u1", **extra: Any) -> str:
    data = example_data("applyDropinSession")
    data.update(userId=user, currency="USD", country="US", **extra)
    return str(drive.ok("applyDropinSession", data)["sessionKey"])


def dropin_payment(
    drive: Driver, out_trade_no: str, session_key: str, token: str = "card_tok", **extra: Any
) -> dict[str, Any]:
    data = example_data("orderAndPay(for-drop-dont-copy-me)")
    data.update(
        outTradeNo=out_trade_no,
        userId="u1",
        currency="USD",
        country="US",
        totalAmount=Decimal("5.00"),
        **extra,
    )
    data["paymentDetail"].update(paymentToken=token, sessionKey=session_key)
    return data


def test_a_drop_in_payment_redeems_the_session(drive: Driver) -> None:
    key = session(drive)
    assert drive.ok("orderAndPay", dropin_payment(drive, "D1", key))["status"] == "SUCCESS"
    assert drive.notices()[0].callback == "collectResultNotifyUrl"
    assert drive.ok("orderAndPay", dropin_payment(drive, "D2", key, "tok_0002"))["status"] == "FAILED"


def test_a_drop_in_authorization(drive: Driver) -> None:
    key = session(drive, captureMode="MANUAL")
    data = dropin_payment(drive, "D3", key, captureMode="MANUAL")
    assert (
        drive.gateway.facts.select_variant("orderAndPay", data)
        == "orderAndPay(for-auth-capture-drop-dont-copy-me)"
    )
    assert drive.ok("orderAndPay", data)["status"] == "SUCCESS"
    assert drive.notices()[0].callback == "authResultNotifyUrl"
    cap = {"outTradeNo": "D3", "requestId": "c", "amount": Decimal("5.00"), "currency": "USD"}
    assert drive.ok("capture", cap)["status"] == "SUCCESS"


def test_a_drop_in_payment_needs_an_open_session_of_the_same_payer(drive: Driver) -> None:
    assert (
        drive.refused("orderAndPay", dropin_payment(drive, "D4", "nope")).field == "paymentDetail.sessionKey"
    )
    other = session(drive, user="u2")
    assert drive.refused("orderAndPay", dropin_payment(drive, "D5", other)).field == "userId"


def test_device_data_collection_is_for_cards_only(drive: Driver) -> None:
    data = example_data("applyDDC")
    data["paymentMethodType"] = "CARD"
    assert drive.ok("applyDDC", data)["ddcUrl"]
    data["paymentMethodType"] = "WALLET"
    answer = drive.gateway.handle_data("applyDDC", data)
    assert answer.data is None and answer.code == "APPLY_SUCCESS"


def bind(user: str, request_id: str, with_card: bool) -> dict[str, Any]:
    data = example_data("applyPaymentToken")
    data.update(userId=user, requestId=request_id, tokenScope="tokenAcq", paymentMethodType="CARD")
    data.pop("cardInfo", None)
    if with_card:
        data["cardInfo"] = {
            "cardOrg": "VISA",
            "cardIdentifierNo": "4111111111111111",
            "cardHolderFullName": "A B",
            "cardExpirationMonth": "12",
            "cardExpirationYear": "30",
        }
    return data


def test_binding_a_token_through_the_payers_page(drive: Driver) -> None:
    answer = drive.ok("applyPaymentToken", bind("u1", "b1", with_card=False))
    assert answer["status"] == "PENDING" and answer["redirectUrl"]
    assert drive.ok("applyPaymentToken", bind("u1", "b1", with_card=False)) == answer
    inquiry = {"userId": "u1", "tokenScope": "tokenAcq", "requestId": "b1"}
    assert drive.ok("InquireApplyRequest", inquiry)["status"] == "PENDING"
    drive.gateway.complete_binding("b1")
    [notice] = drive.notices()
    assert notice.notify_type == "TOKENIZATION" and notice.body["data"]["status"] == "SUCCESS"
    done = drive.ok("InquireApplyRequest", inquiry)
    assert done["status"] == "SUCCESS" and "redirectUrl" not in done
    with pytest.raises(Refusal):
        drive.gateway.complete_binding("b1")
    assert drive.refused("InquireApplyRequest", dict(inquiry, userId="u2")).code == "ORDER_NOT_EXIST"


def test_a_failed_binding_issues_no_token(drive: Driver) -> None:
    drive.ok("applyPaymentToken", bind("u1", "b2", with_card=False))
    drive.gateway.complete_binding("b2", success=False)
    assert drive.notices()[0].body["data"]["status"] == "FAILED"
    assert drive.ok("inquirePaymentToken", {"userId": "u1", "tokenScope": "tokenAcq"})["tokenList"] == []


def test_pay_with_a_token_then_remove_it(drive: Driver) -> None:
    token = drive.ok("applyPaymentToken", bind("u1", "b3", with_card=True))["paymentTokenID"]
    listed = drive.ok("inquirePaymentToken", {"userId": "u1", "tokenScope": "tokenAcq"})["tokenList"]
    assert [t["paymentTokenID"] for t in listed] == [token] and listed[0]["cardInfo"] == "411111******1111"
    data = drive.direct("TokPay", userId="u1")
    data["paymentDetail"] = {
        "paymentMethodType": "CARD",
        "paymentTokenID": token,
        "buyerInfo": {"clientIp": "127.0.0.1", "userAgent": "t"},
    }
    assert drive.ok("orderAndPay", data)["status"] == "SUCCESS"
    removed = drive.ok("removePaymentToken", {"userId": "u1", "paymentTokenID": token})
    assert removed["paymentTokenStatus"] == "Deleted"
    data["outTradeNo"] = "TokPay2"
    assert drive.refused("orderAndPay", data).field == "paymentDetail.paymentTokenID"
    assert (
        drive.refused("removePaymentToken", {"userId": "u2", "paymentTokenID": token}).field
        == "paymentTokenID"
    )


def test_a_payment_can_save_its_card(drive: Driver) -> None:
    data = drive.card("Save1", "4111111111111111", userId="u9")
    data["paymentDetail"]["tokenForFutureUse"] = True
    drive.ok("orderAndPay", data)
    [notice] = drive.notices()
    token = notice.body["data"]["paymentDetails"][0]["paymentTokenID"]
    listed = drive.ok(
        "inquirePaymentToken", {"userId": "u9", "tokenScope": "tokenAcq", "paymentTokenID": token}
    )
    assert len(listed["tokenList"]) == 1


def link(merchant_link_id: str, **extra: Any) -> dict[str, Any]:
    data = example_data("createPaybylink")
    data.update(merchantLinkId=merchant_link_id, **extra)
    return data


def test_a_link_is_paid_and_notified(drive: Driver) -> None:
    made = drive.ok("createPaybylink", link("L1"))
    assert made["linkStatus"] == "ACTIVE"
    assert drive.refused("createPaybylink", link("L1")).code == "ORDER_REPEAT"
    drive.gateway.pay_link("L1")
    [notice] = drive.notices()
    assert (
        notice.notify_type == "PAYBYLINK" and notice.body["data"]["payByLinkInfo"][0]["status"] == "SUCCESS"
    )
    assert len(drive.ok("queryPaybylink", {"merchantLinkId": "L1"})["payByLinkInfo"]) == 1


def test_a_link_expires_by_request_or_by_time(drive: Driver) -> None:
    drive.ok("createPaybylink", link("L2"))
    assert drive.ok("expirePaybylink", {"merchantLinkId": "L2"})["linkStatus"] == "EXPIRED"
    with pytest.raises(Refusal):
        drive.gateway.pay_link("L2")
    drive.ok("createPaybylink", link("L3", expiresTime="60"))
    drive.clock.now += 61
    assert drive.ok("queryPaybylink", {"merchantLinkId": "L3"})["linkStatus"] == "EXPIRED"
    assert drive.refused("queryPaybylink", {"merchantLinkId": "none"}).code == "ORDER_NOT_EXIST"


def test_a_subscription_from_creation_to_cancel(drive: Driver) -> None:
    created = drive.ok("subscriptionCreate", example_data("subscriptionCreate"))
    plan = created["subscriptionPlan"]
    assert plan["subscriptionStatus"] == "INACTIVE"
    first = drive.card("Sub1", "4111111111111111")
    first["subscriptionPlan"] = {"subscriptionNo": plan["subscriptionNo"]}
    first.pop("mitManagementUrl", None)
    drive.ok("orderAndPay", first)
    kinds = [n.notify_type for n in drive.notices()]
    assert kinds == ["PAYMENT", "SUBSCRIPTION", "SUBSCRIPTION_PAYMENT"]
    drive.clock.now += 30 * 86400
    second = drive.gateway.charge_subscription(plan["subscriptionNo"])
    assert second["subscriptionIndex"] == 1
    assert drive.notices()[0].body["data"]["subscriptionPaymentDetail"]["subscriptionIndex"] == 1
    view = drive.ok("subscriptionQuery", {"subscriptionRequestId": created["subscriptionRequestId"]})
    assert (
        view["subscriptionPlan"]["subscriptionStatus"] == "ACTIVE"
        and len(view["subscriptionPaymentDetails"]) == 2
    )
    cancelled = drive.ok("subscriptionCancel", {"subscriptionNo": plan["subscriptionNo"]})
    assert cancelled["subscriptionPlan"]["subscriptionStatus"] == "CANCEL"
    assert drive.notices()[0].notify_type == "SUBSCRIPTION"
    with pytest.raises(Refusal):
        drive.gateway.charge_subscription(plan["subscriptionNo"])
    again = example_data("subscriptionCreate") | {"subscriptionRequestId": created["subscriptionRequestId"]}
    replayed = drive.ok("subscriptionCreate", again)["subscriptionPlan"]
    assert replayed == {"subscriptionNo": plan["subscriptionNo"], "subscriptionStatus": "CANCEL"}


def test_subscription_lookups(drive: Driver) -> None:
    assert drive.refused("subscriptionQuery", {}).field == "subscriptionNo"
    assert drive.refused("subscriptionQuery", {"subscriptionNo": "x"}).code == "ORDER_NOT_EXIST"
    assert drive.refused("subscriptionQuery", {"subscriptionRequestId": "x"}).code == "ORDER_NOT_EXIST"


def test_an_exchange_is_remembered(drive: Driver) -> None:
    deal = example_data("exchange")
    made = drive.ok("exchange", deal)
    assert Decimal(made["targetAmount"]) == (
        Decimal(deal["transactionAmount"]) * Decimal(made["rate"])
    ).quantize(Decimal("0.01"))
    assert drive.ok("exchangeQuery", {"outTradeNo": deal["outTradeNo"].upper()})["tradeNo"] == made["tradeNo"]
    assert drive.refused("exchange", deal).code == "ORDER_REPEAT"
    assert drive.refused("exchangeQuery", {"outTradeNo": "none"}).code == "ORDER_NOT_EXIST"


def test_disputes_echo_the_case_asked_for(drive: Driver) -> None:
    answer = drive.ok("caseSearch", {"caseId": "CASE42"})
    assert answer["caseId"] == "CASE42"
