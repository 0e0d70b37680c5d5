"""The journal's rows and the decisions it hands back, as plain values: what a run claims, what
it is told (send, replay, skip), and what it records. :mod:`.journal` stores them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["DONE_STATES", "Claim", "EntryState", "JournalEntry", "Record", "Reservation", "Verdict"]


class EntryState(str, enum.Enum):
    #: recorded; a request may be in flight (or the run died before its answer was written)
    SENDING = "sending"
    CAPTURED = "captured"
    #: accepted by the gateway, final status not yet known; a replay returns the current one
    PENDING = "pending"
    #: a definite refusal: a business code, or a capture whose status is FAILED
    FAILED = "failed"
    #: may or may not have happened
    UNKNOWN = "unknown"
    #: certainly not acted on (not delivered, or refused before processing)
    NOT_PROCESSED = "not_processed"


#: states a re-run skips; every other state is replayed under the recorded request_id
DONE_STATES = frozenset({EntryState.CAPTURED, EntryState.FAILED})


class Verdict(str, enum.Enum):
    SEND = "send"  # first time seen: recorded under a new request_id, send it
    RESEND = "resend"  # in flight or unknown in an earlier run: replay the recorded request_id
    DONE = "done"  # a definite outcome is recorded: skip
    CONFLICT = "conflict"  # recorded with another amount, currency or request_id: do not send
    DUPLICATE = "duplicate"  # already claimed earlier in this same run: do not send twice


@dataclass(frozen=True, slots=True)
class Claim:
    """One order a run wants to capture. ``amount`` is canonical decimal text (quantized)."""

    out_trade_no: str
    amount: str
    currency: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    out_trade_no: str
    request_id: str
    amount: str
    currency: str
    state: EntryState
    run_id: str
    sends: int  # how many runs have sent (or replayed) this capture
    capture_no: str | None = None
    result: bytes | None = None  # the CaptureResult as JSON, when one was received
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Reservation:
    verdict: Verdict
    #: the id to send under (SEND, RESEND), or the one on record (DONE, CONFLICT, DUPLICATE)
    request_id: str
    #: the row as it was before this run touched it; None for SEND (and a repeat of one)
    entry: JournalEntry | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """An outcome to write. Applied only to the row with this request_id, and never over a done one."""

    out_trade_no: str
    request_id: str
    state: EntryState
    capture_no: str | None = None
    result: bytes | None = None
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def entry_from_row(row: tuple[object, ...]) -> JournalEntry:
    (otn, rid, amount, currency, state, run_id, sends, cno, result, ecls, ecode, emsg, updated) = row
    return JournalEntry(
        out_trade_no=str(otn),
        request_id=str(rid),
        amount=str(amount),
        currency=str(currency),
        state=EntryState(state),
        run_id=str(run_id),
        sends=int(sends),  # type: ignore[call-overload]
        capture_no=None if cno is None else str(cno),
        result=None if result is None else bytes(result),  # type: ignore[call-overload]
        error_class=None if ecls is None else str(ecls),
        error_code=None if ecode is None else str(ecode),
        error_message=None if emsg is None else str(emsg),
        updated_at=float(updated),  # type: ignore[arg-type]
    )
