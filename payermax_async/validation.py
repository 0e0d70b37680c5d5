"""Input checks that run before any byte is sent.

A payment request that the gateway refuses costs a round trip; one that it accepts with the wrong
amount costs money. So amounts are exact, currency-aware and never floats.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from .errors import InvalidRequestError

__all__ = [
    "ISO_4217",
    "check_amount",
    "check_country",
    "check_currency",
    "check_id",
    "check_optional_text",
    "check_text",
    "check_url",
    "currency_exponent",
    "new_request_id",
]

# Active ISO 4217 codes. Unknown codes are refused so that a typo ("USS") never leaves the process.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
    """.split()
)

# Minor-unit exponents that differ from 2. IDR is 2 in ISO 4217 but PayerMax takes it whole.
_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF IDR ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")
_VISIBLE_RE = re.compile(r"[\x21-\x7e]+")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")
_PLAIN_DECIMAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def check_currency(currency: object, field: str = "currency") -> str:
    if not isinstance(currency, str) or currency not in ISO_4217:
        raise InvalidRequestError(
            f"{field} must be an ISO 4217 code in upper case, got {currency!r}", field=field
        )
    return currency


def check_country(country: object, field: str = "country") -> str:
    if not isinstance(country, str) or not _COUNTRY_RE.fullmatch(country):
        raise InvalidRequestError(
            f"{field} must be an ISO 3166 alpha-2 code in upper case, got {country!r}", field=field
        )
    return country


def check_amount(amount: object, currency: str, field: str = "amount") -> Decimal:
    """Return the amount quantized to the currency's minor unit, or raise.

    Floats are refused outright: ``0.1 + 0.2`` is how payments go wrong. Trailing zeros are fine,
    extra precision is not (``10.001`` USD is an error, not a rounding).
    """
    if isinstance(amount, (bool, float)):
        raise InvalidRequestError(
            f"{field} must be a Decimal, int or decimal string, not {type(amount).__name__}",
            field=field,
        )
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, str):
        # Decimal() also reads "1e3", "1_000", "+10", "NaN" and non-ASCII digits; an amount
        # typed by a person or read from a file means none of those, so only plain text passes.
        text = amount.strip(" \t\r\n")
        if text.startswith("-") and _PLAIN_DECIMAL_RE.fullmatch(text[1:]):
            raise InvalidRequestError(f"{field} must be a positive finite number, got {amount}", field=field)
        if not _PLAIN_DECIMAL_RE.fullmatch(text):
            raise InvalidRequestError(f"{field} {amount!r} is not a decimal number", field=field)
        value = Decimal(text)
    else:
        raise InvalidRequestError(
            f"{field} must be a Decimal, int or decimal string, not {type(amount).__name__}",
            field=field,
        )
    if not value.is_finite() or value <= 0:
        raise InvalidRequestError(f"{field} must be a positive finite number, got {amount}", field=field)
    exponent = currency_exponent(currency)
    quantum = Decimal(1).scaleb(-exponent)
    try:
        quantized = value.quantize(quantum)
    except InvalidOperation:
        raise InvalidRequestError(f"{field} {amount} is too large", field=field) from None
    if quantized != value:
        raise InvalidRequestError(
            f"{field} {amount} has more than {exponent} decimal places allowed for {currency}",
            field=field,
        )
    return quantized


def new_request_id() -> str:
    """A fresh business id for a request the caller did not name: 128 random bits, 32 hex digits."""
    return secrets.token_hex(16)


def check_id(value: object, field: str, *, max_length: int = 64, strict_charset: bool = True) -> str:
    """Business ids: the gateway's keys for idempotency, so they must survive the round trip intact."""
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{field} must be a non-empty string", field=field)
    if len(value) > max_length:
        raise InvalidRequestError(
            f"{field} is {len(value)} characters; at most {max_length} allowed", field=field
        )
    pattern = _ID_RE if strict_charset else _VISIBLE_RE
    if not pattern.fullmatch(value):
        allowed = "letters, digits, '_' and '-'" if strict_charset else "visible ASCII"
        raise InvalidRequestError(f"{field} may contain only {allowed}", field=field)
    return value


def check_text(value: object, field: str, *, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{field} must be a non-empty string", field=field)
    if len(value) > max_length:
        raise InvalidRequestError(
            f"{field} is {len(value)} characters; at most {max_length} allowed", field=field
        )
    return value


def check_url(value: object, field: str, *, max_length: int = 256) -> str:
    """A callback URL PayerMax will call or redirect to: absolute http(s), no whitespace."""
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{field} must be a non-empty URL string", field=field)
    if len(value) > max_length:
        raise InvalidRequestError(
            f"{field} is {len(value)} characters; at most {max_length} allowed", field=field
        )
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidRequestError(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise InvalidRequestError(f"{field} must be an absolute http(s) URL", field=field)
    return value


def check_optional_text(value: object, field: str, *, max_length: int) -> str | None:
    if value is None:
        return None
    return check_text(value, field, max_length=max_length)
