"""The gateway's request checks against PayerMax's own examples and schema-built requests."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.gateway.requests import check_data, decimals_of, parse_amount
from payermax_async.testing.gateway.wire import Refusal, decode_body

from .kit import EXAMPLE_IDS, EXAMPLES, FACTS, with_fresh_ids
from .synth import build, drop, required_paths, when_fields


def refusal(facts: Facts, api: str, data: dict[str, Any]) -> Refusal:
    with pytest.raises(Refusal) as caught:
        check_data(facts, api, data)
    assert caught.value.code == "PARAMS_INVALID"
    assert caught.value.field is not None and caught.value.msg.startswith(caught.value.field)
    return caught.value


@pytest.mark.parametrize(("key", "index", "example"), EXAMPLES, ids=EXAMPLE_IDS)
def test_every_payermax_example_is_accepted_as_its_own_shape(
    facts: Facts, key: str, index: int, example: dict[str, Any]
) -> None:
    api = facts.operation(key)["api_name"]
    assert check_data(facts, api, with_fresh_ids(example["data"])) == key


OPERATIONS = sorted(FACTS.doc["operations"])


@pytest.mark.parametrize("key", OPERATIONS)
def test_a_request_built_from_the_schema_is_accepted(facts: Facts, key: str) -> None:
    api = facts.operation(key)["api_name"]
    assert check_data(facts, api, build(facts, key)) == key


@pytest.mark.parametrize("key", OPERATIONS)
def test_dropping_any_required_field_is_refused_naming_it(facts: Facts, key: str) -> None:
    api = facts.operation(key)["api_name"]
    data = build(facts, key)
    schema = facts.request_schema(key)["properties"]["data"]
    paths = [p for p in required_paths(data, schema) if p not in when_fields(facts)]
    assert paths or not schema.get("required")
    for path in paths:
        broken = copy.deepcopy(data)
        drop(broken, path)
        assert refusal(facts, api, broken).field == path, path
        nulled = copy.deepcopy(data)
        # a null required field is a missing one, as PayerMax's Java gateway reads it
        holder, _, leaf = path.rpartition(".")
        target: Any = nulled
        for step in filter(None, holder.replace("[", ".[").split(".")):
            target = target[int(step[1:-1])] if step.startswith("[") else target[step]
        target[leaf] = None
        assert refusal(facts, api, nulled).field == path, path


def test_examples_fill_every_variant_of_the_one_apiname(facts: Facts) -> None:
    assert set(facts.variants("orderAndPay")) == {
        "orderAndPay",
        "orderAndPay/delSuffixStart1",
        "orderAndPay(for-auth-capture-dont-copy-me)",
        "orderAndPay(for-auth-caputre-dont-copy-me)",
        "orderAndPay(for-drop-dont-copy-me)",
        "orderAndPay(for-auth-capture-drop-dont-copy-me)",
    }


def hosted() -> dict[str, Any]:
    return with_fresh_ids(FACTS.operation("orderAndPay")["request_examples"][1]["data"])


def direct() -> dict[str, Any]:
    return with_fresh_ids(FACTS.operation("orderAndPay/delSuffixStart1")["request_examples"][1]["data"])


def test_integrate_missing_or_unknown_is_named(facts: Facts) -> None:
    data = hosted()
    del data["integrate"]
    assert refusal(facts, "orderAndPay", data).field == "integrate"
    data["integrate"] = "Redirect"
    assert "must be one of" in refusal(facts, "orderAndPay", data).msg


def test_hosted_needs_front_callback_url_but_not_country(facts: Facts) -> None:
    data = hosted()
    data.pop("country", None)
    assert check_data(facts, "orderAndPay", data) == "orderAndPay"
    del data["frontCallbackUrl"]
    assert refusal(facts, "orderAndPay", data).field == "frontCallbackUrl"


def test_hosted_front_callback_url_takes_app_schemes_up_to_1024(facts: Facts) -> None:
    data = hosted()
    data["frontCallbackUrl"] = "myapp://return/" + "x" * (1024 - 15)
    assert check_data(facts, "orderAndPay", data) == "orderAndPay"
    data["frontCallbackUrl"] += "x"
    assert refusal(facts, "orderAndPay", data).field == "frontCallbackUrl"


def test_manual_capture_without_authorization_type_is_an_authorization(facts: Facts) -> None:
    data = hosted()
    data["captureMode"] = "MANUAL"
    data.pop("authorizationType", None)
    assert check_data(facts, "orderAndPay", data) == "orderAndPay(for-auth-capture-dont-copy-me)"


def test_direct_needs_terminal_type_method_and_buyer(facts: Facts) -> None:
    for path in ("terminalType", "paymentDetail.paymentMethodType", "paymentDetail.buyerInfo.clientIp"):
        data = direct()
        drop(data, path)
        assert refusal(facts, "orderAndPay", data).field == path
    data = direct()
    data["terminalType"] = "PC"
    assert refusal(facts, "orderAndPay", data).field == "terminalType"


def test_card_fields_use_payermax_names_and_lengths(facts: Facts) -> None:
    data = direct()
    data["paymentDetail"]["cardInfo"]["cardIdentifierNo"] = "4" * 20
    assert refusal(facts, "orderAndPay", data).field == "paymentDetail.cardInfo.cardIdentifierNo"


@pytest.mark.parametrize("bad", ["ORD-1", "ORD 1", "ORD.1", "ÖRD1", ""])
def test_out_trade_no_takes_letters_digits_underscore(facts: Facts, bad: str) -> None:
    data = hosted()
    data["outTradeNo"] = bad
    assert refusal(facts, "orderAndPay", data).field == "outTradeNo"


def test_payout_out_trade_no_is_at_most_63(facts: Facts) -> None:
    data = with_fresh_ids(facts.operation("paymentOrderPay")["request_examples"][0]["data"])
    data["outTradeNo"] = "A" * 63
    assert check_data(facts, "paymentOrderPay", data) == "paymentOrderPay"
    data["outTradeNo"] = "A" * 64
    assert refusal(facts, "paymentOrderPay", data).field == "outTradeNo"


def test_payout_needs_payee_method_type_and_account(facts: Facts) -> None:
    for path in ("payeeInfo.paymentMethodType", "payeeInfo.accountInfo"):
        data = with_fresh_ids(facts.operation("paymentOrderPay")["request_examples"][0]["data"])
        drop(data, path)
        assert refusal(facts, "paymentOrderPay", data).field == path


def test_inner_required_fields_of_shipping_apply_once_it_is_sent(facts: Facts) -> None:
    data = direct()
    data.pop("shippingInfo", None)
    assert check_data(facts, "orderAndPay", data)
    data["shippingInfo"] = {"firstName": "A"}
    assert refusal(facts, "orderAndPay", data).field == "shippingInfo.lastName"


def test_unknown_fields_and_null_optionals_are_tolerated(facts: Facts) -> None:
    data = hosted()
    data["somethingNew"] = {"x": 1}
    data["notifyUrl"] = None
    assert check_data(facts, "orderAndPay", data) == "orderAndPay"


@pytest.mark.parametrize(
    ("api", "amount_field", "currency_field", "currency", "amount", "ok"),
    [
        ("orderAndPay", "totalAmount", "currency", "USD", "10.01", True),
        ("orderAndPay", "totalAmount", "currency", "USD", "10.001", False),
        ("orderAndPay", "totalAmount", "currency", "USD", "10.010", True),
        ("orderAndPay", "totalAmount", "currency", "JPY", "100", True),
        ("orderAndPay", "totalAmount", "currency", "JPY", "100.5", False),
        ("orderAndPay", "totalAmount", "currency", "IDR", "15000.5", False),
        ("orderAndPay", "totalAmount", "currency", "KWD", "1.005", True),
        ("orderAndPay", "totalAmount", "currency", "KWD", "1.0005", False),
        ("refund", "refundAmount", "refundCurrency", "KWD", "1.005", False),
        ("refund", "refundAmount", "refundCurrency", "KWD", "1.05", True),
        ("refund", "refundAmount", "refundCurrency", "TWD", "10.5", False),
        ("refund", "refundAmount", "refundCurrency", "USD", "10.55", True),
    ],
)
def test_precision_per_currency_and_per_operation(
    facts: Facts, api: str, amount_field: str, currency_field: str, currency: str, amount: str, ok: bool
) -> None:
    data = (
        hosted()
        if api == "orderAndPay"
        else with_fresh_ids(facts.operation("refund")["request_examples"][0]["data"])
    )
    data.pop("goodsDetails", None)
    data.pop("subscriptionPlan", None)
    data[currency_field] = currency
    data[amount_field] = Decimal(amount)
    if ok:
        check_data(facts, api, data)
    else:
        assert refusal(facts, api, data).field == amount_field


def test_precision_reaches_nested_amounts(facts: Facts) -> None:
    data = direct()
    data["goodsDetails"] = [
        {"goodsId": "g", "goodsName": "n", "quantity": "1", "price": "0.505", "goodsCurrency": "USD"}
    ]
    assert refusal(facts, "orderAndPay", data).field == "goodsDetails[0].price"


def test_an_amount_written_with_an_exponent_is_refused(facts: Facts) -> None:
    envelope = decode_body(b'{"plain":100,"exponent":1E+2,"fine":1.50E+1}')
    assert envelope is not None
    data = hosted()
    data["totalAmount"] = envelope["plain"]
    check_data(facts, "orderAndPay", data)
    data["totalAmount"] = envelope["fine"]  # 15.0 written 1.50E+1: the same value, not in plain digits
    assert refusal(facts, "orderAndPay", data).field == "totalAmount"
    data["totalAmount"] = envelope["exponent"]
    err = refusal(facts, "orderAndPay", data)
    assert err.field == "totalAmount" and "exponent" in err.msg
    payout = with_fresh_ids(facts.operation("paymentOrderPay")["request_examples"][0]["data"])
    payout["trade"]["amount"] = "1E+2"  # a string amount, as the schema types this one
    assert refusal(facts, "paymentOrderPay", payout).field == "trade.amount"


def test_a_non_numeric_amount_is_named(facts: Facts) -> None:
    data = hosted()
    data["totalAmount"] = "ten"
    assert refusal(facts, "orderAndPay", data).field == "totalAmount"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Decimal(1)),
        (Decimal("1.50"), Decimal("1.50")),
        (" 2.5 ", Decimal("2.5")),
        ("x", None),
        (True, None),
        ("NaN", None),
        (None, None),
    ],
)
def test_parse_amount(value: object, expected: Decimal | None) -> None:
    assert parse_amount(value) == expected


def test_decimals_ignore_trailing_zeros() -> None:
    assert decimals_of(Decimal("1.500")) == 1
    assert decimals_of(Decimal("100")) == 0
    assert decimals_of(Decimal("1E+2")) == 0


def test_enum_and_length_violations_are_named(facts: Facts) -> None:
    data = direct()
    data["subject"] = "s" * 1000
    assert refusal(facts, "orderAndPay", data).field == "subject"
    data = with_fresh_ids(facts.operation("createPaybylink")["request_examples"][0]["data"])
    data["linkType"] = "MULTI"
    assert refusal(facts, "createPaybylink", data).field == "linkType"


def test_a_wrong_json_type_is_named(facts: Facts) -> None:
    data = direct()
    data["paymentDetail"] = "CARD"
    err = refusal(facts, "orderAndPay", data)
    assert err.field == "paymentDetail" and "must be object" in err.msg
