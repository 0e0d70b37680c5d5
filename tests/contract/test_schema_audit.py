"""Facts of PayerMax's schema (api.json, read through facts.json) and of ERRATA.md that an audit found
the library departing from; each test states the fact from the schema itself, not from our models."""

from __future__ import annotations

from typing import Any

import msgspec

from payermax_async import _schema
from payermax_async.endpoints import ENDPOINTS
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
