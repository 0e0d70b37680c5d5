"""``capture``: many captures from a CSV, resumable through a journal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..bulk import CaptureItem, CaptureOutcome, capture_many, capture_many_processes
from ..bulk.journal import Journal, JournalError
from ..client import ClientSpec
from ..errors import ConfigurationError
from .args import _positive_float, positive_int
from .credentials import _check_client, load_client_options
from .csv_io import (
    CsvFormatError,
    _chain,
    _count_rows,
    _items_reporting_bad_rows,
    _open_input,
    _Output,
    _read_numbered,
)
from .fleet import run_enqueue
from .progress import open_progress
from .report import (
    EXIT_INTERRUPTED,
    EXIT_UNRESOLVED,
    EXIT_USAGE,
    Progress,
    Tally,
    _print_summary,
    keep_ticking,
    quiet_logging,
)

__all__ = ["add_capture", "run_capture"]

_EXIT_HELP = """\
exit status:
  0    every order is captured (in this run, or in an earlier one recorded in the journal)
  1    some rows failed for good: refused or declined by the gateway, bad CSV rows, amounts that
       conflict with the journal, repeated orders; nothing is left unresolved
  2    usage or configuration error; nothing was sent
  3    some captures are unresolved (outcome unknown, pending, or not processed); run the same
       command again with the same --journal to settle them (never captures twice)
  130  interrupted; run it again with the same --journal to resume

credentials come from the environment, or from --config (TOML or JSON): PAYERMAX_APP_ID,
PAYERMAX_MERCHANT_NO, PAYERMAX_PRIVATE_KEY or PAYERMAX_PRIVATE_KEY_FILE, PAYERMAX_PUBLIC_KEY or
PAYERMAX_PUBLIC_KEY_FILE (PayerMax's public key), PAYERMAX_BASE_URL (default: the sandbox). In a
config file the keys are app_id, merchant_no, private_key, private_key_file, payermax_public_key,
payermax_public_key_file, base_url, at the top level or under [payermax]. The environment wins over
the file.

input: a CSV with a header row and the columns out_trade_no, amount, currency, and optionally
request_id (other columns are ignored). Amounts are decimal text ("10.00", "10.5"). Bad rows are
reported with their line numbers and skipped, never sent.
"""


def add_capture(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "capture",
        help="capture every authorization listed in a CSV (resumable with --journal)",
        description=(
            "Capture every authorization listed in a CSV, many at a time, with a progress bar (the "
            "cli extra; plain lines without it or off a terminal) and a summary. With --journal the "
            "run is safe to repeat: after a crash or Ctrl-C, run "
            "the same command again and it finishes the job without capturing anything twice."
        ),
        epilog=_EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--input", "-i", required=True, help="CSV of captures ('-' for stdin)")
    p.add_argument("--journal", "-j", help="SQLite file recording each capture (makes re-runs safe)")
    p.add_argument("--queue", help="postgresql://...: only enqueue, for `worker` processes (see `status`)")
    p.add_argument("--batch", default="default", help="with --queue: a name for this set of orders")
    p.add_argument("--output", "-o", help="write one CSV row per input row with its outcome ('-': stdout)")
    p.add_argument(
        "--concurrency",
        "-c",
        type=positive_int,
        default=32,
        help="the most captures in flight (32); the run finds the gateway's limit below it",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--adaptive", action="store_true", help="find the gateway's limit (the default)")
    mode.add_argument(
        "--fixed",
        action="store_true",
        help="exactly --concurrency in flight, no probing (the default with --processes > 1)",
    )
    p.add_argument("--rate-limit", type=_positive_float, help="at most this many captures started per second")
    p.add_argument("--processes", "-p", type=positive_int, default=1, help="worker processes (1)")
    p.add_argument("--config", type=Path, help="TOML (or .json) file with the credentials")
    p.add_argument("--timeout", type=_positive_float, default=15.0, help="seconds per attempt (15)")
    p.add_argument("--max-retries", type=int, default=2, help="extra attempts per capture (2)")
    p.add_argument(
        "--sign-inline",
        action="store_true",
        help="sign on the event loop only (by default, with the cryptography backend, requests are "
        "signed on a thread while others are in flight, where it measured 1.2-1.5x faster)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    p.add_argument("--verbose", "-v", action="store_true", help="log retries and warnings")
    p.set_defaults(run=run_capture)


def run_capture(args: argparse.Namespace) -> int:
    if args.queue:
        return run_enqueue(args)
    err = sys.stderr
    quiet_logging(args.verbose, err, detach=True)
    if args.max_retries < 0:
        print("payermax-async capture: --max-retries must be >= 0", file=err)
        return EXIT_USAGE
    if args.adaptive and args.processes > 1:
        print("payermax-async capture: --adaptive runs on one process (or use --queue and workers)", file=err)
        return EXIT_USAGE
    args.adaptive = not args.fixed and args.processes == 1
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
            rows = _read_numbered(source)
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
        progress = open_progress(
            err,
            label="capture",
            line=tally.progress_line,
            counts=tally.counts_now,
            enabled=not args.quiet,
            bar=not args.verbose,  # --verbose logs retries to the same terminal
        )
        items = _items_reporting_bad_rows(_chain(first, rows), tally, output, progress.note)
        spec = ClientSpec({**options, "sign_in_thread": False} if args.sign_inline else options)

        def record(outcome: CaptureOutcome) -> None:
            tally.add(outcome)
            output.outcome(outcome)

        interrupted = False
        try:
            if args.processes > 1:
                _run_in_processes(args, spec, items, record, progress)
            else:
                asyncio.run(_run_here(args, spec, items, record, progress))
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


async def _run_here(
    args: argparse.Namespace,
    spec: ClientSpec,
    items: Iterator[CaptureItem],
    record: Callable[[CaptureOutcome], None],
    progress: Progress,
) -> None:
    client = spec.build()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    with contextlib.suppress(NotImplementedError, RuntimeError):  # SIGTERM stops like Ctrl-C
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
    ticker = asyncio.create_task(keep_ticking(progress))
    try:
        async with client:
            outcomes = capture_many(
                client,
                items,
                concurrency=args.concurrency,
                rate_limit=args.rate_limit,
                journal=args.journal,
                adaptive=args.adaptive,
            )
            async with contextlib.aclosing(outcomes):
                async for outcome in outcomes:
                    record(outcome)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


def _run_in_processes(
    args: argparse.Namespace,
    spec: ClientSpec,
    items: Iterator[CaptureItem],
    record: Callable[[CaptureOutcome], None],
    progress: Progress,
) -> None:
    outcomes = capture_many_processes(
        spec,
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
                record(outcome)
                progress.tick()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
