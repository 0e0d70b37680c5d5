"""The simulator's wire formats: JSON in and out, and the timestamp shapes PayerMax really sends.

The simulator answers in PayerMax's own inconsistent shapes on purpose (capture ``createdTime``
with a space before a colon-less offset, everything else RFC 3339 with milliseconds), so that a
client tested against it decodes what production sends.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import formatdate

# The client's own encoder, decoder and timestamp: PayerMax's formats are defined once.
from .._envelope import decode_exact as decode_json
from .._envelope import format_request_time as rfc3339_millis
from ..types._base import encode_request as encode

__all__ = [
    "capture_time",
    "decode_json",
    "encode",
    "envelope_bytes",
    "http_date",
    "parse_request_time",
    "rfc3339_millis",
]


# yyyy-MM-dd'T'HH:mm:ss.SSSXXX: milliseconds are required, as PayerMax's Java parser requires them.
_REQUEST_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})(Z|[+-]\d\d:\d\d)")


def envelope_bytes(code: str, msg: str, data: bytes | None) -> bytes:
    """``{"code","msg","data"}`` around already encoded ``data`` bytes, which are never re-encoded.

    Error answers carry no ``data`` at all, as PayerMax's own error examples show.
    """
    head = encode({"code": code, "msg": msg})
    if data is None:
        return head
    return head[:-1] + b',"data":' + data + b"}"


def capture_time(epoch: float) -> str:
    """``2023-08-06T23:50:59 +0000``: the capture example's shape, not RFC 3339."""
    return time.strftime("%Y-%m-%dT%H:%M:%S +0000", time.gmtime(int(epoch)))


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def parse_request_time(value: object) -> float | None:
    """Epoch seconds of an RFC 3339 ``requestTime`` with milliseconds; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = _REQUEST_TIME.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, millis = (int(g) for g in m.groups()[:7])
    offset = m.group(8)
    if offset == "Z":
        tz = timezone.utc
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=tz)
    except ValueError:
        return None
    return moment.timestamp()
