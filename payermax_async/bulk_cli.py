"""``payermax-async capture``: capture every authorization in a CSV, resumably, with progress.

Kept out of :mod:`payermax_async.cli` (which only lists it) so that the command's parsing,
credentials and reporting can be tested piece by piece.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .bulk import CaptureItem, CaptureOutcome, OutcomeStatus, capture_many
from .bulk.codec import error_fields
from .bulk.journal import EntryState, Journal, JournalError
from .config import SANDBOX_URL
from .errors import ConfigurationError, InvalidRequestError
from .validation import check_amount, check_currency, check_id

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNRESOLVED",
    "EXIT_USAGE",
    "CsvFormatError",
    "RowError",
    "add_capture",
    "load_client_options",
    "read_captures",
    "run_capture",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNRESOLVED = 3
EXIT_INTERRUPTED = 130

_EXIT_HELP = """\
exit status:
  0    every order is captured (in this run, or in an earlier one recorded in the journal)
  1    some rows failed for good: refused or declined by the gateway, bad CSV rows, amounts that
       conflict with the journal, repeated orders; nothing is left unresolved
  2    usage or configuration error; nothing was sent
  3    some captures are unresolved (outcome unknown, pending, or not processed); run the same
       command again with the same --journal to settle them (never captures twice)
  130  interrupted; run it again with the same --journal to resume

