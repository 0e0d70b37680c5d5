"""``simulate``: the embedded gateway in the foreground, for a shell, the examples or another
service under development. The test kit is imported only when it runs, so the production CLI
never loads it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .args import _loopback_host, _port
from .report import EXIT_USAGE

if TYPE_CHECKING:
    from ..testing import GatewaySimulator, RequestRecord

__all__ = ["add_simulate", "run_simulate"]


def add_simulate(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="run the PayerMax gateway simulator in the foreground",
        description=(
            "Run the PayerMax gateway simulator until Ctrl-C. It prints its settings as NAME=value "
            "lines on stdout, under the names the capture command and the examples read "
            "(PAYERMAX_BASE_URL, PAYERMAX_APP_ID, PAYERMAX_MERCHANT_NO, PAYERMAX_PRIVATE_KEY, "
            "PAYERMAX_PUBLIC_KEY; throwaway test keys: printing them is the point), then one line per "
            "request on stderr."
        ),
    )
    p.add_argument("--host", type=_loopback_host, default="127.0.0.1", help="loopback address (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8080, help="port to bind, 0 for any (default 8080)")
    p.add_argument("--notify-url", help="loopback URL to POST signed notifications to")
    p.add_argument("--quiet", action="store_true", help="do not log each request")
    p.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    return asyncio.run(_simulate(args.host, args.port, args.notify_url, quiet=args.quiet))


async def _simulate(
    host: str, port: int, notify_url: str | None, *, quiet: bool, stop: asyncio.Event | None = None
) -> int:
    """Serve until SIGINT/SIGTERM, or until ``stop`` is set (for callers that embed it)."""

    def log_request(record: RequestRecord) -> None:
        fault = f" [fault: {record.fault.kind.value}]" if record.fault else ""
        status = "dropped" if record.http_status is None else f"HTTP {record.http_status}"
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} {record.api_name} -> {record.code or '-'} ({status}){fault}", file=sys.stderr)

    from ..testing import GatewaySimulator  # the test kit loads only when this command runs

    try:
        sim = GatewaySimulator(
            host=host,
            port=port,
            notify_url=notify_url,
            max_records=10_000,
            on_request=None if quiet else log_request,
        )
    except ValueError as exc:  # a notify URL off this machine
        print(f"payermax-async simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        await sim.start()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"payermax-async simulate: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    try:
        out = sys.stdout
        for name, value in _settings(sim).items():
            print(f"{name}={value}", file=out)
        out.flush()
        print(
            "PayerMax gateway simulator running (test keys, in-memory state). Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        if stop is None:
            await _until_signalled()
        else:
            await stop.wait()
    finally:
        await sim.close()
    print("simulator stopped", file=sys.stderr)
    return 0


def _settings(sim: GatewaySimulator) -> dict[str, str]:
    """The simulator's settings under the names ``capture`` and the examples read."""
    return {
        "PAYERMAX_BASE_URL": sim.base_url,
        "PAYERMAX_APP_ID": sim.app_id,
        "PAYERMAX_MERCHANT_NO": sim.merchant_no,
        "PAYERMAX_PRIVATE_KEY": sim.merchant_private_key,
        "PAYERMAX_PUBLIC_KEY": sim.payermax_public_key,
    }


async def _until_signalled(signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, or not the main thread
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
