"""Refunds of a paid order, and their query. ``outRefundNo`` is the refund's idempotency key."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from .common import AwareDatetime, FinalByStatus, Result, WireModel

__all__ = [
    "RefundQueryRequest",
    "RefundQueryResult",
    "RefundRequest",
    "RefundResult",
    "RefundStatus",
]


class RefundStatus(str, Enum):
    """Where a refund stands; ``REFUND_PENDING`` is common, and the outcome comes by notification or query."""

    REFUND_SUCCESS = "REFUND_SUCCESS"
    REFUND_PENDING = "REFUND_PENDING"
    REFUND_FAILED = "REFUND_FAILED"

    @property
    def is_final(self) -> bool:
        return self is not RefundStatus.REFUND_PENDING


class RefundRequest(WireModel):
    out_refund_no: str
    refund_amount: Decimal
    refund_currency: str
    out_trade_no: str
    comments: str | None = None
    refund_notify_url: str | None = None


class RefundResult(Result, FinalByStatus, frozen=True):
    """The refund as accepted. Its outcome usually arrives later (REFUND notification or query).

    ``reconciled`` is True when the original answer was lost and this was rebuilt from
    ``refundQuery`` after the gateway reported ORDER_REPEAT.
    """

    out_refund_no: str
    status: RefundStatus
    refund_trade_no: str | None = None
    out_trade_no: str | None = None
    reconciled: bool = False


class RefundQueryRequest(WireModel):
    out_refund_no: str | None = None
    refund_trade_no: str | None = None


class RefundQueryResult(Result, FinalByStatus, frozen=True):
    """A refund as the gateway sees it now (also the REFUND notification's data)."""

    out_refund_no: str
    status: RefundStatus
    refund_trade_no: str | None = None
    out_trade_no: str | None = None
    refund_amount: Decimal | None = None
    refund_currency: str | None = None
    result_msg: str | None = None
    refund_finish_time: AwareDatetime | None = None
