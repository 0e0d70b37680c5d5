"""A journal is used by its own run only (issue 12, defects 4 and 5): the merchant, app and
gateway it was written for; one run at a time; and never a file that only looks like a fresh start."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from payermax_async.bulk.guard import JournalIdentity, identity_of
from payermax_async.bulk.journal import Claim, Journal, Verdict
from payermax_async.errors import JournalError

MINE = JournalIdentity("M-1", "app-1", "https://pay-gate.payermax.com")


def claim(otn: str) -> Claim:
    return Claim(otn, "10.00", "USD")


def test_a_journal_refuses_another_merchant_app_or_gateway(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path, identity=MINE) as journal:
        journal.reserve([claim("O-1")], "run-1")
    others = [
        JournalIdentity("M-2", "app-1", MINE.gateway),
        JournalIdentity("M-1", "app-2", MINE.gateway),
        JournalIdentity("M-1", "app-1", "https://pay-gate-uat.payermax.com"),
    ]
    for other in others:
        with pytest.raises(JournalError, match="belongs to"):
            Journal(path, identity=other)
    with Journal(path, identity=MINE) as journal:  # its own run still opens it, and skips nothing new
        [reservation] = journal.reserve([claim("O-1")], "run-2")
    assert reservation.verdict is Verdict.RESEND


def test_identity_of_a_client_and_of_a_double() -> None:
    class Config:
        merchant_no, app_id, base_url = "M-1", "app-1", "https://Pay-Gate.payermax.com/aggregate-pay"

    class Client:
        config = Config()

    assert identity_of(Client()) == MINE
    assert identity_of(object()) is None


def test_one_run_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    first = Journal(path)
    try:
        with pytest.raises(JournalError, match="another run"):
            Journal(path)
        Journal(path, owner=False).close()  # the run's own workers share it
    finally:
        first.close()
    Journal(path).close()  # released with the run


def test_an_empty_file_is_refused_not_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"")
    with pytest.raises(JournalError, match="empty"):
        Journal(path)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    with pytest.raises(JournalError, match="not a journal"):
        Journal(path)


def test_a_file_copied_without_its_wal_while_a_run_had_it_open_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    running = Journal(path)
    try:
        running.reserve([claim("O-1")], "run-1")
        copy = tmp_path / "copy.db"
        shutil.copyfile(path, copy)  # the main file only: the reservation is still in the -wal
        with pytest.raises(JournalError, match="-wal"):
            Journal(copy)
    finally:
        running.close()


def test_a_run_killed_after_its_wal_was_checkpointed_reopens(tmp_path: Path) -> None:
    """The owner died (its token is still in the file), a worker's clean close then folded the WAL
    in and removed it: the lock file beside the journal vouches for it."""
    path = tmp_path / "j.db"
    owner = Journal(path)
    worker = Journal(path, owner=False)
    worker.reserve([claim("O-1")], "run-1")
    owner._db.close()  # dies without its clean close
    owner._release()
    worker.close()  # the last connection: checkpoints and removes the -wal
    assert not (tmp_path / "j.db-wal").exists()
    with Journal(path) as again:
        assert again.get("O-1") is not None


def test_reads_of_a_damaged_file_are_journal_errors(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal(path)
    try:
        journal._db.execute("DROP TABLE captures")
        with pytest.raises(JournalError):
            journal.get("O-1")
        with pytest.raises(JournalError):
            journal.counts()
        with pytest.raises(JournalError):
            list(journal.entries())
    finally:
        journal.close()
