"""The checkers themselves: the JSON-Schema subset, the strict answer checks, the concurrency limit,
and the gateway's envelope path."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.answers import answer_violations, notification_violations
from payermax_async.testing.gateway.flows import AnswerShapeError, Gateway
from payermax_async.testing.gateway.limits import ConcurrencyLimit
from payermax_async.testing.gateway.schema import json_type_of, violations
from payermax_async.testing.gateway.wire import Refusal, rfc3339_millis

from .flowkit import APP, MERCHANT, Driver
from .kit import FACTS, exact


def problems(value: Any, schema: dict[str, Any], **kw: Any) -> list[str]:
    return [v.message() for v in violations(value, schema, **kw)]


def test_types_unions_and_numbers() -> None:
    assert problems(Decimal("1.5"), {"type": "number"}) == []
    assert problems(2, {"type": "number"}) == []
    assert problems(Decimal("2.0"), {"type": "integer"}) == []
    assert problems(Decimal("2.5"), {"type": "integer"}) == ["must be integer, not number"]
    assert problems(True, {"type": "number"}) == ["must be number, not boolean"]
    assert problems(None, {"type": ["string", "null"]}) == []
    assert problems(None, {"type": "string"}) == ["is null"]
    assert problems("x", {"type": ["number", "string"]}) == []
    assert problems(1.5, {}) == []
    assert json_type_of(1.5) == "number" and json_type_of(object()) == "object"


def test_strings_arrays_objects() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "maxProperties": 2,
        "minProperties": 1,
        "properties": {
            "a": {
                "type": "string",
                "minLength": 2,
                "maxLength": 3,
                "pattern": "^[a-z]+$",
                "enum": ["ab", "abc"],
            },
            "b": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "uniqueItems": True,
                "items": {"type": "integer"},
            },
        },
    }
    assert problems({"a": "ab", "b": [1]}, schema) == []
    assert problems({"a": "abcd"}, schema) == [
        "a must be one of ab, abc",
        "a is longer than 3 characters",
    ]
    assert problems({"a": "A1"}, schema)[-1] == "a does not match ^[a-z]+$"
    assert problems({"a": "a"}, schema)[-1] == "a is shorter than 2 characters"
    assert problems({"a": "ab", "b": []}, schema) == ["b has fewer than 1 items"]
    assert problems({"a": "ab", "b": [1, 1, 2]}, schema) == [
        "b has more than 2 items",
        "b has repeated items",
    ]
    assert problems({"a": "ab", "b": ["x"]}, schema) == ["b[0] must be integer, not string"]
    assert problems({"a": "ab", "b": [1], "c": 1}, schema) == ["has more than 2 entries"]
    assert problems({}, schema) == ["a is required", "has fewer than 1 entries"]
    assert problems({"a": None}, schema, null_is_absent=True) == ["a is required"]
    assert problems({"a": "ab", "b": None}, schema, null_is_absent=True) == []


def test_an_invented_answer_field_or_a_missing_one_is_caught() -> None:
    good = {
        "code": "APPLY_SUCCESS",
        "msg": "",
        "data": {"outRefundNo": "R", "tradeOrderNo": "T", "refundTradeNo": "RT", "status": "REFUND_PENDING"},
    }
    assert answer_violations(FACTS, "refund", good) == []
    bad = json.loads(json.dumps(good))
    bad["data"]["outTradeNo"] = "O"
    del bad["data"]["tradeOrderNo"]
    found = {v.message() for v in answer_violations(FACTS, "refund", bad)}
    assert found == {"data.tradeOrderNo is required", "data.outTradeNo is not documented"}
    capture = {"code": "APPLY_SUCCESS", "msg": "", "data": {"captureDetails": []}}
    assert "data.captureDetails is not documented" in {
        v.message() for v in answer_violations(FACTS, "capture", capture)
    }


def test_error_answers_carry_code_and_msg_only() -> None:
    assert answer_violations(FACTS, "refund", {"code": "ORDER_NOT_EXIST", "msg": "x"}) == []
    found = answer_violations(FACTS, "refund", {"code": "ORDER_NOT_EXIST", "msg": None, "data": {}})
    assert {v.message() for v in found} == {"data is not documented in an error answer", "msg must be string"}


def test_a_notification_with_result_code_or_the_wrong_type_is_caught() -> None:
    example = exact(FACTS.doc["callbacks"]["collectResultNotifyUrl"]["request_examples"][0])
    example["data"]["resultCode"] = "X"
    example["notifyType"] = "REFUND"
    found = {v.message() for v in notification_violations(FACTS, "collectResultNotifyUrl", example)}
    assert {"data.resultCode is not documented", "notifyType must be PAYMENT"} <= found


def test_every_notify_type_the_flows_produce_is_schema_valid(drive: Driver) -> None:
    seen: set[str] = set()
    drive.gateway.authorize("N1", Decimal("10.00"), "USD")
    drive.ok("capture", {"outTradeNo": "N1", "requestId": "c", "amount": Decimal("10.00"), "currency": "USD"})
    drive.gateway.authorize("N2", Decimal("10.00"), "USD")
    drive.ok("cancel", {"outTradeNo": "N2", "requestId": "v"})
    drive.ok(
        "refund",
        {"outTradeNo": "N1", "outRefundNo": "r", "refundAmount": Decimal("1.00"), "refundCurrency": "USD"},
    )
    drive.gateway.settle_refund("r")
    from .states import example_data, token_for

    payout = example_data("paymentOrderPay")
    drive.ok("paymentOrderPay", payout)
    drive.gateway.settle_payout(payout["outTradeNo"])
    token_for(drive.gateway, "u1")
    drive.ok("createPaybylink", example_data("createPaybylink") | {"merchantLinkId": "L"})
    drive.gateway.pay_link("L")
    sub = drive.ok("subscriptionCreate", example_data("subscriptionCreate"))["subscriptionPlan"][
        "subscriptionNo"
    ]
    first = drive.card("N3", "4111111111111111")
    first["subscriptionPlan"] = {"subscriptionNo": sub}
    drive.ok("orderAndPay", first)
    for notice in drive.notices():
        seen.add(notice.notify_type)
        assert set(notice.body) == {
            "code",
            "msg",
            "keyVersion",
            "appId",
            "merchantNo",
            "notifyTime",
            "notifyType",
            "data",
        }
        assert notice.body["appId"] == APP and notice.body["merchantNo"] == MERCHANT
    assert seen == {
        "PAYMENT",
        "CAPTURE",
        "CANCEL",
        "REFUND",
        "PAYOUT",
        "TOKENIZATION",
        "PAYBYLINK",
        "SUBSCRIPTION",
        "SUBSCRIPTION_PAYMENT",
    }


def test_checking_mode_catches_a_flow_that_drifts(drive: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    from payermax_async.testing.gateway.flows import refunds

    original = refunds._view

    def drifting(made: Any, *, notice: bool) -> dict[str, Any]:
        return {**original(made, notice=notice), "resultCode": "X"}

    monkeypatch.setattr(refunds, "_view", drifting)
    drive.ok("orderAndPay", drive.card("Drift", "4111111111111111"))
    drive.ok(
        "refund",
        {"outTradeNo": "Drift", "outRefundNo": "d", "refundAmount": Decimal("1.00"), "refundCurrency": "USD"},
    )
    with pytest.raises(AnswerShapeError, match="resultCode"):
        drive.gateway.settle_refund("d")
    with pytest.raises(AnswerShapeError, match="resultCode"):
        drive.gateway.handle_data("refundQuery", {"outRefundNo": "d"})


def test_the_concurrency_limit_per_interface() -> None:
    limit = ConcurrencyLimit({"capture": 2})
    limit.enter("capture")
    with limit.slot("capture"):
        with pytest.raises(Refusal) as caught:
            limit.enter("capture")
        assert caught.value.code == "TOO_MANY_REQUEST"
        assert limit.in_flight("capture") == 2
        limit.enter("orderQuery")  # other interfaces are not limited
    assert limit.in_flight("capture") == 1 and limit.refused == 1
    limit.set_default(1)
    with pytest.raises(Refusal):
        limit.enter("orderQuery")
    limit.set("capture", None)
    assert limit.limit_of("capture") == 1
    limit.set_default(None)
    assert limit.limit_of("capture") is None
    limit.leave("capture")
    with pytest.raises(RuntimeError):
        limit.leave("capture")
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrencyLimit(default=0)


def envelope(drive: Driver, api: str, data: dict[str, Any], **over: Any) -> dict[str, Any]:
    body = {
        "version": "1.5",
        "keyVersion": "1",
        "requestTime": rfc3339_millis(drive.clock.now),
        "appId": APP,
        "merchantNo": MERCHANT,
        "data": data,
    }
    return body | over


def test_the_gateway_envelope_path(drive: Driver) -> None:
    gw = drive.gateway
    assert (
        gw.handle("orderQuery", envelope(drive, "orderQuery", {"outTradeNo": "x"})).code == "ORDER_NOT_EXIST"
    )
    late = envelope(
        drive, "orderQuery", {"outTradeNo": "x"}, requestTime=rfc3339_millis(drive.clock.now - 121)
    )
    assert gw.handle("orderQuery", late).code == "REQ_TIME_OVER_TIME"
    assert gw.handle("orderQuery", envelope(drive, "orderQuery", {})).code == "PARAMS_INVALID"
    assert (
        gw.handle("orderQuery", envelope(drive, "orderQuery", {"outTradeNo": "x"}, appId="z")).code
        == "MERCHANT_APP_INVALID"
    )
    assert gw.handle("nope", envelope(drive, "nope", {})).code == "PARAMS_INVALID"
    answer = gw.handle("orderQuery", envelope(drive, "orderQuery", {"outTradeNo": "x"}, version="9"))
    assert answer.body() == {"code": "PARAMS_INVALID", "msg": answer.msg} and answer.msg.startswith("version")


def test_a_gateway_without_facts_reads_the_packaged_ones() -> None:
    gw = Gateway(app_id=APP, merchant_no=MERCHANT)
    assert gw.serves("capture") and gw.facts.rules["request_time_window_seconds"] == 120


def test_notices_can_go_out_as_they_happen() -> None:
    sent: list[bytes] = []
    gw = Gateway(
        FACTS,
        app_id=APP,
        merchant_no=MERCHANT,
        check_shapes=True,
        on_notice=lambda n: sent.append(n.payload()),
    )
    gw.authorize("Hook1", Decimal("1.50"), "USD")
    assert gw.take_notices() == []
    [body] = sent
    decoded = json.loads(body)
    assert decoded["notifyType"] == "PAYMENT" and decoded["data"]["totalAmount"] == 1.5
    assert b'"totalAmount":1.50' in body
