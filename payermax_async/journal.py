"""Moved to :mod:`payermax_async.bulk.journal`; this name stays importable."""

from .bulk.journal import (
    DONE_STATES,
    Claim,
    EntryState,
    Journal,
    JournalEntry,
    JournalError,
    Record,
    Reservation,
    Verdict,
)

__all__ = [
    "DONE_STATES",
    "Claim",
    "EntryState",
    "Journal",
    "JournalEntry",
    "JournalError",
    "Record",
    "Reservation",
    "Verdict",
]
