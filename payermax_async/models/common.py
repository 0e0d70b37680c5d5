"""Wire building blocks shared by every API family: base structs, the envelope, lenient decoding.

PayerMax's documented examples disagree with its own field tables (amounts as numbers or strings,
``isFinal`` as a bool or "True", three timestamp shapes), so decoding is lax about representation
and strict about meaning: status enums and required fields are enforced.
"""

from __future__ import annotations

import functools
import math
import re
import time
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

import msgspec

from ..codes import APPLY_SUCCESS

__all__ = [
    "APPLY_SUCCESS",
    "AwareDatetime",
    "FinalByStatus",
    "RawEnvelope",
    "RequestEnvelope",
    "Result",
    "WireModel",
    "decode_envelope",
    "decode_exact",
    "decode_model",
    "encode",
    "format_request_time",
]

T = TypeVar("T")

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class WireModel(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Request ``data`` objects: camelCase on the wire, absent fields left out."""


class Result(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Typed, immutable results decoded from the gateway's ``data``."""


class _Finality(Protocol):
    @property
    def is_final(self) -> bool: ...


class FinalByStatus:
    """Mixin for results whose finality is their status's: one rule, stated once per enum."""

    __slots__ = ()

    if TYPE_CHECKING:
        status: _Finality

    @property
    def is_final(self) -> bool:
        return self.status.is_final


class RequestEnvelope(msgspec.Struct, Generic[T], rename="camel", omit_defaults=True):
    version: str
    key_version: str
    request_time: str
    app_id: str
    merchant_no: str
    data: T
    sp_merchant_no: str | None = None  # ISV mode: the service provider's own merchant number


class RawEnvelope(msgspec.Struct):
    """The response envelope with ``data`` left undecoded until the signature has been checked."""

    code: str
    msg: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


_ENCODER = msgspec.json.Encoder(decimal_format="number")
_ENVELOPE_DECODER = msgspec.json.Decoder(RawEnvelope)
_EXACT_ANY = msgspec.json.Decoder(float_hook=Decimal)
# "2023-08-06T23:50:59 +0000": a space before the offset; RFC 3339 has none. PayerMax's capture
# answers use it, so it is mended in the bytes (whole JSON strings only) before the fast decode.
_SPACED_OFFSET_BYTES = re.compile(rb'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?) ([+-]\d\d:?\d\d)"')
_SPACED_OFFSET = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?) ?([+-]\d\d:?\d\d|Z)?")


def encode(obj: Any) -> bytes:
    """The one encoder: Decimals as JSON numbers, never floats, never re-encoded after signing."""
    return _ENCODER.encode(obj)


@functools.lru_cache(maxsize=8)
def _second(whole: int) -> str:
    # A bulk run formats thousands of times per second; the date part changes once a second.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def format_request_time(epoch: float) -> str:
    """RFC 3339 with milliseconds in UTC, as PayerMax's SDKs send it: 2024-11-06T03:56:13.000+00:00."""
    # floor, not truncation: before 1970 int() rounds toward zero and the millis went negative
    whole, millis = divmod(math.floor(epoch * 1000), 1000)
    return f"{_second(whole)}.{millis:03d}+00:00"


def decode_exact(raw: bytes | msgspec.Raw) -> Any:
    """Untyped JSON with exact numbers: fractions become Decimals, never floats."""
    return _EXACT_ANY.decode(raw)


def decode_envelope(raw: bytes) -> RawEnvelope:
    return _ENVELOPE_DECODER.decode(raw)


def _normalize_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalize_timestamps(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_timestamps(v) for v in value]
    if isinstance(value, str) and 19 <= len(value) <= 35 and value[:1].isdigit():
        m = _SPACED_OFFSET.fullmatch(value)
        if m:
            return f"{m.group(1).replace(' ', 'T')}{m.group(2) or 'Z'}"
    return value


def decode_model(raw: bytes | msgspec.Raw, type_: type[T]) -> T:
    """Decode ``data`` bytes into ``type_``.

    The fast path decodes straight from bytes, so amounts are parsed from their JSON text into
    exact Decimals. Only when that fails (a timestamp without an offset, say) does the slow path
    rewrite timestamps, still with exact Decimals, and convert. A genuine problem (missing field, unknown
    status) raises ``msgspec.ValidationError`` from either path.
    """
    raw = bytes(raw)
    if b" +" in raw or b" -" in raw:
        raw = _SPACED_OFFSET_BYTES.sub(rb'"\1\2"', raw)
    try:
        return msgspec.json.decode(raw, type=type_, strict=False)
    except msgspec.ValidationError:
        loose = _normalize_timestamps(decode_exact(raw))
        return msgspec.convert(loose, type_, strict=False)
