"""The envelope checks: who, when, which version, and the shapes real SDKs send."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import pytest

from payermax_async.testing.gateway.envelope import check_envelope, check_request_time
from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.gateway.wire import (
    Refusal,
    decode_body,
    encode_body,
    parse_request_time,
    rfc3339_millis,
)

from .kit import FACTS, with_fresh_ids

APP, MERCHANT = "app_1", "M001"
NOW = datetime(2026, 3, 2, 12, 0, 0, 250000, tzinfo=UTC).timestamp()


def envelope(api: str = "orderQuery", /, **overrides: Any) -> dict[str, Any]:
    key = FACTS.variants(api)[0]
    example = FACTS.operation(key)["request_examples"][0]
    body = {
        "version": example["version"],
        "keyVersion": "1",
        "requestTime": "2026-03-02T12:00:00.250Z",
        "appId": APP,
        "merchantNo": MERCHANT,
        "data": with_fresh_ids(example["data"]),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def check(body: dict[str, Any], api: str = "orderQuery") -> dict[str, Any]:
    return check_envelope(FACTS, api, body, app_id=APP, merchant_no=MERCHANT)


def refused(body: dict[str, Any], api: str = "orderQuery") -> tuple[str, str | None]:
    with pytest.raises(Refusal) as caught:
        check(body, api)
    return caught.value.code, caught.value.field


def test_a_plain_envelope_gives_its_data() -> None:
    body = envelope()
    assert check(body) is body["data"]


@pytest.mark.parametrize("field", ["version", "keyVersion", "requestTime", "appId", "data"])
def test_each_required_envelope_field_is_named(field: str) -> None:
    assert refused(envelope(**{field: ...})) == ("PARAMS_INVALID", field)
    assert refused(envelope(**{field: None})) == ("PARAMS_INVALID", field)


def test_sp_merchant_no_null_and_no_merchant_no_are_fine() -> None:
    assert check(envelope(spMerchantNo=None))
    assert check(envelope(merchantNo=...))


def test_wrong_app_or_merchant() -> None:
    assert refused(envelope(appId="other")) == ("MERCHANT_APP_INVALID", "appId")
    assert refused(envelope(merchantNo="M999")) == ("MERCHANT_INVALID", "merchantNo")


def test_operations_that_name_the_app_merchant_app_id() -> None:
    body = envelope("orderConfirm", appId=..., merchantAppId=APP)
    assert check(body, "orderConfirm")
    assert refused(envelope("orderConfirm", appId=..., merchantAppId="x"), "orderConfirm")[0] == (
        "MERCHANT_APP_INVALID"
    )


def test_key_version_and_data_type() -> None:
    assert refused(envelope(keyVersion="2")) == ("PARAMS_INVALID", "keyVersion")
    assert refused(envelope(data="x")) == ("PARAMS_INVALID", "data")


def test_versions_documented_per_endpoint() -> None:
    assert FACTS.versions("orderQuery") == {"1.4", "1.5"}
    assert FACTS.versions("applyDropinSession") == {"1.1", "1.6"}
    assert check(envelope(version="1.5"))
    assert refused(envelope(version="2.0")) == ("PARAMS_INVALID", "version")
    assert refused(envelope("applyDropinSession", version="1.4"), "applyDropinSession") == (
        "PARAMS_INVALID",
        "version",
    )


def test_an_unknown_api_name() -> None:
    assert refused(envelope(), "noSuchThing") == ("PARAMS_INVALID", "apiName")


@pytest.mark.parametrize(
    "shape",
    [
        "2026-03-02T12:00:00.250Z",  # Java SDK: exactly three digits
        "2026-03-02T12:00:00.25Z",  # Go SDK: trailing zeros dropped
        "2026-03-02T12:00:00.250123456Z",
        "2026-03-02T12:00:00Z",  # Go SDK on a whole second
        "2026-03-02T20:00:00.250+08:00",
        "2026-03-02T04:00:00.250-0800",
        "2026-03-02T12:00:00.250+00:00",
    ],
)
def test_request_time_shapes_sdks_send(shape: str) -> None:
    sent = check_request_time(FACTS, shape, NOW)
    assert abs(sent - NOW) < 1


@pytest.mark.parametrize(
    "shape",
    [
        "2026-03-02 12:00:00",
        "2026-03-02T12:00:00.250",
        "1772452800",
        "2026-02-30T12:00:00Z",
        "x",
        "2026-03-02T12:00:00+25:00",
    ],
)
def test_request_time_without_zone_or_garbage_is_invalid(shape: str) -> None:
    assert parse_request_time(shape) is None
    with pytest.raises(Refusal) as caught:
        check_request_time(FACTS, shape, NOW)
    assert (caught.value.code, caught.value.field) == ("PARAMS_INVALID", "requestTime")


def test_request_time_outside_the_window() -> None:
    window = FACTS.request_time_window()
    assert window == 120
    assert check_request_time(FACTS, rfc3339_millis(NOW - window + 1), NOW)
    with pytest.raises(Refusal) as caught:
        check_request_time(FACTS, rfc3339_millis(NOW + window + 1), NOW)
    assert caught.value.code == "REQ_TIME_OVER_TIME"
    assert parse_request_time(12) is None


def test_escaped_slashes_and_exact_amounts_decode() -> None:
    body = b'{"data":{"frontCallbackUrl":"https:\\/\\/shop.example\\/back","totalAmount":10.10}}'
    decoded = decode_body(body)
    assert decoded is not None
    assert decoded["data"]["frontCallbackUrl"] == "https://shop.example/back"
    assert str(decoded["data"]["totalAmount"]) == "10.10"
    assert decode_body(b"[1]") is None
    assert decode_body(b"\xff") is None
    assert decode_body(b"{") is None


def test_encode_keeps_decimal_digits_and_unicode() -> None:
    value = decode_body('{"a":1.50,"b":[true,null,"é"],"c":{"d":7}}'.encode())
    assert value is not None
    assert encode_body(value) == '{"a":1.50,"b":[true,null,"é"],"c":{"d":7}}'.encode()


def test_rfc3339_millis_rounds_into_the_next_second() -> None:
    assert rfc3339_millis(0.9996) == "1970-01-01T00:00:01.000Z"
    assert rfc3339_millis(calendar.timegm((2026, 1, 1, 0, 0, 0)) + 0.25) == "2026-01-01T00:00:00.250Z"


def test_facts_load_without_extras_is_cached() -> None:
    assert Facts.load() is Facts.load()
