"""Progress for long commands: a rich bar on a terminal, plain periodic lines everywhere else.

rich is the optional ``cli`` extra, so the command also works from a bare ``pip install``; there, and
whenever stderr is a pipe, a file or a dumb terminal, progress is a line every few seconds, which a
log keeps readable (no carriage returns, no escape codes).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

__all__ = ["Counts", "Progress", "keep_ticking", "open_progress"]


@dataclass(frozen=True, slots=True)
class Counts:
    """What the bar draws: rows done, the total when known, and a short tally of outcomes."""

    done: int
    total: int | None
    detail: str


class Progress:
    """Plain progress: ``line()`` printed every ``interval`` seconds (5 by default; ``math.inf``
    for the final line only), and notes printed as they come."""

    def __init__(
        self, stream: TextIO, line: Callable[[], str], enabled: bool, interval: float | None = None
    ) -> None:
        self.stream = stream
        self.line = line
        self.enabled = enabled
        self.interval = 5.0 if interval is None else interval
        self.last = time.monotonic()

    def tick(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A message for the user (a skipped row), shown even when progress is off."""
        self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        """Stop drawing; the plain printer has nothing to clear."""


class _BarProgress(Progress):
    """rich's live bar, sized to the terminal: label, bar, done/total, percent, rate, ETA, tally."""

    def __init__(self, stream: TextIO, counts: Callable[[], Counts], label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.table import Column
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.speed
                return Text(f"{speed:,.0f}/s" if speed else "-/s", style="progress.data.speed")

        class TallyColumn(ProgressColumn):
            """The one column that gives way on a narrow terminal: cut short, never wrapped."""

            def render(self, task: Task) -> Text:
                return Text(str(task.fields.get("detail", "")), no_wrap=True, overflow="ellipsis")

        def kept() -> Column:  # never shortened: the numbers the user is watching
            return Column(no_wrap=True)

        super().__init__(stream, lambda: "", enabled=True, interval=0.1)
        self.counts = counts
        console = Console(file=stream)
        # The numbers take about 54 columns; the bar gets up to 12 of what is left, then the tally.
        bar_width = min(max(console.width - 54, 1), 12)
        self.bar = RichProgress(
            TextColumn(label, table_column=kept()),
            BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=bar_width)),
            MofNCompleteColumn(table_column=kept()),
            TaskProgressColumn(table_column=kept()),
            RateColumn(table_column=kept()),
            TextColumn("ETA", table_column=kept()),
            TimeRemainingColumn(table_column=kept()),
            TallyColumn(),
            console=console,
            auto_refresh=False,  # redrawn from tick(): no thread of its own
            redirect_stdout=False,
            redirect_stderr=False,
            expand=True,
        )
        first = counts()
        self.task = self.bar.add_task(label, total=first.total, completed=first.done, detail=first.detail)
        self.bar.start()

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        current = self.counts()
        self.bar.update(self.task, total=current.total, completed=current.done, detail=current.detail)
        self.bar.refresh()

    def note(self, text: str) -> None:
        self.bar.console.print(text, markup=False, highlight=False, soft_wrap=True)  # above the bar

    def end(self) -> None:
        self.tick(force=True)
        self.bar.stop()


def open_progress(
    stream: TextIO,
    *,
    label: str,
    line: Callable[[], str],
    counts: Callable[[], Counts],
    enabled: bool,
    interval: float | None = None,
    bar: bool = True,
) -> Progress:
    """The bar when ``stream`` is a capable terminal and rich is installed, else plain lines
    (``interval`` applies to those). ``bar=False`` keeps to plain lines: log records written to
    the same terminal would tear a live bar."""
    if enabled and bar and _is_terminal(stream) and _rich_installed():
        return _BarProgress(stream, counts, label)
    return Progress(stream, line, enabled, interval)


def _is_terminal(stream: TextIO) -> bool:
    try:
        tty = stream.isatty()
    except ValueError:  # closed
        return False
    return tty and os.environ.get("TERM", "") not in ("dumb", "unknown")


def _rich_installed() -> bool:
    try:
        import rich.progress  # noqa: F401
    except ImportError:
        return False
    return True


async def keep_ticking(progress: Progress, every: float = 0.1) -> None:
    """Redraw ``progress`` until cancelled."""
    while True:
        await asyncio.sleep(every)
        progress.tick()
