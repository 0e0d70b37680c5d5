"""The gateway's envelope around every request and answer, and the exact JSON decoder.

The ``data`` inside is the generated wire types' business (:mod:`payermax_async.types`); this
module only knows the frame PayerMax puts around it, so the pipeline and the test kit share it.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec

__all__ = [
    "RawEnvelope",
    "RequestEnvelope",
    "decode_envelope",
    "decode_exact",
    "format_request_time",
]

T = TypeVar("T")


class RequestEnvelope(msgspec.Struct, Generic[T], rename="camel", omit_defaults=True, kw_only=True):
    """The request frame. The app id goes out as ``appId``, or as ``merchantAppId`` for the few
    endpoints whose schema names it so (``Endpoint.app_id_field``)."""

    version: str
    key_version: str
    request_time: str
    app_id: str | None = None
    merchant_no: str
    data: T
    sp_merchant_no: str | None = None  # ISV mode: the service provider's own merchant number
    merchant_app_id: str | None = None


class RawEnvelope(msgspec.Struct):
    """The answer with ``data`` left undecoded until the signature has been checked."""

    code: str
    msg: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


_ENVELOPE_DECODER = msgspec.json.Decoder(RawEnvelope)
_EXACT_ANY = msgspec.json.Decoder(float_hook=Decimal)


_last_second: tuple[int, str] = (0, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(0)))


def format_request_time(epoch: float) -> str:
    """RFC 3339 with milliseconds in UTC, as PayerMax's SDKs send it: 2024-11-06T03:56:13.000+00:00."""
    global _last_second
    # floor, not truncation: before 1970 int() rounds toward zero and the millis went negative
    whole, millis = divmod(math.floor(epoch * 1000), 1000)
    second, text = _last_second
    if second != whole:  # a bulk run formats thousands of times per second; the date, once
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _last_second = (whole, text)
    return f"{text}.{millis:03d}+00:00"


def decode_exact(raw: bytes | msgspec.Raw) -> Any:
    """Untyped JSON with exact numbers: fractions become Decimals, never floats."""
    return _EXACT_ANY.decode(raw)


def decode_envelope(raw: bytes) -> RawEnvelope:
    return _ENVELOPE_DECODER.decode(raw)
