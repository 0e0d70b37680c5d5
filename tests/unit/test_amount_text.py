"""Amounts given as text are plain decimal text: what ``Decimal()`` also reads (exponents,
underscores, signs, NaN, digits of other scripts) is refused before any byte is sent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from payermax_async import InvalidRequestError, PayerMaxClient
from payermax_async.validation import check_amount

REFUSED_TEXT = [
    "1e3",
    "1E3",
    "1e-2",
    "1_000",
    "1_000.00",
    "+10",
    "--10",
    "\u0661\u0660",  # Arabic-Indic "10"
    "\uff11\uff10",  # full-width "10"
    "\u0967\u0966.\u0966\u0966",  # Devanagari "10.00"
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "10.",
    ".5",
    "0x10",
    "10,00",
    "1 000",
    "10.00\u00a0",  # a no-break space is not whitespace we strip
    "",
    " ",
]


@pytest.mark.parametrize("text", REFUSED_TEXT)
def test_only_plain_decimal_text_is_an_amount(text: str) -> None:
    with pytest.raises(InvalidRequestError, match="not a decimal number") as info:
        check_amount(text, "USD")
    assert info.value.field == "amount"


@pytest.mark.parametrize("text", ["-10", "-0.01", " -3 "])
def test_negative_text_says_positive(text: str) -> None:
    with pytest.raises(InvalidRequestError, match="positive"):
        check_amount(text, "USD")


@pytest.mark.parametrize("value", [True, False, 10.0, 0.1, float("nan"), float("inf"), b"10", None])
def test_non_text_non_number_types_are_refused(value: object) -> None:
    with pytest.raises(InvalidRequestError, match="must be a Decimal, int or decimal string"):
        check_amount(value, "USD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10", "10.00"), ("10.5", "10.50"), ("007.50", "7.50"), (" 5.5\t", "5.50"), ("0.01", "0.01")],
)
def test_plain_text_still_works(text: str, expected: str) -> None:
    assert check_amount(text, "USD") == Decimal(expected)
    assert str(check_amount(text, "USD")) == expected


async def test_the_client_refuses_before_sending(make_client: Callable[..., PayerMaxClient]) -> None:
    # base_url points at a closed port: had anything been sent this would be a TransportError
    async with make_client() as client:
        for text in ("1e3", "+10", "1_000", "\u0661\u0660"):
            with pytest.raises(InvalidRequestError) as info:
                await client.capture("ORD1", text, "USD")
            assert info.value.field == "amount"
            with pytest.raises(InvalidRequestError):
                await client.refund("ORD1", "RF1", text, "USD")
