"""Checks of a request's ``data`` fields, refusing as PayerMax does (``PARAMS_INVALID`` and
friends) before any rule runs."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ...codes import (
    AMOUNT_INVALID,
    COUNTRY_INVALID,
    CURRENCY_INVALID,
    PARAMS_INVALID,
)
from ...validation import ISO_4217, currency_exponent
from .entities import Refusal

_COUNTRY = re.compile(r"[A-Z]{2}")
INTEGRATIONS = ("Hosted_Checkout", "Direct_Payment")


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _null(name: str) -> Refusal:
    return Refusal(PARAMS_INVALID, f"{name} is invalid,because {name} is null.")


def _text(
    data: dict[str, Any], key: str, max_len: int, *, required: bool = True, name: str = ""
) -> str | None:
    name = name or key
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise _null(name)
        return None
    if not isinstance(value, str):
        raise Refusal(PARAMS_INVALID, f"{name} must be string , but your input is {_json_type(value)}.")
    if len(value) > max_len:
        raise Refusal(
            PARAMS_INVALID,
            f"{name} length must be between 1 and {max_len},but your input value length is {len(value)}.",
        )
    return value


def _req(data: dict[str, Any], key: str, max_len: int, name: str = "") -> str:
    value = _text(data, key, max_len, name=name)
    assert value is not None
    return value


def _obj(data: dict[str, Any], key: str, *, required: bool = True, name: str = "") -> dict[str, Any] | None:
    name = name or key
    value = data.get(key)
    if value is None:
        if required:
            raise _null(name)
        return None
    if not isinstance(value, dict):
        raise Refusal(PARAMS_INVALID, f"{name} must be object , but your input is {_json_type(value)}.")
    return value


def _currency(data: dict[str, Any], key: str, name: str = "") -> str:
    value = _req(data, key, 3, name)
    if value not in ISO_4217:
        raise Refusal(CURRENCY_INVALID, f"{name or key} is invalid,because {name or key} is not defined.")
    return value


def _country(data: dict[str, Any], key: str = "country") -> str:
    value = _req(data, key, 2)
    if not _COUNTRY.fullmatch(value):
        raise Refusal(COUNTRY_INVALID, "No country support, pls re-pay.")
    return value


def _amount(
    data: dict[str, Any], key: str, currency: str, *, string_only: bool = False, name: str = ""
) -> Decimal:
    """Numbers or numeric strings (a Java gateway coerces both), unless the field is a string field."""
    name = name or key
    value = data.get(key)
    if value is None or value == "":
        raise _null(name)
    if string_only and not isinstance(value, str):
        raise Refusal(PARAMS_INVALID, f"{name} must be string , but your input is {_json_type(value)}.")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise Refusal(PARAMS_INVALID, f"{name} must be number , but your input is {_json_type(value)}.")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise Refusal(PARAMS_INVALID, f"{name} must be number , but your input is string.") from None
    if not amount.is_finite() or amount <= 0:
        raise Refusal(AMOUNT_INVALID, "Amount is incorrect.")
    decimals = currency_exponent(currency)
    try:
        exact = amount == amount.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:
        exact = False
    if not exact:
        raise Refusal(AMOUNT_INVALID, f"Amount is incorrect: {currency} takes {decimals} decimal places.")
    return amount


def _tail(amount: Decimal, currency: str) -> int:
    """The last two digits of the amount in minor units: what picks a scripted outcome."""
    return int(amount.scaleb(currency_exponent(currency))) % 100
