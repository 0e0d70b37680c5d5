"""One flat encoding of an outcome, for the journal's row and for the process boundary alike.

An outcome holds live objects (a result struct, an exception with a traceback); what survives a
crash or a pipe is :class:`EncodedOutcome`: the status, the request_id, the result as JSON and the
error as (class name, gateway code, message). Both the SQLite journal and the worker processes
carry exactly this, so an outcome read back from either is rebuilt by the same code.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from ..errors import (
    ApiError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
    TransportError,
)
from ..types.auth_capture import CaptureResult
from .journal import EntryState, JournalEntry, Record
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus

__all__ = [
    "EncodedOutcome",
    "decode_outcome",
    "decode_result",
    "encode_outcome",
    "encode_result",
    "error_fields",
    "from_entry",
    "rebuild_error",
    "to_record",
]

_ERROR_TYPES: dict[str, type[PayerMaxError]] = {
    t.__name__: t
    for t in (
        PayerMaxError,
        InvalidRequestError,
        TransportError,
        ResponseLostError,
        SignatureError,
        MalformedResponseError,
        OutcomeUnknownError,
    )
}


def error_fields(error: BaseException) -> tuple[str, str | None, str]:
    """(class name, gateway code, message) — what a journal row or a process boundary can carry."""
    if isinstance(error, ApiError):
        return type(error).__name__, error.code, error.msg
    message = error.message if isinstance(error, PayerMaxError) else str(error)
    return type(error).__name__, None, message


def rebuild_error(
    class_name: str | None, code: str | None, message: str | None, ids: dict[str, str]
) -> PayerMaxError:
    """An error of the same kind from :func:`error_fields`; unknown classes come back as the base."""
    if code is not None:
        return ApiError(code, message or "", operation="capture", ids=ids)
    text = message or class_name or "unknown error"
    kind = _ERROR_TYPES.get(class_name or "", PayerMaxError)
    if kind is OutcomeUnknownError:
        return OutcomeUnknownError(text, attempts=0, operation="capture", ids=ids)
    return kind(text, operation="capture", ids=ids)


_RESULT_ENCODER = msgspec.json.Encoder()
_RESULT_DECODER = msgspec.json.Decoder(CaptureResult)


def encode_result(result: CaptureResult) -> bytes:
    return _RESULT_ENCODER.encode(result)


def decode_result(raw: bytes) -> CaptureResult:
    return _RESULT_DECODER.decode(raw)


class EncodedOutcome(NamedTuple):
    """An outcome without its item, as plain values (picklable, and the journal's columns)."""

    status: str
    request_id: str | None
    capture_no: str | None = None
    result: bytes | None = None
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def encode_outcome(outcome: CaptureOutcome) -> EncodedOutcome:
    result, error = outcome.result, outcome.error
    if result is not None:
        return EncodedOutcome(
            outcome.status.value,
            outcome.request_id,
            capture_no=result.capture_no,
            result=encode_result(result),
            error_code=result.error_code,
            error_message=result.error_msg,
        )
    if error is None:
        return EncodedOutcome(outcome.status.value, outcome.request_id)
    cls, code, message = error_fields(error)
    return EncodedOutcome(
        outcome.status.value, outcome.request_id, error_class=cls, error_code=code, error_message=message
    )


def decode_outcome(item: CaptureItem, encoded: EncodedOutcome, *, skipped: bool) -> CaptureOutcome:
    """The outcome back: the result decoded, or the error rebuilt with the same class and code."""
    status = OutcomeStatus(encoded.status)
    if encoded.result is not None:
        try:
            result = decode_result(encoded.result)
        except msgspec.DecodeError:  # a row written by a different version: keep the status
            pass
        else:
            return CaptureOutcome(item, status, encoded.request_id, result=result, skipped=skipped)
    error = None
    if encoded.error_class is not None or encoded.error_code is not None:
        ids = {"out_trade_no": str(item.out_trade_no)}
        if encoded.request_id:
            ids["request_id"] = encoded.request_id
        error = rebuild_error(encoded.error_class, encoded.error_code, encoded.error_message, ids)
    return CaptureOutcome(item, status, encoded.request_id, error=error, skipped=skipped)


_ENTRY_STATE = {
    OutcomeStatus.CAPTURED: EntryState.CAPTURED,
    OutcomeStatus.PENDING: EntryState.PENDING,
    OutcomeStatus.FAILED: EntryState.FAILED,
    OutcomeStatus.UNKNOWN: EntryState.UNKNOWN,
    OutcomeStatus.NOT_PROCESSED: EntryState.NOT_PROCESSED,
    # Refused by the client before sending (e.g. a request_id already in flight): nothing went out.
    OutcomeStatus.INVALID: EntryState.NOT_PROCESSED,
}


def to_record(outcome: CaptureOutcome) -> Record | None:
    """The journal row update for an outcome of a sent item (None for the ones never sent)."""
    state = _ENTRY_STATE.get(outcome.status)
    if state is None or outcome.request_id is None or outcome.skipped:
        return None
    encoded = encode_outcome(outcome)
    return Record(
        outcome.item.out_trade_no,
        outcome.request_id,
        state,
        capture_no=encoded.capture_no,
        result=encoded.result,
        error_class=encoded.error_class,
        error_code=encoded.error_code,
        error_message=encoded.error_message,
    )


def from_entry(item: CaptureItem, entry: JournalEntry) -> CaptureOutcome:
    """The outcome a done journal row stands for, marked ``skipped``."""
    status = OutcomeStatus.CAPTURED if entry.state is EntryState.CAPTURED else OutcomeStatus.FAILED
    encoded = EncodedOutcome(
        status.value,
        entry.request_id,
        entry.capture_no,
        entry.result,
        entry.error_class,
        entry.error_code,
        entry.error_message,
    )
    return decode_outcome(item, encoded, skipped=True)
