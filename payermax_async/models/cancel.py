"""Cancel (void) an authorization that has not been captured: the held funds are released."""

from __future__ import annotations

from enum import Enum

from .common import AwareDatetime, FinalByStatus, Result, WireModel

__all__ = ["CancelRequest", "CancelResult", "CancelStatus"]


class CancelStatus(str, Enum):
    """Where a void stands; only ``SUCCESS`` releases the held funds."""

    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not CancelStatus.PENDING


class CancelRequest(WireModel):
    request_id: str
    out_trade_no: str


class CancelResult(Result, FinalByStatus, frozen=True):
    """The void's outcome. ``request_id`` is the idempotency key: a replay returns this result."""

    request_id: str
    out_trade_no: str
    status: CancelStatus
    cancel_no: str | None = None
    created_time: AwareDatetime | None = None
    succeeded_time: AwareDatetime | None = None
    failed_time: AwareDatetime | None = None
    error_code: str | None = None
    error_msg: str | None = None