credentials come from the environment, or from --config (TOML; JSON on Python 3.10 without
tomli): PAYERMAX_APP_ID, PAYERMAX_MERCHANT_NO, PAYERMAX_PRIVATE_KEY or PAYERMAX_PRIVATE_KEY_FILE,
PAYERMAX_PUBLIC_KEY or PAYERMAX_PUBLIC_KEY_FILE (PayerMax's public key), PAYERMAX_BASE_URL
(default: the sandbox). In a config file the keys are app_id, merchant_no, private_key,
private_key_file, payermax_public_key, payermax_public_key_file, base_url, at the top level or
under [payermax]. The environment wins over the file.

input: a CSV with a header row and the columns out_trade_no, amount, currency, and optionally
request_id (other columns are ignored). Amounts are decimal text ("10.00", "10.5"). Bad rows are
reported with their line numbers and skipped, never sent.
"""

_UNRESOLVED = frozenset({OutcomeStatus.UNKNOWN, OutcomeStatus.PENDING, OutcomeStatus.NOT_PROCESSED})
_NEVER_SENT = frozenset({OutcomeStatus.INVALID, OutcomeStatus.CONFLICT, OutcomeStatus.DUPLICATE})

_ENV = {
    "app_id": ("PAYERMAX_APP_ID",),
    "merchant_no": ("PAYERMAX_MERCHANT_NO",),
    "private_key": ("PAYERMAX_PRIVATE_KEY", "PAYERMAX_MERCHANT_PRIVATE_KEY"),
    "private_key_file": ("PAYERMAX_PRIVATE_KEY_FILE",),
    "payermax_public_key": ("PAYERMAX_PUBLIC_KEY",),
    "payermax_public_key_file": ("PAYERMAX_PUBLIC_KEY_FILE",),
    "base_url": ("PAYERMAX_BASE_URL",),
}
_FILE_ALIASES = {"public_key": "payermax_public_key", "public_key_file": "payermax_public_key_file"}


# ---------------------------------------------------------------------- credentials


def _load_config_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read config {path}: {exc.strerror or exc}") from None
    data: Any
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(f"config {path} is not valid JSON: {exc}") from None
    else:
        try:
            data = _toml_loads(raw.decode("utf-8"), path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"config {path} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"config {path} must hold a table of settings")
    section = data.get("payermax", data)
    if not isinstance(section, dict):
        raise ConfigurationError(f"config {path}: [payermax] must be a table")
    return {_FILE_ALIASES.get(str(k), str(k)): v for k, v in section.items()}


def _toml_loads(text: str, path: Path) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    try:  # pragma: no cover - Python 3.10
        import tomli  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover
        raise ConfigurationError(
            f"reading {path} needs Python 3.11+ or the tomli package; or use a .json config"
        ) from None
    return tomli.loads(text)  # pragma: no cover


def _read_key_file(path: str, what: str) -> str:
    try:
        return Path(path).expanduser().read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigurationError(f"cannot read the {what} file {path}: {reason}") from None


def load_client_options(config: Path | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """:class:`PayerMaxClient` keyword arguments from the config file and the environment.

    Error messages name the setting that is missing or unreadable, never a key's contents.
    """
    settings: dict[str, Any] = _load_config_file(config) if config is not None else {}
    for name, variables in _ENV.items():
        for variable in variables:
            if environ.get(variable):
                settings[name] = environ[variable]
                break
    for name in ("private_key", "payermax_public_key"):
        path = settings.pop(f"{name}_file", None)
        if path and not settings.get(name):
            settings[name] = _read_key_file(str(path), name.replace("_", " "))
    missing = [
        variables[0]
        for name, variables in _ENV.items()
        if name in ("app_id", "merchant_no", "private_key", "payermax_public_key") and not settings.get(name)
    ]
    if missing:
        raise ConfigurationError(
            "missing credentials: " + ", ".join(missing) + " (set them in the environment or --config)"
        )
    options = {k: settings[k] for k in ("app_id", "merchant_no", "private_key", "payermax_public_key")}
    options["base_url"] = settings.get("base_url") or SANDBOX_URL
    for key in ("app_id", "merchant_no", "base_url"):
        if not isinstance(options[key], str):
            raise ConfigurationError(f"{key} must be a string")
    return options


# ---------------------------------------------------------------------- CSV input


class CsvFormatError(ValueError):
    """The CSV as a whole cannot be used (no header, required columns missing)."""


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


# ---------------------------------------------------------------------- progress and summary


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

    def progress_line(self) -> str:
        rate = self.rate()
        done = self.done
        if self.total:
            share = f"{done}/{self.total} ({min(done / self.total, 1.0):.0%})"
            left = max(self.total - done, 0)
            eta = _clock(left / rate) if rate > 0 else "--:--"
        else:
            share, eta = f"{done}", "--:--"
        unresolved = sum(self.counts[s.value] for s in _UNRESOLVED)
        failed = self.failed
        return (
            f"capture {share}  {rate:,.0f}/s  ETA {eta}  "
            f"ok {self.counts[OutcomeStatus.CAPTURED.value]}  failed {failed}  unresolved {unresolved}"
        )

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
        if code in (EXIT_UNRESOLVED, EXIT_INTERRUPTED):
            lines.append("  run the same command again with the same --journal to settle the rest")
        return "\n".join(lines) + "\n"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class _Progress:
    """A live line on a terminal (redrawn in place); on a pipe or file, a line every few seconds."""

    def __init__(self, stream: TextIO, tally: Tally, enabled: bool, interval: float | None = None) -> None:
        self.stream = stream
        self.tally = tally
        self.enabled = enabled
        self.tty = stream.isatty()
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.last = time.monotonic()
        self.drawn = False

    def tick(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        line = self.tally.progress_line()
        self.stream.write(f"\r\x1b[K{line}" if self.tty else line + "\n")
        self.drawn = True
        self.stream.flush()

    def end(self) -> None:
        if self.enabled and self.drawn and self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------------- output


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
                result.status.value if result is not None else "",
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


# ---------------------------------------------------------------------- the command


def positive_int(text: str) -> int:
    """An argparse type; the other subcommands use it too."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def add_capture(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "capture",
        help="capture every authorization listed in a CSV (resumable with --journal)",
        description=(
            "Capture every authorization listed in a CSV, many at a time, with a live progress line "
            "and a summary. With --journal the run is safe to repeat: after a crash or Ctrl-C, run "
            "the same command again and it finishes the job without capturing anything twice."
        ),
        epilog=_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--input", "-i", required=True, help="CSV of captures ('-' for stdin)")
    p.add_argument("--journal", "-j", help="SQLite file recording each capture (makes re-runs safe)")
    p.add_argument("--output", "-o", help="write one CSV row per input row with its outcome ('-': stdout)")
    p.add_argument("--concurrency", "-c", type=positive_int, default=32, help="captures in flight (32)")
    p.add_argument("--rate-limit", type=_positive_float, help="at most this many captures started per second")
    p.add_argument("--processes", "-p", type=positive_int, default=1, help="worker processes (1)")
    p.add_argument("--config", type=Path, help="TOML (or .json) file with the credentials")
    p.add_argument("--timeout", type=_positive_float, default=15.0, help="seconds per attempt (15)")
    p.add_argument("--max-retries", type=int, default=2, help="extra attempts per capture (2)")
    p.add_argument(
        "--sign-inline",
        action="store_true",
        help="sign on the event loop, not on a signing thread (the thread is used with the "
        "cryptography backend and --concurrency > 1, where it measured 1.3x faster)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    p.add_argument("--verbose", "-v", action="store_true", help="log retries and warnings")
    p.set_defaults(run=run_capture)


def run_capture(args: argparse.Namespace) -> int:
    err = sys.stderr
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=err)
    else:
        library_logger = logging.getLogger("payermax_async")
        if not library_logger.handlers:  # retries show in the summary, not as a warning each
            library_logger.addHandler(logging.NullHandler())
            library_logger.propagate = False
    if args.max_retries < 0:
        print("payermax-async capture: --max-retries must be >= 0", file=err)
        return EXIT_USAGE
    try:
        options = load_client_options(args.config, os.environ)
        options.update(timeout=args.timeout, max_retries=args.max_retries)
        options["max_connections"] = max(100, args.concurrency)
        _check_client(options)
    except ConfigurationError as exc:
        print(f"payermax-async capture: {exc.message}", file=err)
        return EXIT_USAGE
    with contextlib.ExitStack() as stack:
        try:
            source = _open_input(args.input, stack)
            rows = read_captures(source)
            first = next(rows, None)  # reads the header now: a bad file fails before anything is sent
            if args.output == "-":
                out_stream: TextIO | None = sys.stdout
            elif args.output:
                out_stream = stack.enter_context(Path(args.output).open("w", newline="", encoding="utf-8"))
            else:
                out_stream = None
            if args.journal:
                Journal(args.journal).close()  # a journal that cannot be opened fails here, not mid-run
        except (OSError, CsvFormatError, JournalError, UnicodeDecodeError) as exc:
            print(f"payermax-async capture: {exc}", file=err)
            return EXIT_USAGE
        total = None if args.input == "-" else _count_rows(Path(args.input))
        tally = Tally(total)
        output = _Output(out_stream)
        progress = _Progress(err, tally, enabled=not args.quiet)
        items = _items_reporting_bad_rows(_chain(first, rows), tally, output, err)
        interrupted = False
        try:
            if args.processes > 1:
                _run_in_processes(args, options, items, tally, output, progress)
            else:
                asyncio.run(_run_here(args, options, items, tally, output, progress))
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
        except Exception as exc:  # the input died mid-file, the journal failed, a worker died
            progress.end()
            output.flush()
            print(f"payermax-async capture: stopped: {exc}", file=err)
            _print_summary(args, tally, interrupted=True)
            return EXIT_UNRESOLVED
        progress.tick(force=True)
        progress.end()
        output.flush()
        _print_summary(args, tally, interrupted)
        return EXIT_INTERRUPTED if interrupted else tally.exit_code()


def _check_client(options: Mapping[str, Any]) -> None:
    """Build a client once, so bad keys or a bad URL fail before the input is touched."""
    from .client import PayerMaxClient

    PayerMaxClient(**options)  # never used: nothing is sent and the session is created lazily


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


async def _run_here(
    args: argparse.Namespace,
    options: dict[str, Any],
    items: Iterator[CaptureItem],
    tally: Tally,
    output: _Output,
    progress: _Progress,
) -> None:
    from .client import ClientSpec

    client = ClientSpec(options, bulk_concurrency=None if args.sign_inline else args.concurrency).build()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    with contextlib.suppress(NotImplementedError, RuntimeError):  # SIGTERM stops like Ctrl-C
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
    ticker = asyncio.create_task(_tick(progress))
    try:
        async with client:
            outcomes = capture_many(
                client, items, concurrency=args.concurrency, rate_limit=args.rate_limit, journal=args.journal
            )
            async with contextlib.aclosing(outcomes):
                async for outcome in outcomes:
                    tally.add(outcome)
                    output.outcome(outcome)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _tick(progress: _Progress) -> None:
    while True:
        await asyncio.sleep(0.1)
        progress.tick()


def _run_in_processes(
    args: argparse.Namespace,
    options: dict[str, Any],
    items: Iterator[CaptureItem],
    tally: Tally,
    output: _Output,
    progress: _Progress,
) -> None:
    from .bulk import capture_many_processes
    from .client import ClientSpec

    outcomes = capture_many_processes(
        ClientSpec(options, bulk_concurrency=None if args.sign_inline else args.concurrency),
        items,
        processes=args.processes,
        concurrency=args.concurrency,
        rate_limit=args.rate_limit,
        journal=args.journal,
    )
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    try:
        with contextlib.closing(outcomes):
            for outcome in outcomes:
                tally.add(outcome)
                output.outcome(outcome)
                progress.tick()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_summary(args: argparse.Namespace, tally: Tally, interrupted: bool) -> None:
    counts = None
    if args.journal:
        with contextlib.suppress(JournalError), Journal(args.journal) as journal:
            counts = journal.counts()
    stream = sys.stderr if args.output == "-" else sys.stdout
    stream.write(tally.summary(counts, interrupted))
    stream.flush()
