"""The simulator's ledger through the wire: PayerMax's business rules, each refusal code, replays,
the scripted outcomes, and the exact shapes (quirks included) of what it answers."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing import RawAnswer, RawCaller
from payermax_async.testing.ledger import Ledger

SPACED_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \+0000$")
MILLIS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def order(
    out_trade_no: str, amount: Any = Decimal("10.00"), *, auth: bool = True, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "outTradeNo": out_trade_no,
        "subject": "test order",
        "totalAmount": amount,
        "currency": "USD",
        "country": "US",
        "userId": "user-1",
        "integrate": "Direct_Payment",
        "paymentDetail": {"paymentMethodType": "CARD", "cardInfo": {"cardNo": "4111111111111111"}},
    }
    if auth:
        data.update(captureMode="MANUAL", authorizationType="FINAL_AUTH")
    data.update(extra)
    return data


def capture(
    out_trade_no: str, amount: Any = Decimal("10.00"), request_id: str = "REQ-1", **extra: Any
) -> dict[str, Any]:
    return {"requestId": request_id, "outTradeNo": out_trade_no, "currency": "USD", "amount": amount, **extra}


def refund(out_trade_no: str, amount: Any, out_refund_no: str = "RF-1", **extra: Any) -> dict[str, Any]:
    return {
        "outRefundNo": out_refund_no,
        "outTradeNo": out_trade_no,
        "refundAmount": amount,
        "refundCurrency": "USD",
        **extra,
    }


async def ok(answer_coro: Any) -> dict[str, Any]:
    answer: RawAnswer = await answer_coro
    assert answer.code == "APPLY_SUCCESS", answer.json
    return answer.data


# ---------------------------------------------------------------------- orderAndPay


async def test_authorization_succeeds_at_once(raw: RawCaller) -> None:
    data = await ok(raw.call("orderAndPay", order("A-1")))
    assert data["outTradeNo"] == "A-1"
    assert data["status"] == "SUCCESS"
    assert data["tradeToken"].startswith("T")
    assert "redirectUrl" not in data
    stored = raw.sim.order("A-1")
    assert stored.is_authorization and stored.amount == Decimal("10.00")


async def test_duplicate_out_trade_no_is_order_repeat_even_with_same_data(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("A-1")))
    assert (await raw.call("orderAndPay", order("A-1"))).code == "ORDER_REPEAT"
    assert (await raw.call("orderAndPay", order("A-1", Decimal("11.00")))).code == "ORDER_REPEAT"


async def test_hosted_checkout_is_pending_until_the_shopper_pays(raw: RawCaller) -> None:
    data = await ok(
        raw.call("orderAndPay", order("H-1", auth=False, integrate="Hosted_Checkout", paymentDetail=None))
    )
    assert data["status"] == "PENDING"
    assert data["redirectUrl"].startswith(raw.sim.base_url + "/checkout/")
    async with raw.session.get(data["redirectUrl"]) as page:
        assert page.status == 200
    assert raw.sim.order("H-1").status == "SUCCESS"
    query = await ok(raw.call("orderQuery", {"outTradeNo": "H-1"}))
    assert query["status"] == "SUCCESS"
    assert MILLIS_RE.match(query["completeTime"])
    async with raw.session.get(raw.sim.base_url + "/checkout/T-unknown") as page:
        assert page.status == 404


async def test_hosted_checkout_can_be_declined(raw: RawCaller) -> None:
    data = await ok(raw.call("orderAndPay", order("H-2", auth=False, integrate="Hosted_Checkout")))
    async with raw.session.get(data["redirectUrl"] + "?result=fail") as page:
        assert page.status == 200
    assert raw.sim.order("H-2").status == "FAILED"


async def test_direct_payment_needs_card_details(raw: RawCaller) -> None:
    data = await ok(raw.call("orderAndPay", order("D-1", auth=False)))
    assert data["status"] == "SUCCESS"
    answer = await raw.call(
        "orderAndPay", order("D-2", auth=False, paymentDetail={"paymentMethodType": "CARD"})
    )
    assert answer.code == "PARAMS_INVALID"
    assert "cardInfo" in answer.json["msg"]
    bad_card = order("D-3", paymentDetail={"cardInfo": {"cardNo": "41111"}})
    assert (await raw.call("orderAndPay", bad_card)).code == "PARAMS_INVALID"


@pytest.mark.parametrize(
    ("amount", "card", "status"),
    [
        (Decimal("10.51"), "4111111111111111", "FAILED"),
        (Decimal("10.52"), "4111111111111111", "PENDING"),
        (Decimal("10.00"), "4000000000000002", "FAILED"),
        (Decimal("10.50"), "5555555555554444", "SUCCESS"),
    ],
)
async def test_scripted_authorization_outcomes(
    raw: RawCaller, amount: Decimal, card: str, status: str
) -> None:
    data = await ok(
        raw.call("orderAndPay", order("S-1", amount, paymentDetail={"cardInfo": {"cardNo": card}}))
    )
    assert data["status"] == status
    query = await ok(raw.call("orderQuery", {"outTradeNo": "S-1"}))
    assert query["status"] == status
    if status == "FAILED":
        assert query["resultCode"] == "PAYMENT_FAILED"


async def test_scripted_outcome_uses_minor_units_of_the_currency(raw: RawCaller) -> None:
    data = await ok(raw.call("orderAndPay", order("JPY-1", 1051, currency="JPY", country="JP")))
    assert data["status"] == "FAILED"


async def test_pending_authorization_completes_later(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("P-1", Decimal("10.52"))))
    assert (await raw.call("capture", capture("P-1", Decimal("10.52")))).code == "ORDER_STATUS_INVALID"
    raw.sim.complete_payment("P-1")
    assert (await ok(raw.call("capture", capture("P-1", Decimal("10.52")))))["status"] == "SUCCESS"
    with pytest.raises(ValueError, match="not PENDING"):
        raw.sim.complete_payment("P-1")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("outTradeNo", None, "PARAMS_INVALID"),
        ("outTradeNo", "x" * 65, "PARAMS_INVALID"),
        ("outTradeNo", 123, "PARAMS_INVALID"),
        ("subject", "", "PARAMS_INVALID"),
        ("totalAmount", None, "PARAMS_INVALID"),
        ("totalAmount", True, "PARAMS_INVALID"),
        ("totalAmount", "ten", "PARAMS_INVALID"),
        ("totalAmount", [1], "PARAMS_INVALID"),
        ("totalAmount", 0, "AMOUNT_INVALID"),
        ("totalAmount", Decimal("-1.00"), "AMOUNT_INVALID"),
        ("totalAmount", Decimal("10.001"), "AMOUNT_INVALID"),
        ("currency", "USS", "CURRENCY_INVALID"),
        ("currency", "usd", "CURRENCY_INVALID"),
        ("country", "usa", "PARAMS_INVALID"),
        ("country", "us", "COUNTRY_INVALID"),
        ("userId", None, "PARAMS_INVALID"),
        ("integrate", "Carrier_Pigeon", "PARAMS_INVALID"),
        ("captureMode", "LATER", "PARAMS_INVALID"),
        ("authorizationType", "PRE_AUTH", "PARAMS_INVALID"),
        ("authorizationType", None, "PARAMS_INVALID"),  # MANUAL without FINAL_AUTH
        ("paymentDetail", "card", "PARAMS_INVALID"),
    ],
)
async def test_order_and_pay_field_checks(raw: RawCaller, field: str, value: Any, code: str) -> None:
    data = order("F-1")
    if value is None:
        del data[field]
    else:
        data[field] = value
    answer = await raw.call("orderAndPay", data)
    assert answer.code == code
    assert raw.sim.orders == {}


async def test_amounts_may_come_as_numeric_strings_and_trailing_zeros(raw: RawCaller) -> None:
    assert (await ok(raw.call("orderAndPay", order("N-1", "12.50"))))["status"] == "SUCCESS"
    assert (await ok(raw.call("orderAndPay", order("N-2", Decimal("12.500")))))["status"] == "SUCCESS"
    assert (await ok(raw.call("orderAndPay", order("N-3", 12))))["status"] == "SUCCESS"


# ---------------------------------------------------------------------- orderQuery and orderClose


async def test_order_query_by_trade_token_and_unknown(raw: RawCaller) -> None:
    token = (await ok(raw.call("orderAndPay", order("Q-1"))))["tradeToken"]
    by_token = await ok(raw.call("orderQuery", {"tradeToken": token}))
    assert by_token["outTradeNo"] == "Q-1"
    assert by_token["totalAmount"] == Decimal("10.00")
    assert by_token["captureMode"] == "MANUAL"
    assert by_token["authorizationType"] == "FINAL_AUTH"
    assert by_token["paymentDetails"][0]["cardInfo"]["cardIdentifierNo"] == "411111******1111"
    assert MILLIS_RE.match(by_token["createTime"])
    assert (await raw.call("orderQuery", {"outTradeNo": "Q-404"})).code == "ORDER_NOT_EXIST"
    assert (await raw.call("orderQuery", {})).code == "PARAMS_INVALID"


async def test_order_query_shows_the_capture(raw: RawCaller) -> None:
    raw.sim.authorize("Q-2", "10.00", "USD")
    captured = await ok(raw.call("capture", capture("Q-2")))
    query = await ok(raw.call("orderQuery", {"outTradeNo": "Q-2"}))
    assert query["captureDetails"] == [captured]


async def test_close_a_pending_order_once(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("C-1", auth=False, integrate="Hosted_Checkout")))
    first = await raw.call("orderClose", {"outTradeNo": "C-1", "reason": "abandoned"})
    assert first.code == "APPLY_SUCCESS"
    assert MILLIS_RE.match(first.data["closedTime"])
    again = await raw.call("orderClose", {"outTradeNo": "C-1"})
    assert again.body == first.body
    assert (await ok(raw.call("orderQuery", {"outTradeNo": "C-1"})))["status"] == "CLOSED"
    assert [e.kind for e in raw.sim.events if e.out_trade_no == "C-1"] == ["created", "closed"]


async def test_close_refusals(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("C-2", auth=False)))
    assert (await raw.call("orderClose", {"outTradeNo": "C-2"})).code == "ORDER_STATUS_INVALID"
    assert (await raw.call("orderClose", {"outTradeNo": "C-404"})).code == "ORDER_NOT_EXIST"


# ---------------------------------------------------------------------- capture


async def test_capture_answer_uses_payermax_quirks(raw: RawCaller) -> None:
    raw.sim.authorize("CAP-1", "10.00", "USD")
    answer = await raw.call("capture", capture("CAP-1", 10))
    assert answer.code == "APPLY_SUCCESS"
    assert b'"amount":10,' in answer.body  # a JSON number, not the table's string
    assert b'"isFinal":true' in answer.body  # a JSON bool, not "True"
    data = answer.data
    assert SPACED_TIME_RE.match(data["createdTime"])  # "2023-08-06T23:50:59 +0000"
    assert MILLIS_RE.match(data["succeededTime"])
    assert data["captureNo"].startswith("C")
    assert (data["requestId"], data["outTradeNo"], data["currency"], data["status"]) == (
        "REQ-1",
        "CAP-1",
        "USD",
        "SUCCESS",
    )
    assert "failedTime" not in data and "errorCode" not in data


async def test_capture_replay_is_byte_identical_and_captures_once(raw: RawCaller) -> None:
    raw.sim.authorize("CAP-2", "10.00", "USD")
    first = await raw.call("capture", capture("CAP-2"))
    second = await raw.call("capture", capture("CAP-2", "10.0"))  # same amount, other spelling
    assert first.code == second.code == "APPLY_SUCCESS"
    assert second.body == first.body
    assert len(raw.sim.captures_of("CAP-2")) == 1
    assert [e.kind for e in raw.sim.events].count("captured") == 1


@pytest.mark.parametrize(
    "change", [{"amount": Decimal("9.00")}, {"currency": "EUR"}, {"outTradeNo": "CAP-OTHER"}]
)
async def test_capture_replay_with_other_parameters_is_order_repeat(
    raw: RawCaller, change: dict[str, Any]
) -> None:
    raw.sim.authorize("CAP-3", "10.00", "USD")
    await ok(raw.call("capture", capture("CAP-3")))
    answer = await raw.call("capture", {**capture("CAP-3"), **change})
    assert answer.code == "ORDER_REPEAT"
    assert len(raw.sim.captures_of("CAP-3")) == 1


async def test_one_capture_per_authorization(raw: RawCaller) -> None:
    raw.sim.authorize("CAP-4", "10.00", "USD")
    await ok(raw.call("capture", capture("CAP-4", Decimal("4.00"))))
    answer = await raw.call("capture", capture("CAP-4", Decimal("4.00"), request_id="REQ-2"))
    assert answer.code == "ORDER_STATUS_INVALID"
    assert [c.amount for c in raw.sim.captures_of("CAP-4")] == [Decimal("4.00")]


async def test_capture_limits(raw: RawCaller) -> None:
    raw.sim.authorize("CAP-5", "10.00", "USD")
    assert (await raw.call("capture", capture("CAP-5", Decimal("10.01")))).code == "AMOUNT_INVALID"
    assert (
        await raw.call("capture", capture("CAP-5", currency="EUR", request_id="R2"))
    ).code == "CURRENCY_INVALID"
    assert (await raw.call("capture", capture("CAP-404", request_id="R3"))).code == "ORDER_NOT_EXIST"
    assert raw.sim.captures_of("CAP-5") == []
    assert raw.sim.captures_of("CAP-404") == []
    # a refused request leaves no replay record: fixing it under the same requestId works
    assert (await ok(raw.call("capture", capture("CAP-5", Decimal("9.99")))))["amount"] == Decimal("9.99")


async def test_capture_expires_after_seven_days(raw: RawCaller) -> None:
    raw.sim.authorize("OLD-1", "10.00", "USD")
    raw.sim.authorize("OLD-2", "10.00", "USD")
    raw.sim.age("OLD-1", days=8)
    raw.sim.age("OLD-2", days=6)
    assert (await raw.call("capture", capture("OLD-1"))).code == "AUTH_EXPIRED"
    assert (await ok(raw.call("capture", capture("OLD-2", request_id="R2"))))["status"] == "SUCCESS"


async def test_capture_of_something_not_capturable(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("PAY-1", auth=False)))
    await ok(raw.call("orderAndPay", order("DECL-1", Decimal("10.51"))))
    assert (await raw.call("capture", capture("PAY-1"))).code == "ORDER_STATUS_INVALID"
    assert (await raw.call("capture", capture("DECL-1", Decimal("10.51"), request_id="R2"))).code == (
        "ORDER_STATUS_INVALID"
    )


async def test_capture_after_void_is_order_closed(raw: RawCaller) -> None:
    raw.sim.authorize("VOID-1", "10.00", "USD")
    await ok(raw.call("cancel", {"requestId": "CAN-1", "outTradeNo": "VOID-1"}))
    assert (await raw.call("capture", capture("VOID-1"))).code == "ORDER_CLOSED"
    assert raw.sim.captures_of("VOID-1") == []


async def test_capture_field_checks(raw: RawCaller) -> None:
    raw.sim.authorize("CF-1", "10.00", "USD")
    for data in (
        {"outTradeNo": "CF-1", "currency": "USD", "amount": 1},
        capture("CF-1", request_id="r" * 65),
        capture("CF-1", amount=None),
        capture("CF-1", amount=False),
    ):
        assert (
            await raw.call("capture", {k: v for k, v in data.items() if v is not None})
        ).code == "PARAMS_INVALID"
    assert (await raw.call("capture", capture("CF-1", Decimal("1.005")))).code == "AMOUNT_INVALID"


async def test_scripted_capture_failure_can_be_retried_with_a_new_request_id(raw: RawCaller) -> None:
    raw.sim.authorize("CF-2", "20.00", "USD")
    failed = await ok(raw.call("capture", capture("CF-2", Decimal("10.53"))))
    assert (failed["status"], failed["isFinal"], failed["errorCode"]) == ("FAILED", True, "CAPTURE_FAILED")
    assert MILLIS_RE.match(failed["failedTime"])
    assert (await ok(raw.call("capture", capture("CF-2", request_id="R2"))))["status"] == "SUCCESS"
    assert [c.status for c in raw.sim.captures_of("CF-2")] == ["FAILED", "SUCCESS"]


async def test_pending_capture_settles_and_its_replay_follows(raw: RawCaller) -> None:
    raw.sim.authorize("CP-1", "20.00", "USD")
    pending = await ok(raw.call("capture", capture("CP-1", Decimal("10.54"))))
    assert (pending["status"], pending["isFinal"]) == ("PENDING", False)
    assert "succeededTime" not in pending
    assert (await raw.call("capture", capture("CP-1", request_id="R2"))).code == "ORDER_STATUS_INVALID"
    raw.sim.settle_capture("CP-1")
    replay = await ok(raw.call("capture", capture("CP-1", Decimal("10.54"))))
    assert (replay["status"], replay["isFinal"], replay["captureNo"]) == (
        "SUCCESS",
        True,
        pending["captureNo"],
    )
    with pytest.raises(ValueError, match="no PENDING capture"):
        raw.sim.settle_capture("CP-1")


async def test_pending_capture_can_settle_as_failed(raw: RawCaller) -> None:
    raw.sim.authorize("CP-2", "20.00", "USD")
    await ok(raw.call("capture", capture("CP-2", Decimal("10.54"))))
    assert raw.sim.settle_capture("CP-2", success=False).status == "FAILED"
    assert [e.kind for e in raw.sim.events][-2:] == ["capture_pending", "capture_failed"]


# ---------------------------------------------------------------------- cancel (void)


async def test_cancel_and_its_replay(raw: RawCaller) -> None:
    raw.sim.authorize("V-1", "10.00", "USD")
    first = await raw.call("cancel", {"requestId": "CAN-1", "outTradeNo": "V-1"})
    data = first.data
    assert (data["status"], data["requestId"], data["outTradeNo"]) == ("SUCCESS", "CAN-1", "V-1")
    assert data["cancelNo"].startswith("V")
    assert MILLIS_RE.match(data["createdTime"])
    replay = await raw.call("cancel", {"requestId": "CAN-1", "outTradeNo": "V-1"})
    assert replay.body == first.body
    assert (await raw.call("cancel", {"requestId": "CAN-1", "outTradeNo": "V-2"})).code == "ORDER_REPEAT"
    assert (await raw.call("cancel", {"requestId": "CAN-2", "outTradeNo": "V-1"})).code == "ORDER_CLOSED"
    assert (await ok(raw.call("orderQuery", {"outTradeNo": "V-1"})))["status"] == "CLOSED"
    assert [e.kind for e in raw.sim.events].count("cancelled") == 1


async def test_cancel_refusals(raw: RawCaller) -> None:
    raw.sim.authorize("V-3", "10.00", "USD")
    await ok(raw.call("capture", capture("V-3")))
    await ok(raw.call("orderAndPay", order("V-PAY", auth=False)))
    await ok(raw.call("orderAndPay", order("V-DECL", Decimal("1.51"))))
    for out_trade_no, code in (
        ("V-3", "ORDER_STATUS_INVALID"),
        ("V-PAY", "ORDER_STATUS_INVALID"),
        ("V-DECL", "ORDER_STATUS_INVALID"),
        ("V-404", "ORDER_NOT_EXIST"),
    ):
        answer = await raw.call("cancel", {"requestId": f"C-{out_trade_no}", "outTradeNo": out_trade_no})
        assert answer.code == code, out_trade_no
    assert (await raw.call("cancel", {"outTradeNo": "V-3"})).code == "PARAMS_INVALID"


# ---------------------------------------------------------------------- refunds


async def test_refund_of_a_capture_and_its_replay(raw: RawCaller) -> None:
    raw.sim.authorize("R-1", "10.00", "USD")
    await ok(raw.call("capture", capture("R-1", Decimal("8.00"))))
    first = await raw.call("refund", refund("R-1", Decimal("3.00"), comments="damaged"))
    data = first.data
    assert (data["outRefundNo"], data["status"]) == ("RF-1", "REFUND_SUCCESS")
    replay = await raw.call("refund", refund("R-1", Decimal("3.00")))
    assert replay.body == first.body
    assert (await raw.call("refund", refund("R-1", Decimal("2.00")))).code == "ORDER_REPEAT"
    assert len(raw.sim.refunds_of("R-1")) == 1
    # 3.00 of the 8.00 captured is refunded: 5.00 is left, not 7.00 (the authorized 10.00)
    assert (await raw.call("refund", refund("R-1", Decimal("5.01"), "RF-2"))).code == "AMOUNT_INVALID"
    await ok(raw.call("refund", refund("R-1", Decimal("5.00"), "RF-2")))
    assert (await raw.call("refund", refund("R-1", Decimal("0.01"), "RF-3"))).code == "AMOUNT_INVALID"


async def test_refund_query(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("R-2", auth=False)))
    trade_no = (await ok(raw.call("refund", refund("R-2", Decimal("10.00")))))["refundTradeNo"]
    by_no = await ok(raw.call("refundQuery", {"outRefundNo": "RF-1"}))
    by_trade_no = await ok(raw.call("refundQuery", {"refundTradeNo": trade_no}))
    assert by_no == by_trade_no
    assert by_no["refundAmount"] == Decimal("10.00")
    assert (by_no["refundCurrency"], by_no["outTradeNo"], by_no["status"]) == ("USD", "R-2", "REFUND_SUCCESS")
    assert MILLIS_RE.match(by_no["refundFinishTime"])
    assert (await raw.call("refundQuery", {"outRefundNo": "RF-404"})).code == "ORDER_NOT_EXIST"
    assert (await raw.call("refundQuery", {})).code == "PARAMS_INVALID"


async def test_refund_by_trade_token_and_replay_by_token(raw: RawCaller) -> None:
    token = (await ok(raw.call("orderAndPay", order("R-3", auth=False))))["tradeToken"]
    data = {"outRefundNo": "RF-T", "tradeToken": token, "refundAmount": 1, "refundCurrency": "USD"}
    first = await raw.call("refund", data)
    assert first.code == "APPLY_SUCCESS"
    assert (await raw.call("refund", data)).body == first.body


async def test_refund_refusals(raw: RawCaller) -> None:
    raw.sim.authorize("R-4", "10.00", "USD")
    await ok(raw.call("orderAndPay", order("R-5", auth=False)))
    assert (await raw.call("refund", refund("R-4", 1))).code == "ORDER_STATUS_INVALID"  # nothing captured
    assert (await raw.call("refund", refund("R-5", 1, refundCurrency="EUR"))).code == "CURRENCY_INVALID"
    assert (await raw.call("refund", refund("R-5", Decimal("10.01")))).code == "AMOUNT_INVALID"
    assert (await raw.call("refund", refund("R-404", 1))).code == "ORDER_NOT_EXIST"
    assert (
        await raw.call("refund", {"outRefundNo": "X", "refundAmount": 1, "refundCurrency": "USD"})
    ).code == ("PARAMS_INVALID")


async def test_scripted_refund_outcomes(raw: RawCaller) -> None:
    await ok(raw.call("orderAndPay", order("R-6", Decimal("50.00"), auth=False)))
    assert (await ok(raw.call("refund", refund("R-6", Decimal("1.51"), "RF-F"))))["status"] == "REFUND_FAILED"
    assert (await ok(raw.call("refund", refund("R-6", Decimal("1.52"), "RF-P"))))[
        "status"
    ] == "REFUND_PENDING"
    query = await ok(raw.call("refundQuery", {"outRefundNo": "RF-F"}))
    assert query["resultMsg"]
    assert "refundFinishTime" not in await ok(raw.call("refundQuery", {"outRefundNo": "RF-P"}))
    raw.sim.settle_refund("RF-P")
    assert (await ok(raw.call("refundQuery", {"outRefundNo": "RF-P"})))["status"] == "REFUND_SUCCESS"
    with pytest.raises(ValueError, match="not REFUND_PENDING"):
        raw.sim.settle_refund("RF-P")
    # a failed refund gives its amount back to what can be refunded
    await ok(raw.call("refund", refund("R-6", Decimal("48.48"), "RF-REST")))


# ---------------------------------------------------------------------- payouts


def payout(out_trade_no: str, amount: Any = "25.00", **extra: Any) -> dict[str, Any]:
    return {
        "outTradeNo": out_trade_no,
        "country": "PH",
        "trade": {"amount": amount, "currency": "PHP"},
        "payeeInfo": {"name": {"fullName": "Juan dela Cruz"}, "accountInfo": {"accountNo": "1234"}},
        **extra,
    }


async def test_payout_and_query(raw: RawCaller) -> None:
    data = await ok(raw.call("paymentOrderPay", payout("PO-1")))
    assert (data["outTradeNo"], data["status"]) == ("PO-1", "SUCCESS")
    query = await raw.call("paymentOrderQry", {"outTradeNo": "PO-1"})
    assert b'"amount":"25.00"' in query.body  # payouts carry the amount as a string
    assert query.data["tradeNo"] == data["tradeNo"]
    assert (await raw.call("paymentOrderPay", payout("PO-1"))).code == "ORDER_REPEAT"
    assert (await raw.call("paymentOrderQry", {"outTradeNo": "PO-404"})).code == "ORDER_NOT_EXIST"
    assert [e.kind for e in raw.sim.events] == ["paid_out"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (payout("PO-2", 25), "PARAMS_INVALID"),  # a number where PayerMax wants a string
        (payout("PO-2", "25.001"), "AMOUNT_INVALID"),
        (payout("PO-2", trade=None), "PARAMS_INVALID"),
        (payout("PO-2", payeeInfo=None), "PARAMS_INVALID"),
        (payout("PO-2", country="Philippines"), "PARAMS_INVALID"),
    ],
)
async def test_payout_field_checks(raw: RawCaller, data: dict[str, Any], code: str) -> None:
    answer = await raw.call("paymentOrderPay", {k: v for k, v in data.items() if v is not None})
    assert answer.code == code


async def test_scripted_payout_outcomes(raw: RawCaller) -> None:
    assert (await ok(raw.call("paymentOrderPay", payout("PO-F", "3.51"))))["status"] == "FAILED"
    assert (await ok(raw.call("paymentOrderPay", payout("PO-P", "3.52"))))["status"] == "PENDING"
    raw.sim.settle_payout("PO-P", success=False)
    assert (await ok(raw.call("paymentOrderQry", {"outTradeNo": "PO-P"})))["status"] == "FAILED"
    with pytest.raises(ValueError, match="not PENDING"):
        raw.sim.settle_payout("PO-P")


# ---------------------------------------------------------------------- direct state


def test_authorize_validates_like_the_gateway() -> None:
    ledger = Ledger()
    ledger.authorize("L-1", Decimal("1.00"), "USD")
    with pytest.raises(ValueError, match="already exists"):
        ledger.authorize("L-1", Decimal("1.00"), "USD")
    with pytest.raises(ValueError, match="decimal places"):
        ledger.authorize("L-2", Decimal("1.001"), "USD")
    with pytest.raises(ValueError, match="currency"):
        ledger.authorize("L-3", Decimal("1"), "XXX")
    assert ledger.orders["L-1"].status == "SUCCESS"
    assert ledger.api_names >= {"orderAndPay", "capture", "cancel", "refund", "paymentOrderPay"}
