"""The capture command's CSV: orders in (bad rows reported, never sent), outcomes out."""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..bulk import CaptureItem, CaptureOutcome
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
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFormatError("the input is empty; expected a header row") from None
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
            yield RowError(line, f"expected {width} fields, found {len(row)}", otn, amount, currency)
            continue
        empty = [k for k in _REQUIRED if not values[k]]
        if empty:
            yield RowError(line, f"missing {', '.join(empty)}", otn, amount, currency)
            continue
        try:
            check_id(otn, "out_trade_no")
            check_currency(currency)
            check_amount(amount, currency)
            request_id = values.get("request_id") or None
            if request_id is not None:
                check_id(request_id, "request_id", strict_charset=False)
        except InvalidRequestError as exc:
            yield RowError(line, exc.message, otn, amount, currency)
            continue
        yield CaptureItem(otn, amount, currency, request_id)


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
    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.writer = csv.writer(stream) if stream is not None else None
        if self.writer is not None:
            self.writer.writerow(_OUTPUT_COLUMNS)

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
                "",
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
    if name == "-":
        return sys.stdin
    return stack.enter_context(Path(name).open(newline="", encoding="utf-8-sig"))


def _chain(
    first: CaptureItem | RowError | None, rest: Iterator[CaptureItem | RowError]
) -> Iterator[CaptureItem | RowError]:
    if first is not None:
        yield first
        yield from rest


def _items_reporting_bad_rows(
    rows: Iterator[CaptureItem | RowError], tally: Tally, output: _Output, err: TextIO
) -> Iterator[CaptureItem]:
    for row in rows:
        if isinstance(row, RowError):
            tally.bad_rows += 1
            output.bad_row(row)
            clear = "\r\x1b[K" if err.isatty() else ""  # over the progress line, not after it
            print(f"{clear}line {row.line}: {row.message}; row skipped", file=err)
            continue
        yield row
