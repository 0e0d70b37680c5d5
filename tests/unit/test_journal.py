"""The capture journal: reservations are durable before they return, and re-runs decide correctly."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from payermax_async.bulk.journal import (
    Claim,
    EntryState,
    Journal,
    JournalError,
    Record,
    Verdict,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "run.db"


def claims(n: int, amount: str = "10.00", start: int = 0) -> list[Claim]:
    return [Claim(f"ORD_{i}", amount, "USD") for i in range(start, start + n)]


def test_new_orders_are_recorded_before_reserve_returns(path: Path) -> None:
    with Journal(path) as journal:
        got = journal.reserve([*claims(2), Claim("OWN", "5.00", "USD", request_id="my-id-1")], "run-1")
        # A second connection sees the rows: they were committed, not just written.
        other = sqlite3.connect(path)
        rows = dict(other.execute("SELECT out_trade_no, request_id FROM captures").fetchall())
        other.close()
    assert [r.verdict for r in got] == [Verdict.SEND] * 3
    assert rows == {"ORD_0": got[0].request_id, "ORD_1": got[1].request_id, "OWN": "my-id-1"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", r.request_id) for r in got[:2])
    assert got[0].request_id != got[1].request_id


def test_file_is_in_wal_mode(path: Path) -> None:
    Journal(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.parametrize(
    ("state", "verdict"),
    [
        (EntryState.SENDING, Verdict.RESEND),
        (EntryState.UNKNOWN, Verdict.RESEND),
        (EntryState.PENDING, Verdict.RESEND),
        (EntryState.NOT_PROCESSED, Verdict.RESEND),
        (EntryState.CAPTURED, Verdict.DONE),
        (EntryState.FAILED, Verdict.DONE),
    ],
)
def test_a_rerun_replays_what_is_not_done_under_the_same_request_id(
    path: Path, state: EntryState, verdict: Verdict
) -> None:
    with Journal(path) as journal:
        (first,) = journal.reserve(claims(1), "run-1")
        if state is not EntryState.SENDING:
            journal.record([Record("ORD_0", first.request_id, state, capture_no="C1")])
        (again,) = journal.reserve(claims(1), "run-2")
        entry = journal.get("ORD_0")
    assert again.verdict is verdict
    assert again.request_id == first.request_id
    assert again.entry is not None and again.entry.state is state
    assert entry is not None and entry.run_id == "run-2"
    # A replay is one more send; a skipped order is not sent again.
    assert entry.sends == (2 if verdict is Verdict.RESEND else 1)
    assert entry.state is (EntryState.SENDING if verdict is Verdict.RESEND else state)


def test_an_order_twice_in_one_run_is_a_duplicate(path: Path) -> None:
    with Journal(path) as journal:
        got = journal.reserve([*claims(1), *claims(1)], "run-1")  # twice in one batch
        later = journal.reserve(claims(1), "run-1")  # and again in a later batch
    assert [r.verdict for r in got] == [Verdict.SEND, Verdict.DUPLICATE]
    assert got[1].request_id == got[0].request_id
    assert later[0].verdict is Verdict.DUPLICATE


def test_a_done_order_seen_twice_in_a_rerun_is_skipped_then_a_duplicate(path: Path) -> None:
    with Journal(path) as journal:
        (first,) = journal.reserve(claims(1), "run-1")
        journal.record([Record("ORD_0", first.request_id, EntryState.CAPTURED)])
        got = journal.reserve([*claims(1), *claims(1)], "run-2")
    assert [r.verdict for r in got] == [Verdict.DONE, Verdict.DUPLICATE]


@pytest.mark.parametrize(
    "changed",
    [
        Claim("ORD_0", "11.00", "USD"),
        Claim("ORD_0", "10.00", "EUR"),
        Claim("ORD_0", "10.00", "USD", request_id="another-id"),
    ],
)
def test_different_parameters_for_a_journaled_order_are_a_conflict(path: Path, changed: Claim) -> None:
    with Journal(path) as journal:
        (first,) = journal.reserve(claims(1), "run-1")
        (got,) = journal.reserve([changed], "run-2")
        entry = journal.get("ORD_0")
    assert got.verdict is Verdict.CONFLICT
    assert got.request_id == first.request_id
    assert entry is not None  # the row is left exactly as it was
    assert (entry.amount, entry.currency, entry.run_id, entry.sends) == ("10.00", "USD", "run-1", 1)


def test_the_same_request_id_given_again_is_not_a_conflict(path: Path) -> None:
    with Journal(path) as journal:
        journal.reserve([Claim("ORD_0", "10.00", "USD", "rid-0")], "run-1")
        (got,) = journal.reserve([Claim("ORD_0", "10.00", "USD", "rid-0")], "run-2")
    assert (got.verdict, got.request_id) == (Verdict.RESEND, "rid-0")


def test_record_keeps_the_outcome_and_never_overwrites_a_done_row(path: Path) -> None:
    with Journal(path) as journal:
        a, b = journal.reserve(claims(2), "run-1")
        journal.record(
            [
                Record("ORD_0", a.request_id, EntryState.CAPTURED, capture_no="C-0", result=b"{}"),
                Record("ORD_1", b.request_id, EntryState.FAILED, error_class="ApiError", error_code="X"),
            ]
        )
        # A late or stray write cannot undo a definite outcome...
        journal.record([Record("ORD_0", a.request_id, EntryState.UNKNOWN)])
        # ...and a write under another request_id touches nothing.
        journal.record([Record("ORD_1", "not-its-id", EntryState.CAPTURED)])
        first, second = journal.get("ORD_0"), journal.get("ORD_1")
    assert first is not None and (first.state, first.capture_no, first.result) == (
        EntryState.CAPTURED,
        "C-0",
        b"{}",
    )
    assert second is not None and (second.state, second.error_class, second.error_code) == (
        EntryState.FAILED,
        "ApiError",
        "X",
    )


def test_pending_moves_on_when_the_replay_answers(path: Path) -> None:
    with Journal(path) as journal:
        (a,) = journal.reserve(claims(1), "run-1")
        journal.record([Record("ORD_0", a.request_id, EntryState.PENDING)])
        journal.reserve(claims(1), "run-2")
        journal.record([Record("ORD_0", a.request_id, EntryState.CAPTURED)])
        entry = journal.get("ORD_0")
    assert entry is not None and entry.state is EntryState.CAPTURED


def test_counts_entries_and_large_batches(path: Path) -> None:
    with Journal(path) as journal:
        got = journal.reserve(claims(1200), "run-1")  # more than one IN (...) chunk
        journal.record(
            [Record(f"ORD_{i}", got[i].request_id, EntryState.CAPTURED) for i in range(0, 1200, 3)]
        )
        again = journal.reserve(claims(1200), "run-2")
        counts = journal.counts()
        captured = list(journal.entries(EntryState.CAPTURED))
        everything = list(journal.entries())
    assert counts[EntryState.CAPTURED] == 400
    assert counts[EntryState.SENDING] == 800
    assert sum(counts.values()) == 1200
    assert len(captured) == 400 and all(e.state is EntryState.CAPTURED for e in captured)
    assert [e.out_trade_no for e in everything] == sorted(e.out_trade_no for e in everything)
    assert sum(r.verdict is Verdict.DONE for r in again) == 400
    assert sum(r.verdict is Verdict.RESEND for r in again) == 800


def test_reopening_keeps_everything(path: Path) -> None:
    with Journal(path) as journal:
        (a,) = journal.reserve(claims(1), "run-1")
    with Journal(path) as journal:
        entry = journal.get("ORD_0")
    assert entry is not None and entry.request_id == a.request_id


def test_a_newer_schema_is_refused(path: Path) -> None:
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(JournalError, match="schema 99"):
        Journal(path)


def test_a_file_that_is_not_a_database_is_refused(path: Path) -> None:
    path.write_bytes(b"not a database, just some text " * 100)
    with pytest.raises(JournalError):
        Journal(path)


def test_a_journal_locked_past_the_timeout_fails_the_write_not_silently(path: Path) -> None:
    journal = Journal(path, busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(JournalError, match="not writable"):
            journal.reserve(claims(1), "run-1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert journal.reserve(claims(1), "run-1")[0].verdict is Verdict.SEND  # and it recovers
    journal.close()


def test_closed_journal_refuses_writes(path: Path) -> None:
    journal = Journal(path)
    journal.close()
    journal.close()  # idempotent
    assert journal.closed
    with pytest.raises(JournalError, match="closed"):
        journal.reserve(claims(1), "run-1")


def test_bad_synchronous_mode_is_refused(path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        Journal(path, synchronous="OFF")  # type: ignore[arg-type]
