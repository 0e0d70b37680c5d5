"""``demo``: authorize and capture a batch of orders against the embedded gateway, with faults,
and print what happened. The test kit is imported only when it runs, so the production CLI never
loads it. (``simulate``, the gateway alone, is :mod:`.simulate`.)"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from ..bulk import CaptureItem, CaptureOutcome, capture_many
from ..client import PayerMaxClient
from ..errors import ApiError, OutcomeUnknownError
from ..retry import RetryEvent
from ..types import CaptureResult, CaptureStatus
from .args import positive_int
from .progress import Counts, Progress, keep_ticking, open_progress
from .report import quiet_logging
from .simulate import add_simulate, run_simulate
from .wire_sample import wire_sample

if TYPE_CHECKING:
    from ..testing import Fault, GatewaySimulator

# add_simulate and run_simulate lived here first: still importable from this module
__all__ = ["DemoReport", "add_demo", "add_simulate", "run_demo", "run_simulate"]


def add_demo(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="authorize and capture a batch of orders against the embedded simulator",
        description=(
            "Start the simulator, authorize a batch of orders through the client, capture them "
            "concurrently with a few injected faults, and print a summary. No network, no account."
        ),
    )
    p.add_argument("--orders", type=positive_int, default=200, help="orders to capture (default 200)")
    p.add_argument("--concurrency", type=positive_int, default=32, help="captures in flight (default 32)")
    p.add_argument("--no-faults", action="store_true", help="do not inject faults")
    p.add_argument("--seed", type=int, default=7, help="seed of the injected faults (default 7)")
    p.add_argument("--verbose", action="store_true", help="log retries as they happen")
    p.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    # Retries are the point of the demo; the summary counts them instead of a warning each.
    quiet_logging(args.verbose, sys.stderr)
    report = asyncio.run(
        _demo(args.orders, args.concurrency, faults=not args.no_faults, seed=args.seed, progress=sys.stderr)
    )
    print(report.render())
    return 0 if report.ok else 1


# How the demo hurts the gateway. One order answers late: it alone gets a short timeout, so
# the timeout shows without holding up the whole run.
_DEMO_TIMEOUT = 10.0

_SLOW_ORDER_TIMEOUT = 0.25


def _demo_faults(seed: int, slow_order: str) -> list[Fault]:
    from ..testing import Fault, FaultKind

    return [
        Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", skip=3, times=2),
        Fault(FaultKind.DELAY, api_name="capture", out_trade_no=slow_order, delay=_SLOW_ORDER_TIMEOUT * 2),
        Fault(FaultKind.HTTP_5XX, api_name="capture", probability=0.02, seed=seed),
        Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=0.02, seed=seed + 1),
        Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.02, seed=seed + 2),
    ]


@dataclass
class DemoReport:
    orders: int
    authorized: int = 0
    captured: int = 0
    failed: int = 0
    unknown: int = 0
    double_captures: int = 0
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    backend: str = ""
    #: one order as it crossed the wire (PayerMax's field names)
    wire: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.captured == self.orders and self.double_captures == 0

    def count(self, outcome: CaptureOutcome) -> None:
        error, result = outcome.error, outcome.result
        if isinstance(error, OutcomeUnknownError):
            self.unknown += 1
            self.errors[f"outcome unknown ({error.__cause__ or error})"] += 1
        elif isinstance(error, ApiError):
            self.failed += 1
            self.errors[error.code] += 1
        elif error is not None:
            self.failed += 1
            self.errors[type(error).__name__] += 1
        elif result is not None and result.status is CaptureStatus.SUCCESS:
            self.captured += 1
        else:
            self.failed += 1
            self.errors[f"capture {outcome.status.value if result is None else result.status}"] += 1

    def progress_line(self) -> str:
        counts = self.progress_counts()
        return f"capturing {counts.done}/{self.orders}  {counts.detail}"

    def progress_counts(self) -> Counts:
        detail = (
            f"ok {self.captured}  failed {self.failed}  unknown {self.unknown}  "
            f"retries {sum(self.retries.values())}"
        )
        return Counts(self.captured + self.failed + self.unknown, self.orders, detail)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def render(self) -> str:
        rate = self.captured / self.wall if self.wall > 0 else 0.0
        rows = [
            ("orders authorized", f"{self.authorized}"),
            ("captured", f"{self.captured}"),
            ("failed", f"{self.failed}"),
            ("outcome unknown", f"{self.unknown}"),
            ("captured twice", f"{self.double_captures}"),
            ("latency p50", f"{self.percentile(0.50) * 1000:.1f} ms"),
            ("latency p95", f"{self.percentile(0.95) * 1000:.1f} ms"),
            ("captures per second", f"{rate:.0f}"),
            ("wall time", f"{self.wall:.2f} s"),
            ("signer backend", self.backend),
        ]
        width = max(len(name) for name, _ in rows)
        lines = ["", "PayerMax capture demo (embedded simulator on 127.0.0.1, throwaway keys)", ""]
        lines += [f"  {name:<{width}}  {value:>10}" for name, value in rows]
        lines += self.wire
        if self.faults:
            injected = ", ".join(f"{n} x {kind}" for kind, n in sorted(self.faults.items()))
            retried = ", ".join(f"{n} x {kind}" for kind, n in sorted(self.retries.items()))
            lines += [
                "",
                f"  injected faults: {injected}",
                f"  retried by the client: {retried or 'none'}",
                "  every retry reused its capture's requestId, so the gateway never captured twice.",
            ]
        for error, n in sorted(self.errors.items()):
            lines.append(f"  error: {n} x {error}")
        return "\n".join(lines) + "\n"


async def _demo(
    orders: int, concurrency: int, *, faults: bool = True, seed: int = 7, progress: TextIO | None = None
) -> DemoReport:
    report = DemoReport(orders=orders)

    def on_retry(event: RetryEvent) -> None:
        report.retries[event.kind.value] += 1

    run_id = uuid.uuid4().hex[:8]
    trade_nos = [f"DEMO_{run_id}_{i:06d}" for i in range(orders)]  # outTradeNo: letters, digits, _
    amount = Decimal("25.00")
    # The gateway gets its own thread and loop: its RSA work then overlaps the client's.
    from ..testing import SimulatorThread  # the test kit loads only when the demo runs

    server = SimulatorThread()
    sim = await asyncio.to_thread(server.start)
    try:
        client = PayerMaxClient(
            **sim.client_options(
                timeout=_DEMO_TIMEOUT, max_retries=4, max_connections=concurrency, on_retry=on_retry
            )
        )
        report.backend = str(getattr(client.config.signer, "backend", type(client.config.signer).__name__))
        async with client:
            await _demo_run(sim, client, trade_nos, amount, concurrency, report, faults, seed, progress)
    finally:
        await asyncio.to_thread(server.stop)
    return report


class _TimedCaptures:
    """The demo's :class:`~payermax_async.bulk.CaptureClient`: times every capture, and gives the
    one slow order a short timeout so that a timeout shows without holding up the whole run."""

    def __init__(self, client: PayerMaxClient, slow_order: str, latencies: list[float]) -> None:
        self.client = client
        self.slow_order = slow_order
        self.latencies = latencies

    async def capture(
        self, out_trade_no: str, amount: Decimal | int | str, currency: str, request_id: str | None = None
    ) -> CaptureResult:
        timeout = _SLOW_ORDER_TIMEOUT if out_trade_no == self.slow_order else None
        started = time.perf_counter()
        try:
            return await self.client.capture(out_trade_no, amount, currency, request_id, timeout=timeout)
        finally:
            self.latencies.append(time.perf_counter() - started)


async def _demo_run(
    sim: GatewaySimulator,
    client: PayerMaxClient,
    trade_nos: list[str],
    amount: Decimal,
    concurrency: int,
    report: DemoReport,
    faults: bool,
    seed: int,
    progress: TextIO | None,
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def authorize(trade_no: str) -> None:
        async with gate:
            await client.call(
                "orderAndPay",
                {
                    "outTradeNo": trade_no,
                    "subject": "demo order",
                    "totalAmount": amount,
                    "currency": "USD",
                    "country": "US",
                    "userId": "demo-user",
                    "integrate": "Direct_Payment",
                    "terminalType": "WEB",
                    "captureMode": "MANUAL",
                    "authorizationType": "FINAL_AUTH",
                    "paymentDetail": {
                        "paymentMethodType": "CARD",
                        "cardInfo": {
                            "cardIdentifierNo": "4111111111111111",
                            "cardHolderFullName": "Demo Payer",
                            "cardExpirationMonth": "12",
                            "cardExpirationYear": "30",
                            "cvv": "123",
                        },
                        "buyerInfo": {"clientIp": "127.0.0.1", "userAgent": "payermax-async demo"},
                    },
                },
                idempotency_key=trade_no,
                max_retries=0,
            )
            report.authorized += 1

    await asyncio.gather(*(authorize(t) for t in trade_nos))
    slow_order = trade_nos[len(trade_nos) // 2]
    if faults:
        for fault in _demo_faults(seed, slow_order):
            sim.inject(fault)

    printer: Progress | None = None
    ticker = None
    if progress is not None:
        # Off a terminal only the final line: the demo is short.
        printer = open_progress(
            progress,
            label="capturing",
            line=report.progress_line,
            counts=report.progress_counts,
            enabled=True,
            interval=math.inf,
        )
        ticker = asyncio.create_task(keep_ticking(printer))
    captures = _TimedCaptures(client, slow_order, report.latencies)
    items = (CaptureItem(t, amount, "USD") for t in trade_nos)
    started = time.perf_counter()
    try:
        async with contextlib.aclosing(capture_many(captures, items, concurrency=concurrency)) as outcomes:
            async for outcome in outcomes:
                report.count(outcome)
    finally:
        report.wall = time.perf_counter() - started
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
    if printer is not None:
        printer.tick(force=True)
        printer.end()
    report.double_captures = sum(
        1 for t in trade_nos if sum(c.status != "FAILED" for c in sim.captures_of(t)) > 1
    )
    report.wire = wire_sample(sim.requests)
    for record in sim.requests:
        if record.fault is not None:
            report.faults[record.fault.kind.value] += 1
