"""What keeps a journal from being used by the wrong run: whose it is, who runs it now, and whether
the file is whole.

A journal's rows are only true for one merchant, app and gateway: a re-run with other credentials
would skip every order as "captured by an earlier run". Two runs on one file would both send every
capture. And a file that is empty, not a journal, or copied without its ``-wal`` (where the latest
reservations live) looks like a fresh start and would re-send settled captures under new ids. Each
of these is refused with a :class:`JournalError` instead.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import JournalError

__all__ = ["JournalIdentity", "RunLock", "check_identity", "identity_of", "refuse_unusable_file"]

try:  # POSIX; elsewhere the lock is a no-op and one run at a time is the user's to keep
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class JournalIdentity:
    """Whose captures a journal records. None of it is secret."""

    merchant_no: str
    app_id: str
    gateway: str  # scheme://host[:port] of the base URL

    def items(self) -> list[tuple[str, str]]:
        return [("merchant_no", self.merchant_no), ("app_id", self.app_id), ("gateway", self.gateway)]


def identity_of(client: Any) -> JournalIdentity | None:
    """The identity of a client that has a PayerMax ``config``; None for anything else (a test
    double), which then runs without the check."""
    config = getattr(client, "config", None)
    merchant_no, app_id = getattr(config, "merchant_no", None), getattr(config, "app_id", None)
    base_url = getattr(config, "base_url", None)
    if not (isinstance(merchant_no, str) and isinstance(app_id, str) and isinstance(base_url, str)):
        return None
    parts = urlsplit(base_url)
    return JournalIdentity(merchant_no, app_id, f"{parts.scheme}://{parts.netloc}".lower())


def check_identity(db: sqlite3.Connection, path: str, identity: JournalIdentity) -> None:
    """Stamp a journal with its first run's identity; refuse any other. Runs inside a transaction."""
    stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
    for key, value in identity.items():
        if key not in stored:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        elif stored[key] != value:
            raise JournalError(
                f"journal {path!r} belongs to {key} {stored[key]!r}, not {value!r}: its rows say nothing "
                "about this run's captures; use another journal file"
            )


def refuse_unusable_file(path: str) -> bool:
    """Refuse an existing empty file; returns whether the journal's ``-wal`` is beside it."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise JournalError(f"cannot use journal {path!r}: {exc}") from exc
    if size == 0:
        raise JournalError(
            f"journal {path!r} is an empty file, not a journal (truncated, or copied while open?); "
            "refusing to start afresh, which would re-send settled captures"
        )
    return os.path.exists(path + "-wal")


class RunLock:
    """An exclusive ``flock`` on ``<journal>.lock``, held by the process that owns a run (worker
    processes of that run share the journal without it). The kernel drops it when the owner dies,
    kill -9 included, so a crash never leaves a stale lock behind."""

    def __init__(self, journal_path: str) -> None:
        self.path = journal_path + ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise JournalError(f"cannot create the journal's lock file {self.path!r}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise JournalError(
                f"another run is using journal {self.path[: -len('.lock')]!r} (its lock {self.path!r} is "
                "held); wait for it to finish, or use another journal"
            ) from None
        self._fd = fd

    def read_token(self) -> str:
        """The open-run token last written here (see Journal's copy check); "" when none."""
        if self._fd is None:
            return ""
        os.lseek(self._fd, 0, os.SEEK_SET)
        return os.read(self._fd, 200).decode("ascii", "replace").strip()

    def write_token(self, token: str) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, token.encode("ascii"), 0)
            os.fsync(self._fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock
