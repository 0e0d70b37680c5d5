"""The capture command's CSV: orders in (bad rows reported, never sent), outcomes out."""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from ..bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from ..bulk.codec import error_fields
from ..errors import CsvFormatError, InvalidRequestError
from ..validation import check_amount, check_currency, check_id
from .report import Tally

__all__ = ["CsvFormatError", "RowError", "read_captures"]


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that is skipped: where it is, what is wrong, and the order it names (if any)."""

    line: int
    message: str
    out_trade_no: str = ""
    amount: str = ""
    currency: str = ""


_ALIASES = {
    "out_trade_no": "out_trade_no",
    "outtradeno": "out_trade_no",
    "amount": "amount",
    "currency": "currency",
    "request_id": "request_id",
    "requestid": "request_id",
}

_REQUIRED = ("out_trade_no", "amount", "currency")


def read_captures(stream: Iterable[str]) -> Iterator[CaptureItem | RowError]:
    """Parse and check each row before anything is sent; a bad row becomes a :class:`RowError`.

    Line numbers are the file's (the header is line 1; a quoted field spanning lines counts them).
    """
    return (row for _, row in _read_numbered(stream))


def _read_numbered(stream: Iterable[str]) -> Iterator[tuple[int, CaptureItem | RowError]]:
    """:func:`read_captures` with each row's first line number, which the output CSV carries."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFormatError("the input is empty; expected a header row") from None
    if header and header[0].startswith("\ufeff"):  # a byte order mark that reached us decoded (stdin)
        header[0] = header[0][1:]
    names = [_ALIASES.get(h.strip().lower().replace("-", "_"), "") for h in header]
    missing = [c for c in _REQUIRED if c not in names]
    if missing:
        raise CsvFormatError(
            f"the header (line 1) lacks the column(s) {', '.join(missing)}; "
            f"expected out_trade_no, amount, currency[, request_id], got {', '.join(header) or 'nothing'}"
        )
    index = {name: names.index(name) for name in (*_REQUIRED, "request_id") if name in names}
    width = len(header)
    previous_end = reader.line_num
    for row in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        values = {k: row[i].strip() if i < len(row) else "" for k, i in index.items()}
        otn, amount, currency = values["out_trade_no"], values["amount"], values["currency"]
        if len(row) != width:
            yield line, RowError(line, f"expected {width} fields, found {len(row)}", otn, amount, currency)
            continue
        empty = [k for k in _REQUIRED if not values[k]]
        if empty:
            yield line, RowError(line, f"missing {', '.join(empty)}", otn, amount, currency)
            continue
        try:
            check_id(otn, "out_trade_no")
            check_currency(currency)
            check_amount(amount, currency)
            request_id = values.get("request_id") or None
            if request_id is not None:
                check_id(request_id, "request_id", strict_charset=False)
        except InvalidRequestError as exc:
            yield line, RowError(line, exc.message, otn, amount, currency)
            continue
        yield line, CaptureItem(otn, amount, currency, request_id)


def _count_rows(path: Path) -> int | None:
    """Data lines in the file, for the ETA; an estimate (quoted newlines count twice)."""
    try:
        with path.open("rb") as f:
            lines = sum(1 for line in f if line.strip())
    except OSError:
        return None
    return max(lines - 1, 0)


_OUTPUT_COLUMNS = [
    "out_trade_no",
    "amount",
    "currency",
    "status",
    "request_id",
    "capture_no",
    "capture_status",
    "skipped",
    "error_class",
    "error_code",
    "error_message",
    "line",
]


class _Output:
    """The results CSV. Outcomes arrive in completion order, so each row's input line is looked
    up by its order number; only orders in flight are held."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.writer = csv.writer(stream) if stream is not None else None
        self.lines: dict[str, deque[int]] = {}
        if self.writer is not None:
            self.writer.writerow(_OUTPUT_COLUMNS)

    def expect(self, line: int, item: CaptureItem) -> None:
        if self.writer is not None:
            self.lines.setdefault(item.out_trade_no, deque()).append(line)

    def _line_of(self, outcome: CaptureOutcome) -> int | str:
        lines = self.lines.get(outcome.item.out_trade_no)
        if not lines:
            return ""
        # a repeated order is reported as DUPLICATE: it is the later line, the first one is sent
        line = lines.pop() if outcome.status is OutcomeStatus.DUPLICATE else lines.popleft()
        if not lines:
            del self.lines[outcome.item.out_trade_no]
        return line

    def outcome(self, outcome: CaptureOutcome) -> None:
        if self.writer is None:
            return
        item, result, error = outcome.item, outcome.result, outcome.error
        cls, code, message = error_fields(error) if error is not None else ("", "", "")
        if result is not None and result.error_code:
            code, message = result.error_code, result.error_msg or ""
        self.writer.writerow(
            [
                item.out_trade_no,
                item.amount,
                item.currency,
                outcome.status.value,
                outcome.request_id or "",
                result.capture_no if result is not None else "",
                str(result.status or "") if result is not None else "",
                "yes" if outcome.skipped else "",
                cls,
                code or "",
                message,
                self._line_of(outcome),
            ]
        )

    def bad_row(self, row: RowError) -> None:
        if self.writer is not None:
            fields = [row.out_trade_no, row.amount, row.currency, "invalid", "", "", "", ""]
            self.writer.writerow([*fields, "RowError", "", row.message, row.line])

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()


def _open_input(name: str, stack: contextlib.ExitStack) -> TextIO:
    """The CSV as text. A byte order mark (Excel writes one) is dropped, on stdin too."""
    if name != "-":
        return stack.enter_context(Path(name).open(newline="", encoding="utf-8-sig"))
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # stdin replaced by a text stream (embedding, tests): read_captures drops the mark
        return sys.stdin
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    stack.callback(text.detach)  # leave sys.stdin itself open
    return text


_T = TypeVar("_T")


def _chain(first: _T | None, rest: Iterator[_T]) -> Iterator[_T]:
    if first is not None:
        yield first
        yield from rest


def _items_reporting_bad_rows(
    rows: Iterator[tuple[int, CaptureItem | RowError]],
    tally: Tally,
    output: _Output,
    note: Callable[[str], None],
) -> Iterator[CaptureItem]:
    for line, row in rows:
        if isinstance(row, RowError):
            tally.bad_rows += 1
            output.bad_row(row)
            note(f"line {row.line}: {row.message}; row skipped")
            continue
        output.expect(line, row)
        yield row
