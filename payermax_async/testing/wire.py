"""The HTTP simulator's wire helpers: the gateway's own JSON and time shapes, and HTTP dates.

Everything here comes from :mod:`.gateway.wire`, never from the client's encoders: the simulator is
an independent oracle, so a client that encodes something wrongly cannot pass its own tests.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from .gateway.wire import decode_body, encode_body, parse_request_time, rfc3339_millis

__all__ = [
    "API_PATH",
    "decode_json",
    "encode",
    "http_date",
    "parse_request_time",
    "rfc3339_millis",
]

#: where PayerMax serves every apiName (``POST {base}{API_PATH}{apiName}``)
API_PATH = "/aggregate-pay/api/gateway/"


def decode_json(body: bytes) -> Any:
    """A JSON object with exact numbers; raises ``ValueError`` when the bytes are not one."""
    value = decode_body(body)
    if value is None:
        raise ValueError("not a JSON object")
    return value


def encode(value: dict[str, Any]) -> bytes:
    return encode_body(value)


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)
