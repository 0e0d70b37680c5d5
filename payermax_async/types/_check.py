"""Helpers of the generated request checks (``_checks.py``): the errors they raise, and money.

Every error names the field by its wire path below ``data`` and never repeats a value that could be
a card number or a name: messages end up in logs and error trackers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InvalidRequestError
from ..validation import ISO_4217

__all__ = [
    "ISO_4217",
    "bad_pattern",
    "bad_type",
    "get",
    "missing",
    "money",
    "no_variant",
    "none_of",
    "not_accepted",
    "not_currency",
    "not_in",
    "plain",
    "too_long",
]


def missing(path: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path} is required", field=path)


def bad_type(path: str, expected: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path} must be {expected}", field=path)


def too_long(path: str, limit: int) -> InvalidRequestError:
    return InvalidRequestError(f"{path} is longer than {limit} characters", field=path)


def not_in(path: str, allowed: Collection[str]) -> InvalidRequestError:
    return InvalidRequestError(f"{path} must be one of {', '.join(sorted(allowed))}", field=path)


def bad_pattern(path: str, pattern: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path} must match {pattern}", field=path)


def not_currency(path: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path} must be an ISO 4217 currency code in upper case", field=path)


def not_accepted(path: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path} is not accepted by this kind of request", field=path)


def no_variant(path: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path}: no documented request shape matches these fields", field=path)


def none_of(prefix: str, names: tuple[str, ...]) -> InvalidRequestError:
    """None of the fields of which PayerMax needs at least one; the first is the field named."""
    paths = [prefix + name for name in names]
    return InvalidRequestError(f"one of {' or '.join(paths)} is required", field=paths[0])


def money(
    value: Any,
    currency: Any,
    path: str,
    decimals: Mapping[str, int],
    required: bool,
    currency_path: str = "currency",
) -> None:
    """An exact amount: Decimal or int (never float), finite, positive when required (else not
    negative), and no finer than its currency allows (``decimals``: per currency, "*" default; a
    constant table, since what passed is remembered by the table's identity). An unknown currency
    is named by ``currency_path``: the amount may well be right."""
    if type(value) is bool or not isinstance(value, (Decimal, int)):
        raise bad_type(path, "a Decimal or int (never a float)")
    seen = None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidRequestError(f"{path} must be finite", field=path)
        if type(currency) is str:
            # A bulk run's amounts repeat, and whether one passes depends on its value alone (not
            # on how many zeros it was written with): each (amount, currency) is judged once.
            seen = (value, currency, required, id(decimals))
            if seen in _PASSED:
                return
    if value < 0 or (required and value == 0):
        raise InvalidRequestError(f"{path} must be {'positive' if required else 'zero or more'}", field=path)
    if currency is None or not isinstance(value, Decimal):
        return
    if not isinstance(currency, str) or currency not in ISO_4217:
        raise not_currency(currency_path)
    places = decimals.get(currency, decimals["*"])
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        try:
            exact = value == value.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:
            raise InvalidRequestError(f"{path} {value} is too large", field=path) from None
        if not exact:
            raise InvalidRequestError(
                f"{path} {value} has more than {places} decimal places allowed for {currency}", field=path
            )
    if seen is not None:
        if len(_PASSED) >= _PASSED_KEPT:
            _PASSED.clear()
        _PASSED.add(seen)


#: (amount, currency, required, id of the decimals table) that passed :func:`money`; the tables
#: are the generated module's constants, so their ids are stable
_PASSED: set[tuple[Decimal, str, bool, int]] = set()
_PASSED_KEPT = 1024


def plain(amount: Any) -> str:
    """An amount as the request encoder writes it: positional digits, never ``1E+2``."""
    return format(amount, "f") if isinstance(amount, Decimal) else str(amount)


def get(obj: Any, names: tuple[str, ...]) -> Any:
    """A nested attribute, or None where any step is absent."""
    for name in names:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj
