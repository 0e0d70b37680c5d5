"""The gateway's own wire helpers: JSON with exact amounts, PayerMax's time shapes, the answer types.

Deliberately separate from the client's encoders (``_envelope``, ``types``): the simulator is an
independent oracle, so even "how is a number read" is decided here a second time.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

__all__ = [
    "APPLY_SUCCESS",
    "PARAMS_INVALID",
    "Answer",
    "ExponentNumber",
    "Refusal",
    "decode_body",
    "encode_body",
    "parse_request_time",
    "rfc3339_millis",
]

APPLY_SUCCESS = "APPLY_SUCCESS"
SUCCESS_MSG = "Success."
PARAMS_INVALID = "PARAMS_INVALID"


class Refusal(Exception):
    """An answer with an error code and no ``data``; raised anywhere below the gateway's entry."""

    def __init__(self, code: str, msg: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        #: the dotted path of the offending field, when one is to blame
        self.field = field

    def answer(self) -> Answer:
        return Answer(self.code, self.msg, None)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the gateway says back: ``{"code", "msg", "data"}`` before encoding and signing."""

    code: str
    msg: str
    data: dict[str, Any] | None = field(default=None)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            out["data"] = self.data
        return out


class ExponentNumber(Decimal):
    """A JSON number written with an exponent (``1E+2``): its value, and the fact that it was so
    written, which an amount may not be (PayerMax reads amounts in plain digits)."""

    __slots__ = ()


def _number(text: str) -> Decimal:
    return ExponentNumber(text) if "e" in text or "E" in text else Decimal(text)


def decode_body(body: bytes) -> dict[str, Any] | None:
    """The request envelope, or None when the bytes are not a JSON object.

    Numbers become ``int``/``Decimal`` so an amount is read exactly (an ``ExponentNumber`` where the
    text had an exponent); ``\\/`` (PHP's and Java's escaped slash) is ordinary JSON.
    """
    try:
        value = json.loads(body.decode("utf-8"), parse_float=_number)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def encode_body(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; Decimals keep their exact digits."""
    return _encode(value).encode("utf-8")


def _encode(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


# Every shape PayerMax's SDKs send: Java's yyyy-MM-dd'T'HH:mm:ss.SSSXXX, and Go's RFC 3339 whose
# fraction has however many digits are not trailing zeros (none at all on a whole second).
_REQUEST_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)")


def parse_request_time(value: object) -> float | None:
    """Epoch seconds of an RFC 3339 ``requestTime``; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = _REQUEST_TIME.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0").ljust(9, "0")[:6])
    offset = m.group(8)
    if offset in ("Z", "z"):
        tz = UTC
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        sign = 1 if offset[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz).timestamp()
    except ValueError:
        return None


def rfc3339_millis(epoch: float) -> str:
    """``2023-10-20T03:28:23.092Z``: the shape most of PayerMax's answers use."""
    whole, millis = divmod(round(epoch * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
