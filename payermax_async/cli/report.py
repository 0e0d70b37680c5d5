"""What a run tells its user: progress lines, the summary and the exit status."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from ..bulk import CaptureOutcome, OutcomeStatus
from ..bulk.journal import EntryState, Journal, JournalError
from .progress import Counts, Progress, keep_ticking

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNRESOLVED",
    "EXIT_USAGE",
    "Progress",
    "Tally",
    "keep_ticking",
    "quiet_logging",
]

EXIT_OK = 0

EXIT_FAILED = 1

EXIT_USAGE = 2

EXIT_UNRESOLVED = 3

EXIT_INTERRUPTED = 130

_UNRESOLVED = frozenset({OutcomeStatus.UNKNOWN, OutcomeStatus.PENDING, OutcomeStatus.NOT_PROCESSED})

_NEVER_SENT = frozenset({OutcomeStatus.INVALID, OutcomeStatus.CONFLICT, OutcomeStatus.DUPLICATE})


@dataclass
class Tally:
    total: int | None
    started: float = field(default_factory=time.monotonic)
    counts: Counter[str] = field(default_factory=Counter)
    skipped_captured: int = 0  # captured by an earlier run, not sent now
    sent: int = 0
    bad_rows: int = 0
    recent: list[tuple[float, int]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(self.counts.values()) + self.bad_rows

    def add(self, outcome: CaptureOutcome) -> None:
        self.counts[outcome.status.value] += 1
        if outcome.skipped:
            self.skipped_captured += outcome.ok
        elif outcome.status not in _NEVER_SENT:
            self.sent += 1

    def rate(self) -> float:
        """Rows per second over the last ~5 seconds (the whole run before that)."""
        now = time.monotonic()
        self.recent.append((now, self.done))
        while len(self.recent) > 2 and now - self.recent[1][0] > 5.0:
            self.recent.pop(0)
        t0, d0 = self.recent[0] if len(self.recent) > 1 else (self.started, 0)
        return (self.done - d0) / (now - t0) if now > t0 else 0.0

    def counts_now(self) -> Counts:
        """The bar's view; the bar computes rate and ETA itself."""
        return Counts(self.done, self.total, self._tally_text())

    def _tally_text(self) -> str:
        unresolved = sum(self.counts[s.value] for s in _UNRESOLVED)
        captured = self.counts[OutcomeStatus.CAPTURED.value]
        return f"ok {captured}  failed {self.failed}  unresolved {unresolved}"

    def progress_line(self) -> str:
        rate = self.rate()
        done = self.done
        if self.total:
            share = f"{done}/{self.total} ({min(done / self.total, 1.0):.0%})"
            left = max(self.total - done, 0)
            eta = _clock(left / rate) if rate > 0 else "--:--"
        else:
            share, eta = f"{done}", "--:--"
        return f"capture {share}  {rate:,.0f}/s  ETA {eta}  {self._tally_text()}"

    @property
    def failed(self) -> int:
        return self.bad_rows + sum(
            self.counts[s.value]
            for s in (
                OutcomeStatus.FAILED,
                OutcomeStatus.INVALID,
                OutcomeStatus.CONFLICT,
                OutcomeStatus.DUPLICATE,
            )
        )

    def exit_code(self) -> int:
        if any(self.counts[s.value] for s in _UNRESOLVED):
            return EXIT_UNRESOLVED
        if self.failed:
            return EXIT_FAILED
        return EXIT_OK

    def summary(self, journal: Mapping[EntryState, int] | None, interrupted: bool) -> str:
        wall = time.monotonic() - self.started
        rows = [
            ("rows read", self.done),
            ("captured", self.counts[OutcomeStatus.CAPTURED.value]),
            ("  of which by an earlier run", self.skipped_captured),
            ("failed (refused or declined)", self.counts[OutcomeStatus.FAILED.value]),
            ("pending at the gateway", self.counts[OutcomeStatus.PENDING.value]),
            ("outcome unknown", self.counts[OutcomeStatus.UNKNOWN.value]),
            ("not processed", self.counts[OutcomeStatus.NOT_PROCESSED.value]),
            ("bad rows (skipped)", self.bad_rows + self.counts[OutcomeStatus.INVALID.value]),
            ("conflicts with the journal", self.counts[OutcomeStatus.CONFLICT.value]),
            ("repeated orders (skipped)", self.counts[OutcomeStatus.DUPLICATE.value]),
        ]
        width = max(len(name) for name, _ in rows)
        lines = ["", "capture summary" + (" (interrupted)" if interrupted else "")]
        lines += [f"  {name:<{width}}  {value:>9,}" for name, value in rows if value or name == "captured"]
        lines.append(f"  {'wall time':<{width}}  {_clock(wall):>9}")
        if self.sent and wall > 0:
            lines.append(f"  {'captures sent':<{width}}  {self.sent:>9,}")
            lines.append(f"  {'captures sent per second':<{width}}  {self.sent / wall:>9,.0f}")
        if journal is not None:
            settled = ", ".join(f"{n:,} {s.value}" for s, n in journal.items() if n)
            lines.append(f"  journal: {settled or 'empty'}")
        code = EXIT_INTERRUPTED if interrupted else self.exit_code()
        if code in (EXIT_UNRESOLVED, EXIT_INTERRUPTED) and journal is not None:
            lines.append("  run the same command again with the same --journal to settle the rest")
        elif code in (EXIT_UNRESOLVED, EXIT_INTERRUPTED):
            lines.append(
                "  no --journal: look up the unresolved orders before sending them again "
                "(with --journal a re-run settles them safely)"
            )
        return "\n".join(lines) + "\n"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def _print_summary(args: argparse.Namespace, tally: Tally, interrupted: bool) -> None:
    counts = None
    if args.journal:
        with contextlib.suppress(JournalError), Journal(args.journal) as journal:
            counts = journal.counts()
    stream = sys.stderr if args.output == "-" else sys.stdout
    stream.write(tally.summary(counts, interrupted))
    stream.flush()


def quiet_logging(verbose: bool, stream: TextIO, *, detach: bool = False) -> None:
    """Retries show in the summary, not as a warning each; ``verbose`` logs them as they happen.

    ``detach`` also stops the library's records reaching the root logger's handlers.
    """
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=stream)
        return
    library_logger = logging.getLogger("payermax_async")
    if not library_logger.handlers:
        library_logger.addHandler(logging.NullHandler())
        if detach:
            library_logger.propagate = False
