"""Payments: hosted, Direct card (at once, declined, 3DS), alternative methods, uniqueness."""

from __future__ import annotations

import pytest

from .flowkit import Driver


def test_hosted_waits_for_the_payer_then_notifies(drive: Driver) -> None:
    answer = drive.ok("orderAndPay", drive.hosted("H1"))
    assert answer["status"] == "PENDING" and answer["redirectUrl"].endswith(answer["tradeToken"])
    assert drive.notices() == []
    assert drive.ok("orderQuery", {"outTradeNo": "H1"})["status"] == "PENDING"
    drive.gateway.complete_payment("H1")
    [notice] = drive.notices()
    assert (notice.callback, notice.notify_type) == ("collectResultNotifyUrl", "PAYMENT")
    assert notice.body["data"]["status"] == "SUCCESS"
    assert notice.body["data"]["paymentDetails"][0]["cardInfo"]["cardOrg"] == "VISA"
    assert notice.schedule == (0, 30, 300, 600, 3600, 43200)
    view = drive.ok("orderQuery", {"outTradeNo": "h1"})
    assert view["status"] == "SUCCESS" and view["completeTime"]


def test_a_repeated_pending_hosted_order_gives_its_cashier_url_again(drive: Driver) -> None:
    first = drive.ok("orderAndPay", drive.hosted("Again_1"))
    again = drive.ok("orderAndPay", drive.hosted("AGAIN_1", amount="99.00"))
    assert again == first
    drive.gateway.complete_payment("Again_1")
    assert drive.refused("orderAndPay", drive.hosted("again_1")).code == "ORDER_REPEAT"


def test_out_trade_no_is_unique_case_insensitively_for_direct(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.direct("Dup1"))
    assert drive.refused("orderAndPay", drive.direct("DUP1")).code == "ORDER_REPEAT"


def test_hosted_without_country_takes_the_payers(drive: Driver) -> None:
    data = drive.hosted("NoCountry")
    data.pop("country", None)
    drive.ok("orderAndPay", data)
    assert "country" not in drive.ok("orderQuery", {"outTradeNo": "NoCountry"})
    drive.gateway.complete_payment("NoCountry", country="ID")
    assert drive.ok("orderQuery", {"outTradeNo": "NoCountry"})["country"] == "ID"


def test_direct_card_finishes_at_once(drive: Driver) -> None:
    answer = drive.ok("orderAndPay", drive.card("C1", "4111111111111111"))
    assert answer == {"outTradeNo": "C1", "tradeToken": answer["tradeToken"], "status": "SUCCESS"}
    [notice] = drive.notices()
    card = notice.body["data"]["paymentDetails"][0]["cardInfo"]
    assert card["cardIdentifierNo"] == "411111******1111"


def test_a_declined_card_fails_and_is_notified(drive: Driver) -> None:
    assert drive.ok("orderAndPay", drive.card("C2", "4000000000000002"))["status"] == "FAILED"
    [notice] = drive.notices()
    assert notice.body["data"]["status"] == "FAILED"
    view = drive.ok("orderQuery", {"outTradeNo": "C2"})
    assert view["status"] == "FAILED" and view["resultCode"] == "PAYMENT_FAILED"


def test_a_3ds_card_redirects_then_completes(drive: Driver) -> None:
    answer = drive.ok("orderAndPay", drive.card("C3", "4000000000003220"))
    assert answer["status"] == "PENDING" and "/3ds/" in answer["redirectUrl"]
    assert drive.notices() == []
    drive.gateway.complete_payment("C3", success=False)
    assert drive.notices()[0].body["data"]["status"] == "FAILED"


@pytest.mark.parametrize(
    ("method", "org", "field"),
    [("BANK_TRANSFER", "BCA", "vaCode"), ("WALLET", "QRIS", "qrCodeUrl"), ("WALLET", "GOPAY", "redirectUrl")],
)
def test_alternative_methods_wait_for_the_payer(drive: Driver, method: str, org: str, field: str) -> None:
    answer = drive.ok("orderAndPay", drive.apm("A1", method, org))
    assert answer["status"] == "PENDING" and answer[field]
    drive.gateway.complete_payment("A1")
    [notice] = drive.notices()
    detail = notice.body["data"]["paymentDetails"][0]
    assert (detail["paymentMethodType"], detail["targetOrg"]) == (method, org)


def test_zero_amount_is_refused(drive: Driver) -> None:
    assert drive.refused("orderAndPay", drive.direct("Z1", amount="0")).code == "AMOUNT_INVALID"


def test_close_an_unpaid_order_once_and_again(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.hosted("Close1"))
    first = drive.ok("orderClose", {"outTradeNo": "Close1"})
    assert first["status"] == "CLOSED"
    assert drive.ok("orderClose", {"outTradeNo": "CLOSE1"}) == first
    assert drive.refused("orderAndPay", drive.hosted("close1")).code == "ORDER_REPEAT"
    with pytest.raises(Exception, match="CLOSED"):
        drive.gateway.complete_payment("Close1")


def test_a_paid_order_cannot_be_closed(drive: Driver) -> None:
    drive.ok("orderAndPay", drive.card("Paid1", "4111111111111111"))
    assert drive.refused("orderClose", {"outTradeNo": "Paid1"}).code == "ORDER_STATUS_INVALID"


def test_unknown_orders(drive: Driver) -> None:
    assert drive.refused("orderQuery", {"outTradeNo": "Nope"}).code == "ORDER_NOT_EXIST"


@pytest.mark.parametrize(
    ("amount", "currency", "status"),
    [
        ("10.51", "USD", "FAILED"),
        ("10.52", "USD", "PENDING"),
        ("151", "JPY", "FAILED"),
        ("10.50", "USD", "SUCCESS"),
    ],
)
def test_scripted_outcomes_by_amount(drive: Driver, amount: str, currency: str, status: str) -> None:
    data = drive.card("Tail1", "4111111111111111", amount=amount, currency=currency)
    assert drive.ok("orderAndPay", data)["status"] == status
