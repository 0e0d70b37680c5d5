"""Refunds start pending and never exceed what was paid; payouts start pending and settle three ways."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.wire import Refusal

from .flowkit import Driver
from .states import example_data


def refund(out_trade_no: str, out_refund_no: str, amount: str, currency: str = "USD") -> dict[str, Any]:
    return {
        "outTradeNo": out_trade_no,
        "outRefundNo": out_refund_no,
        "refundAmount": Decimal(amount),
        "refundCurrency": currency,
        "refundNotifyUrl": "http://127.0.0.1/refunds",
    }


def test_a_refund_is_pending_then_settles_and_is_notified(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("P1", "4111111111111111"))
    drive.notices()
    answer = drive.ok("refund", refund("P1", "RF1", "4.00"))
    assert answer["status"] == "REFUND_PENDING"
    assert answer["tradeOrderNo"] == drive.ok("orderQuery", {"outTradeNo": "P1"})["tradeToken"]
    assert "outTradeNo" not in answer
    pending = drive.ok("refundQuery", {"outRefundNo": "RF1"})
    assert pending["status"] == "REFUND_PENDING" and pending["refundFinishTime"] == ""
    drive.gateway.settle_refund("RF1")
    [notice] = drive.notices()
    assert notice.notify_type == "REFUND" and notice.url == "http://127.0.0.1/refunds"
    assert notice.body["data"]["status"] == "REFUND_SUCCESS"
    by_trade_no = drive.ok("refundQuery", {"refundTradeNo": answer["refundTradeNo"]})
    assert by_trade_no["status"] == "REFUND_SUCCESS" and by_trade_no["refundFinishTime"]


def test_refunds_never_exceed_the_payment_counting_pending_ones(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("P2", "4111111111111111"))
    drive.ok("refund", refund("P2", "A", "6.00"))
    assert drive.refused("refund", refund("P2", "B", "4.01")).code == "AMOUNT_INVALID"
    drive.gateway.settle_refund("A", success=False)
    assert drive.ok("refundQuery", {"outRefundNo": "A"})["resultMsg"]
    drive.ok("refund", refund("P2", "B", "10.00"))


def test_a_replayed_out_refund_no(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("P3", "4111111111111111"))
    first = drive.ok("refund", refund("P3", "R", "1.00"))
    assert drive.ok("refund", refund("P3", "R", "1.00")) == first
    assert drive.refused("refund", refund("P3", "R", "2.00")).code == "ORDER_REPEAT"


def test_refund_refusals(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.hosted("Unpaid"))
    assert drive.refused("refund", refund("Unpaid", "U", "1.00")).code == "ORDER_STATUS_INVALID"
    drive.ok("orderAndPay", drive.card("P4", "4111111111111111"))
    assert drive.refused("refund", refund("P4", "C", "1.00", "EUR")).code == "CURRENCY_INVALID"
    assert drive.refused("refund", refund("P4", "K", "1.005", "KWD")).field == "refundAmount"
    by_token = refund("P4", "T", "1.00")
    del by_token["outTradeNo"]
    assert drive.refused("refund", by_token).field == "outTradeNo"
    by_token["tradeToken"] = "unknown"
    assert drive.refused("refund", by_token).code == "ORDER_NOT_EXIST"
    by_token["tradeToken"] = drive.ok("orderQuery", {"outTradeNo": "P4"})["tradeToken"]
    assert drive.ok("refund", by_token)["status"] == "REFUND_PENDING"
    assert drive.refused("refundQuery", {}).field == "outRefundNo"
    assert drive.refused("refundQuery", {"outRefundNo": "none"}).code == "ORDER_NOT_EXIST"
    with pytest.raises(Refusal):
        drive.gateway.settle_refund("none")
    drive.gateway.settle_refund("T")
    with pytest.raises(Refusal):
        drive.gateway.settle_refund("T")


def test_an_authorization_refunds_only_what_was_captured(drive: Driver) -> None:
    drive.gateway.authorize("AuthR", Decimal("10.00"), "USD")
    assert drive.refused("refund", refund("AuthR", "X", "1.00")).code == "ORDER_STATUS_INVALID"
    cap = {"outTradeNo": "AuthR", "requestId": "c", "amount": Decimal("6.00"), "currency": "USD"}
    drive.ok("capture", cap)
    assert drive.refused("refund", refund("AuthR", "X", "6.01")).code == "AMOUNT_INVALID"
    drive.ok("refund", refund("AuthR", "X", "6.00"))


def payout(out_trade_no: str, amount: str = "100.00") -> dict[str, Any]:
    data = example_data("paymentOrderPay")
    data["outTradeNo"] = out_trade_no
    data["trade"]["amount"] = amount
    return data


@pytest.mark.parametrize("outcome", ["SUCCESS", "FAILED"])
def test_a_payout_is_pending_then_settles(drive: Driver, outcome: str) -> None:
    answer = drive.ok("paymentOrderPay", payout("PO1"))
    assert answer["status"] == "PENDING" and set(answer) == {"outTradeNo", "tradeNo", "status"}
    view = drive.ok("paymentOrderQry", {"outTradeNo": "po1"})
    assert view["source"]["amount"] == view["destination"]["amount"] == "100.00"
    assert view["transactionUtcTime"] and view["expiryTime"] == "" and view["bounceBackTime"] == ""
    drive.gateway.settle_payout("PO1", outcome=outcome)
    [notice] = drive.notices()
    assert notice.notify_type == "PAYOUT" and notice.body["data"]["status"] == outcome
    assert drive.ok("paymentOrderQry", {"outTradeNo": "PO1"})["status"] == outcome


def test_a_paid_payout_can_bounce_back(drive: Driver) -> None:
    drive.ok("paymentOrderPay", payout("PO2"))
    with pytest.raises(Refusal):
        drive.gateway.settle_payout("PO2", outcome="BOUNCEBACK")
    drive.gateway.settle_payout("PO2")
    drive.gateway.settle_payout("PO2", outcome="BOUNCEBACK")
    notices = drive.notices()
    assert notices[-1].body["data"]["bounceBackTime"]
    with pytest.raises(Refusal):
        drive.gateway.settle_payout("PO2", success=False)
    with pytest.raises(ValueError, match="outcome"):
        drive.gateway.settle_payout("PO2", outcome="LOST")


def test_payout_refusals(drive: Driver) -> None:
    drive.ok("paymentOrderPay", payout("PO3"))
    assert drive.refused("paymentOrderPay", payout("po3")).code == "ORDER_REPEAT"
    assert drive.refused("paymentOrderPay", payout("PO4", "0")).code == "AMOUNT_INVALID"
    assert drive.refused("paymentOrderPay", payout("PO5", "1.001")).field == "trade.amount"
    assert drive.refused("paymentOrderQry", {"outTradeNo": "PO9"}).code == "ORDER_NOT_EXIST"
    with pytest.raises(Refusal):
        drive.gateway.settle_payout("PO9")


def test_payout_happenings(drive: Driver) -> None:
    drive.ok("paymentOrderPay", payout("PH1"))
    drive.gateway.settle_payout("PH1")
    drive.gateway.settle_payout("PH1", outcome="BOUNCEBACK")
    assert [h.kind for h in drive.gateway.happenings] == ["payout_pending", "paid_out", "bounced_back"]
