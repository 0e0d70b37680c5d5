"""``capture --queue``, ``worker`` and ``status``: bulk capture on PostgreSQL across machines.

``capture --queue postgresql://... --input CSV`` enqueues (idempotent per out_trade_no: enqueue
the same file twice and nothing is queued twice); ``worker --queue ...`` runs on any number of
machines until the queue is empty; ``status --queue ...`` counts orders per state and writes the
same output CSV as a one-machine run, from the database. Needs the ``postgres`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..client import ClientSpec
from ..errors import ConfigurationError, InvalidRequestError
from .args import _positive_float, positive_int
from .credentials import _check_client, load_client_options
from .csv_io import CsvFormatError, _chain, _items_reporting_bad_rows, _open_input, _Output, _read_numbered
from .report import EXIT_FAILED, EXIT_OK, EXIT_UNRESOLVED, EXIT_USAGE, Tally, quiet_logging

__all__ = ["add_status", "add_worker", "run_enqueue", "run_status", "run_worker_command"]

_NEEDS_EXTRA = "the PostgreSQL backend needs: pip install 'payermax-async[postgres]'"


def _queue_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue", required=True, help="postgresql://... (the fleet's database)")
    p.add_argument("--batch", default="default", help="a name for this set of orders (default)")


def _imports_ok(command: str, err: TextIO) -> bool:
    try:
        import pgqueuer  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        print(f"payermax-async {command}: {_NEEDS_EXTRA}", file=err)
        return False
    return True


def _printer(stream: TextIO) -> Callable[[str], None]:
    return lambda text: print(text, file=stream)


def run_enqueue(args: argparse.Namespace) -> int:
    """``capture --queue``: record and queue every good row; workers do the capturing."""
    err = sys.stderr
    if not _imports_ok("capture", err):
        return EXIT_USAGE
    with contextlib.ExitStack() as stack:
        try:
            rows = _read_numbered(_open_input(args.input, stack))
            first = next(rows, None)
        except (OSError, CsvFormatError, UnicodeDecodeError) as exc:
            print(f"payermax-async capture: {exc}", file=err)
            return EXIT_USAGE
        tally = Tally(None)
        items = _items_reporting_bad_rows(_chain(first, rows), tally, _Output(None), _printer(err))
        try:
            report = asyncio.run(_enqueue(args.queue, items, args.batch))
        except InvalidRequestError as exc:
            print(f"payermax-async capture: {exc.message}", file=err)
            return EXIT_USAGE
    print(
        f"queued {report.queued}, already queued {report.already}, conflicting {len(report.conflicts)}, "
        f"bad rows {tally.bad_rows}",
        file=err,
    )
    for otn in report.conflicts[:20]:
        print(f"  conflict: {otn} is queued with another amount, currency or request_id", file=err)
    return EXIT_FAILED if report.conflicts or tally.bad_rows else EXIT_OK


async def _enqueue(dsn: str, items: Any, batch: str) -> Any:
    from ..bulk.postgres import CaptureQueue

    queue = await CaptureQueue.connect(dsn)
    try:
        await queue.install()
        return await queue.enqueue(items, batch=batch)
    finally:
        await queue.close()


def add_worker(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "worker",
        help="capture queued orders from PostgreSQL (run on as many machines as you like)",
        description=(
            "Claim queued orders and capture each under the request_id fixed when it was queued. A "
            "worker that dies leaves its claims to the others, which replay them under the same id."
        ),
    )
    _queue_arg(p)
    p.add_argument("--concurrency", "-c", type=positive_int, default=32, help="in flight on this worker (32)")
    p.add_argument(
        "--fleet-limit",
        type=positive_int,
        help="the most captures in flight across every worker (100); the fleet finds the gateway's "
        "limit below it",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--adaptive",
        action="store_true",
        help="find the gateway's concurrency limit, fleet-wide (the default)",
    )
    mode.add_argument(
        "--fixed",
        action="store_true",
        help="exactly --fleet-limit in flight across the fleet (none without it), no probing",
    )
    p.add_argument(
        "--heartbeat", type=_positive_float, default=30.0, help="seconds before a dead worker's claims return"
    )
    p.add_argument(
        "--forever", action="store_true", help="keep waiting for new orders when the queue is empty"
    )
    p.add_argument("--config", type=Path, help="TOML (or .json) file with the credentials")
    p.add_argument("--timeout", type=_positive_float, default=15.0, help="seconds per attempt (15)")
    p.add_argument("--verbose", "-v", action="store_true", help="log retries and warnings")
    p.set_defaults(run=run_worker_command)


def run_worker_command(args: argparse.Namespace) -> int:
    err = sys.stderr
    quiet_logging(args.verbose, err)
    if not _imports_ok("worker", err):
        return EXIT_USAGE
    try:
        options = load_client_options(args.config, os.environ)
        options.update(timeout=args.timeout, max_connections=max(100, args.concurrency))
        _check_client(options)
    except ConfigurationError as exc:
        print(f"payermax-async worker: {exc.message}", file=err)
        return EXIT_USAGE
    try:
        stats = asyncio.run(_work(args, ClientSpec(options, bulk_concurrency=args.concurrency)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130
    states = ", ".join(f"{k} {v}" for k, v in sorted(stats.states.items()))
    print(f"sent {stats.sent} ({stats.rate_limited} refused for rate), {states or 'nothing to do'}", file=err)
    return EXIT_OK


async def _work(args: argparse.Namespace, spec: ClientSpec) -> Any:
    import psycopg

    from ..bulk.adaptive import AimdSettings
    from ..bulk.fleet import FleetLimit
    from ..bulk.postgres import CaptureQueue
    from ..bulk.postgres_worker import run_worker

    queue = await CaptureQueue.connect(args.queue)
    try:
        await queue.install()
    finally:
        await queue.close()
    async with contextlib.AsyncExitStack() as stack:
        limit: int | FleetLimit = args.fleet_limit or 0
        if not args.fixed:
            conn = await stack.enter_async_context(
                await psycopg.AsyncConnection.connect(args.queue, autocommit=True)
            )
            limit = FleetLimit(conn, f"capture:{args.batch}", AimdSettings(ceiling=args.fleet_limit or 100))
            await limit.setup()
        client = await stack.enter_async_context(spec.build())
        return await run_worker(
            args.queue,
            client,
            concurrency=args.concurrency,
            limit=limit,
            heartbeat_timeout=args.heartbeat,
            until_empty=not args.forever,
        )


def add_status(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "status",
        help="progress of a PostgreSQL capture queue, and its output CSV",
        description="Orders per state; --output writes one CSV row per order, as a one-machine run does.",
    )
    _queue_arg(p)
    p.add_argument("--output", "-o", help="write one CSV row per order with its outcome ('-': stdout)")
    p.set_defaults(run=run_status)


def run_status(args: argparse.Namespace) -> int:
    """Exit 0 when every order is captured, 1 when the rest failed for good, 3 while any is open."""
    err = sys.stderr
    if not _imports_ok("status", err):
        return EXIT_USAGE
    with contextlib.ExitStack() as stack:
        try:
            if args.output == "-":
                stream: TextIO | None = sys.stdout
            elif args.output:
                stream = stack.enter_context(Path(args.output).open("w", newline="", encoding="utf-8"))
            else:
                stream = None
        except OSError as exc:
            print(f"payermax-async status: {exc}", file=err)
            return EXIT_USAGE
        counts = asyncio.run(_status(args.queue, args.batch, _Output(stream)))
    total = sum(counts.values())
    parts = ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))
    print(f"{total} orders: {parts or 'none'}", file=err)
    if counts.keys() - {"captured", "failed"}:
        return EXIT_UNRESOLVED
    return EXIT_FAILED if counts.get("failed") else EXIT_OK


async def _status(dsn: str, batch: str, output: _Output) -> dict[str, int]:
    from ..bulk.postgres import CaptureQueue

    queue = await CaptureQueue.connect(dsn)
    try:
        await queue.install()
        counts = await queue.status(batch)
        if output.writer is not None:
            async for outcome in queue.capture_outcomes(batch):
                output.outcome(outcome)
            output.flush()
        return counts
    finally:
        await queue.close()
