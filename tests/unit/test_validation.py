"""Input checks: exact money, real currencies, ids that survive the round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payermax_async.config import validate_base_url
from payermax_async.errors import ConfigurationError, InvalidRequestError
from payermax_async.validation import (
    check_amount,
    check_country,
    check_currency,
    check_id,
    check_text,
    currency_exponent,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("100.00"), "USD", "100.00"),
        (Decimal("100"), "USD", "100.00"),
        (100, "USD", "100.00"),
        ("0.01", "USD", "0.01"),
        (" 5.5 ", "EUR", "5.50"),
        (1500, "JPY", "1500"),
        (Decimal("1500.00"), "JPY", "1500"),
        ("10000", "IDR", "10000"),
        (Decimal("1.234"), "KWD", "1.234"),
        ("1.5", "BHD", "1.500"),
    ],
)
def test_amounts_are_quantized_to_the_minor_unit(amount: object, currency: str, expected: str) -> None:
    result = check_amount(amount, currency)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "fragment"),
    [
        (10.5, "USD", "not float"),
        (True, "USD", "not bool"),
        (None, "USD", "not NoneType"),
        ([1], "USD", "not list"),
        ("ten", "USD", "not a decimal number"),
        ("", "USD", "not a decimal number"),
        (Decimal("NaN"), "USD", "positive finite"),
        (Decimal("Infinity"), "USD", "positive finite"),
        (0, "USD", "positive finite"),
        (Decimal("-1.00"), "USD", "positive finite"),
        (Decimal("10.001"), "USD", "more than 2 decimal"),
        (Decimal("10.5"), "JPY", "more than 0 decimal"),
        ("1.2345", "KWD", "more than 3 decimal"),
        (Decimal("1e40"), "USD", "too large"),
    ],
)
def test_bad_amounts(amount: object, currency: str, fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment) as info:
        check_amount(amount, currency)
    assert info.value.field == "amount"
    assert isinstance(info.value, ValueError)


def test_currency_exponents() -> None:
    assert [currency_exponent(c) for c in ("USD", "JPY", "KRW", "IDR", "KWD", "TND", "CLF")] == [
        2,
        0,
        0,
        0,
        3,
        3,
        4,
    ]


@pytest.mark.parametrize("currency", ["usd", "US", "USDD", "USS", "", None, 840])
def test_bad_currency(currency: object) -> None:
    with pytest.raises(InvalidRequestError, match="ISO 4217"):
        check_currency(currency)


def test_country() -> None:
    assert check_country("SA") == "SA"
    for bad in ("sa", "SAU", "", None):
        with pytest.raises(InvalidRequestError, match="ISO 3166"):
            check_country(bad)


def test_ids() -> None:
    assert check_id("ORD_1-a", "out_trade_no") == "ORD_1-a"
    assert check_id("x" * 64, "out_trade_no") == "x" * 64
    assert check_id("req:1/2", "request_id", strict_charset=False) == "req:1/2"
    cases: list[tuple[object, str]] = [
        ("x" * 65, "at most 64"),
        ("", "non-empty"),
        (None, "non-empty"),
        ("ORD 1", "only letters"),
        ("ORD#1", "only letters"),
        ("订单", "only letters"),
    ]
    for value, fragment in cases:
        with pytest.raises(InvalidRequestError, match=fragment):
            check_id(value, "out_trade_no")
    with pytest.raises(InvalidRequestError, match="visible ASCII"):
        check_id("a b", "request_id", strict_charset=False)


def test_text() -> None:
    assert check_text("ok", "reason", max_length=5) == "ok"
    with pytest.raises(InvalidRequestError, match="at most 5"):
        check_text("toolong", "reason", max_length=5)
    with pytest.raises(InvalidRequestError, match="non-empty"):
        check_text("  ", "reason", max_length=5)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pay-gate-uat.payermax.com", "https://pay-gate-uat.payermax.com"),
        ("https://pay-gate.payermax.com/", "https://pay-gate.payermax.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.5.0.1", "http://127.5.0.1"),
        ("http://localhost:1", "http://localhost:1"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_good_base_urls(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://pay-gate.payermax.com", "must use https"),
        ("http://10.0.0.1:80", "must use https"),
        ("ftp://example.com", "must be https"),
        ("pay-gate.payermax.com", "must be https"),
        ("https://pay-gate.payermax.com/aggregate-pay/api/gateway", "origin only"),
        ("https://pay-gate.payermax.com?x=1", "origin only"),
        ("https://user:pw@pay-gate.payermax.com", "credentials"),
        ("https://example.com:99999", "not a valid URL"),
        (123, "must be a string"),
    ],
)
def test_bad_base_urls(url: object, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        validate_base_url(url)  # type: ignore[arg-type]
