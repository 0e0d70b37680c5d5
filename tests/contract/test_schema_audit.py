"""Facts of PayerMax's schema (api.json, read through facts.json) and of ERRATA.md that an audit found
the library departing from; each test states the fact from the schema itself, not from our models."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from payermax_async import _schema
from payermax_async.endpoints import ENDPOINTS
from payermax_async.errors import InvalidRequestError
from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.gateway.requests import check_data
from payermax_async.testing.gateway.wire import Refusal
from payermax_async.types import ApplyPaymentTokenRequest, OrderAndPayRequest
from payermax_async.types._base import encode_request

FACTS = _schema.facts()


def _published(key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """PayerMax's own request schema (``data``) and first request example of one operation."""
    entry = FACTS["operations"][key]
    return entry["request"]["properties"]["data"], entry["request_examples"][0]["data"]


def test_apply_payment_token_sends_the_screen_size_as_the_string_its_schema_and_example_have() -> None:
    schema, example = _published("applyPaymentToken")
    env = schema["properties"]["envInfo"]["properties"]
    assert env["screenHeight"]["type"] == env["screenWidth"]["type"] == "string"
    assert isinstance(example["envInfo"]["screenHeight"], str)
    request = msgspec.convert(example, ApplyPaymentTokenRequest)
    ENDPOINTS["applyPaymentToken"].check(request)
    sent = msgspec.json.decode(encode_request(request))
    assert sent["envInfo"]["screenHeight"] == example["envInfo"]["screenHeight"]
    assert sent["envInfo"]["screenWidth"] == example["envInfo"]["screenWidth"]


def test_order_and_pay_still_sends_the_screen_size_as_its_examples_do() -> None:
    _, example = _published("orderAndPay")
    assert isinstance(example["envInfo"]["screenHeight"], int)
    request = msgspec.convert(example, OrderAndPayRequest)
    assert msgspec.json.decode(encode_request(request))["envInfo"]["screenHeight"] == 768


def _direct_card_example(key: str) -> dict[str, Any]:
    for example in FACTS["operations"][key]["request_examples"]:
        if "cardInfo" in example["data"].get("paymentDetail", {}):
            return copy.deepcopy(example["data"])
    raise AssertionError(f"no card example for {key}")


@pytest.mark.parametrize("key", ["orderAndPay/delSuffixStart1", "orderAndPay(for-auth-caputre-dont-copy-me)"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cardExpirationMonth", "5"),  # ERRATA: two digits
        ("cardExpirationMonth", "o5"),
        ("cardExpirationYear", "7"),  # ERRATA: the last two digits of the year
        ("cvv", "12"),  # api.json: three digits (Visa, Mastercard) or four (AMEX)
        ("cvv", "12a"),
    ],
)
def test_direct_card_data_has_the_documented_digits(key: str, field: str, value: str) -> None:
    data = _direct_card_example(key)
    endpoint = ENDPOINTS[key]
    endpoint.check(msgspec.convert(data, OrderAndPayRequest))  # PayerMax's own example passes
    data["paymentDetail"]["cardInfo"][field] = value
    with pytest.raises(InvalidRequestError) as refused:
        endpoint.check(msgspec.convert(data, OrderAndPayRequest))
    assert refused.value.field == f"paymentDetail.cardInfo.{field}"
    assert value not in str(refused.value)
    with pytest.raises(Refusal) as simulated:  # the simulator, reading the schema on its own, agrees
        check_data(Facts.load(), "orderAndPay", data)
    assert simulated.value.field == refused.value.field
