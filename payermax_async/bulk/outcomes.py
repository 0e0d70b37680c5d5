"""What became of each item of a bulk run: the item, its status, and what the gateway said.

The statuses are a journal's view of the retry layer's facts: which failures certainly left the
gateway untouched (safe to send again), which are final, and which are unknown.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import msgspec

from ..codes import FailureKind, Processed, describe
from ..errors import ApiError, InvalidRequestError
from ..retry import classify
from ..types.auth_capture import CaptureResult
from ..types.common import CaptureStatus

__all__ = ["CaptureItem", "CaptureOutcome", "OutcomeStatus", "outcome_status", "result_status"]


class CaptureItem(msgspec.Struct, frozen=True):
    """One authorization to capture. ``request_id`` is generated (once) when omitted.

    (A frozen Struct rather than a frozen dataclass: a bulk input makes millions of these, and a
    frozen dataclass's ``__init__`` costs ~2 µs each where a Struct's costs 0.1.)
    """

    out_trade_no: str
    amount: Decimal | int | str
    currency: str
    request_id: str | None = None


class OutcomeStatus(str, Enum):
    """What became of one item. Only ``CAPTURED`` means the money moved."""

    CAPTURED = "captured"
    #: accepted; the final status comes by notification, or a re-run replays it and asks again
    PENDING = "pending"
    #: a definite refusal: a business code, or a capture whose status is FAILED
    FAILED = "failed"
    #: may or may not have been captured; a re-run with the journal replays the same request_id
    UNKNOWN = "unknown"
    #: certainly not acted on (not delivered, or refused before processing); safe to send again
    NOT_PROCESSED = "not_processed"
    #: bad input, never sent
    INVALID = "invalid"
    #: the journal holds this order with another amount, currency or request_id; not sent
    CONFLICT = "conflict"
    #: the order came earlier in this run's input; not sent twice
    DUPLICATE = "duplicate"

    @property
    def is_final(self) -> bool:
        """True when sending again could not change the answer."""
        return self in (OutcomeStatus.CAPTURED, OutcomeStatus.FAILED)


class CaptureOutcome(msgspec.Struct, frozen=True):
    """One item's outcome: ``result`` when the gateway answered, ``error`` when it did not or refused.

    ``skipped`` is True when nothing was sent in this run because the journal already held a
    definite outcome (then ``result`` / ``error`` are rebuilt from the journal).
    """

    item: CaptureItem
    status: OutcomeStatus
    request_id: str | None = None
    result: CaptureResult | None = None
    error: Exception | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.status is OutcomeStatus.CAPTURED

    @property
    def capture_no(self) -> str | None:
        return None if self.result is None else self.result.capture_no


def outcome_status(error: BaseException) -> OutcomeStatus:
    """Which outcome an exception from ``client.capture`` means. Anything unrecognised is UNKNOWN.

    Sent or not is the retry layer's call (:func:`retry.classify`); this adds only what a journal
    needs on top: which definite refusals left the gateway untouched.
    """
    if isinstance(error, InvalidRequestError):
        return OutcomeStatus.INVALID
    if isinstance(error, ApiError):
        processed = describe(error.code).processed
        if processed is Processed.NO:  # fix the cause, and a re-run resends
            return OutcomeStatus.NOT_PROCESSED
        if processed is Processed.LANDED:  # landed, but its result was not seen
            return OutcomeStatus.UNKNOWN
    kind = classify(error)
    if kind is FailureKind.NOT_SENT:
        return OutcomeStatus.NOT_PROCESSED
    if kind is FailureKind.FATAL and isinstance(error, ApiError):
        return OutcomeStatus.FAILED  # a refusal PayerMax signed (the pipeline raises no other)
    return OutcomeStatus.UNKNOWN


_RESULT_STATUS = {
    CaptureStatus.SUCCESS: OutcomeStatus.CAPTURED,
    CaptureStatus.PENDING: OutcomeStatus.PENDING,
    CaptureStatus.FAILED: OutcomeStatus.FAILED,
}


def result_status(result: CaptureResult) -> OutcomeStatus:
    """Which outcome a capture the gateway answered means."""
    if result.status is None:
        return OutcomeStatus.UNKNOWN  # an answer without a status proves nothing either way
    # A status PayerMax added since (a TolerantEnum member of its own) is not final: pending.
    return _RESULT_STATUS.get(result.status, OutcomeStatus.PENDING)
