"""Capture: turn an authorization into a charge. One capture per authorization."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from .common import AwareDatetime, Result, WireModel

__all__ = ["CaptureRequest", "CaptureResult", "CaptureStatus"]


class CaptureStatus(str, Enum):
    """Where a capture stands; only ``SUCCESS`` means the money moved."""

    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not CaptureStatus.PENDING


class CaptureRequest(WireModel):
    request_id: str
    out_trade_no: str
    currency: str
    amount: Decimal


class CaptureResult(Result, frozen=True):
    """The gateway's answer to a capture. ``request_id`` is its idempotency key: a replay returns the same
    result.
    """

    capture_no: str
    request_id: str
    out_trade_no: str
    amount: Decimal
    currency: str
    status: CaptureStatus
    is_final: bool = False
    created_time: AwareDatetime | None = None
    succeeded_time: AwareDatetime | None = None
    failed_time: AwareDatetime | None = None
    error_code: str | None = None
    error_msg: str | None = None
