"""Authorizations (hosted and Direct), one capture each, cancel, replays of a requestId."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.flows.auth_capture import AUTH_VALIDITY_SECONDS
from payermax_async.testing.gateway.wire import Refusal

from .flowkit import Driver


def capture(
    out_trade_no: str, request_id: str, amount: str = "10.00", currency: str = "USD"
) -> dict[str, Any]:
    return {
        "outTradeNo": out_trade_no,
        "requestId": request_id,
        "amount": Decimal(amount),
        "currency": currency,
    }


def test_a_hosted_authorization_redirects_and_is_notified_as_one(drive: Driver) -> None:
    answer = drive.ok("orderAndPay", drive.hosted("Auth1", captureMode="MANUAL"))
    assert answer["status"] == "PENDING" and answer["redirectUrl"]
    assert drive.refused("capture", capture("Auth1", "r0")).code == "ORDER_STATUS_INVALID"
    drive.gateway.complete_payment("Auth1")
    [notice] = drive.notices()
    assert notice.callback == "authResultNotifyUrl" and notice.notify_type == "PAYMENT"
    assert (notice.body["data"]["captureMode"], notice.body["data"]["authorizationType"]) == (
        "MANUAL",
        "FINAL_AUTH",
    )


def test_a_direct_authorization_finishes_at_once(drive: Driver) -> None:
    data = drive.card("Auth2", "4111111111111111", captureMode="MANUAL", authorizationType="FINAL_AUTH")
    assert drive.ok("orderAndPay", data)["status"] == "SUCCESS"
    assert drive.notices()[0].callback == "authResultNotifyUrl"


def test_one_capture_up_to_the_authorized_amount(drive: Driver) -> None:
    drive.gateway.authorize("Cap1", Decimal("10.00"), "USD")
    drive.notices()
    assert drive.refused("capture", capture("Cap1", "r1", "10.01")).code == "AMOUNT_INVALID"
    assert drive.refused("capture", capture("Cap1", "r1", "5.00", "EUR")).code == "CURRENCY_INVALID"
    answer = drive.ok("capture", capture("cap1", "r1", "8.00"))
    assert answer["status"] == "SUCCESS" and answer["isFinal"] is True
    assert answer["succeededTime"] and answer["failedTime"] is None
    assert "captureDetails" not in answer
    [notice] = drive.notices()
    assert notice.notify_type == "CAPTURE" and "failedTime" not in notice.body["data"]
    assert drive.refused("capture", capture("Cap1", "r2", "1.00")).code == "ORDER_STATUS_INVALID"
    assert [c.amount for c in drive.gateway.captures_of("Cap1")] == [Decimal("8.00")]


def test_a_replayed_request_id_gives_the_original_answer(drive: Driver) -> None:
    drive.gateway.authorize("Cap2", Decimal("10.00"), "USD")
    first = drive.ok("capture", capture("Cap2", "same", "10.00"))
    drive.clock.now += 60
    assert drive.ok("capture", capture("CAP2", "same", "10.00")) == first
    assert drive.refused("capture", capture("Cap2", "same", "9.00")).code == "ORDER_REPEAT"
    assert len(drive.gateway.captures_of("Cap2")) == 1


def test_a_pending_capture_settles_later(drive: Driver) -> None:
    drive.gateway.authorize("Cap3", Decimal("10.00"), "USD")
    drive.notices()
    assert drive.ok("capture", capture("Cap3", "p", "1.54"))["status"] == "PENDING"
    assert drive.notices() == []
    drive.gateway.settle_capture("Cap3")
    assert drive.notices()[0].body["data"]["status"] == "SUCCESS"
    with pytest.raises(Refusal):
        drive.gateway.settle_capture("Cap3")


def test_a_failed_capture_frees_the_authorization(drive: Driver) -> None:
    drive.gateway.authorize("Cap4", Decimal("10.00"), "USD")
    failed = drive.ok("capture", capture("Cap4", "f", "1.53"))
    assert failed["status"] == "FAILED" and failed["errorCode"] and failed["failedTime"]
    assert drive.ok("capture", capture("Cap4", "g", "2.00"))["status"] == "SUCCESS"


def test_capture_refusals(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("Sale1", "4111111111111111"))
    assert drive.refused("capture", capture("Sale1", "x")).code == "ORDER_STATUS_INVALID"
    assert drive.refused("capture", capture("Missing", "y")).code == "ORDER_NOT_EXIST"
    drive.gateway.authorize("Old1", Decimal("10.00"), "USD")
    drive.clock.now += AUTH_VALIDITY_SECONDS + 1
    assert drive.refused("capture", capture("Old1", "z")).code == "AUTH_EXPIRED"
    with pytest.raises(Refusal):
        drive.gateway.authorize("old1", Decimal("1.00"), "USD")


def test_cancel_voids_an_uncaptured_authorization(drive: Driver) -> None:
    drive.gateway.authorize("Void1", Decimal("10.00"), "USD")
    drive.notices()
    answer = drive.ok("cancel", {"outTradeNo": "Void1", "requestId": "v1"})
    assert answer["status"] == "SUCCESS" and answer["errorCode"] is None
    [notice] = drive.notices()
    assert notice.notify_type == "CANCEL"
    assert drive.ok("cancel", {"outTradeNo": "Void1", "requestId": "v1"}) == answer
    assert drive.refused("cancel", {"outTradeNo": "Void1", "requestId": "v2"}).code == "ORDER_CLOSED"
    assert drive.refused("capture", capture("Void1", "c1")).code == "ORDER_CLOSED"
    assert drive.ok("orderQuery", {"outTradeNo": "Void1"})["status"] == "CLOSED"


def test_a_captured_authorization_cannot_be_cancelled(drive: Driver) -> None:
    drive.gateway.authorize("Void2", Decimal("10.00"), "USD")
    drive.ok("capture", capture("Void2", "c"))
    assert drive.refused("cancel", {"outTradeNo": "Void2", "requestId": "v"}).code == "ORDER_STATUS_INVALID"


def test_what_happened_is_kept_in_the_current_simulators_terms(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("Ev1", "4111111111111111", captureMode="MANUAL"))
    drive.ok("capture", capture("Ev1", "c1", "1.54"))
    drive.gateway.settle_capture("Ev1")
    drive.ok(
        "refund",
        {"outTradeNo": "Ev1", "outRefundNo": "e", "refundAmount": Decimal("1.00"), "refundCurrency": "USD"},
    )
    drive.gateway.settle_refund("e", success=False)
    drive.gateway.authorize("Ev2", Decimal("5.00"), "USD")
    drive.ok("cancel", {"outTradeNo": "Ev2", "requestId": "v"})
    drive.ok("orderAndPay", drive.hosted("Ev3"))
    drive.ok("orderClose", {"outTradeNo": "Ev3"})
    kinds = [(h.kind, h.out_trade_no) for h in drive.gateway.happenings]
    assert kinds == [
        ("created", "Ev1"),
        ("authorized", "Ev1"),
        ("capture_pending", "Ev1"),
        ("captured", "Ev1"),
        ("refund_pending", "Ev1"),
        ("refund_failed", "Ev1"),
        ("authorized", "Ev2"),
        ("cancelled", "Ev2"),
        ("created", "Ev3"),
        ("closed", "Ev3"),
    ]


def test_the_test_kits_lookups_and_ageing(drive: Driver) -> None:
    drive.gateway.authorize("Age1", Decimal("10.00"), "USD")
    drive.gateway.age("AGE1", 8)
    assert drive.refused("capture", capture("Age1", "late")).code == "AUTH_EXPIRED"
    assert drive.gateway.order("age1").out_trade_no == "Age1"
    assert drive.gateway.refunds_of("Age1") == []
    drive.ok("orderAndPay", drive.hosted("Age2"))
    drive.gateway.age("Age2", 1)
    assert drive.gateway.order("Age2").completed is None
