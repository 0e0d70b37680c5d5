"""Capture throughput: the library next to the hand-written floor and a synchronous requests loop.

All figures come from one run against the lean server (benchmarks/_server.py, its own process):

- ``floor``: aiohttp + the same signer/verifier + msgspec, N worker coroutines, no library;
- ``capture_many``: ``client.capture_many(items, concurrency=N)``, as configured by default (with
  ``cryptography`` on two CPUs, signing on the client's own thread while others are in flight);
- ``gather``: ``asyncio.gather`` over ``client.capture`` with an ``asyncio.Semaphore(N)``;
- ``with bulk_signer``: capture_many with the signer :func:`payermax_async.signing_thread.bulk_signer`
  picks (a ``ThreadedSigner`` for ``cryptography`` at concurrency > 1): the explicit form of what the
  client now does by itself, with its ratio to the floor (which signs inline). Like-for-like
  inline figures are ``bench_steady.py``'s ``*_inline`` modes;
- ``requests``: a synchronous ``requests.Session`` loop (concurrency 1, what users write today),
  compared twice: against the instant server (pure CPU: signing dominates both) and against one
  that answers after ``--latency-ms`` (20 ms by default; a real gateway is further away), where
  the loop waits on every round trip and the library overlaps them.

Each cell runs ``--repeat`` rounds; a round runs every mode once, back to back, in a rotating
order. On a shared VM the speed of the CPU itself drifts (RSA signing alone varies by 30 % from
one second to the next here), so ratios are taken within a round, where the modes met the same
conditions, and the median over rounds is reported, next to the median rates. CPU is this
process's CPU time per capture; the library's overhead is its CPU per capture minus the floor's
in the same round, i.e. what it costs beyond signing, verifying, HTTP and JSON.

Run: ``python benchmarks/bench_capture.py`` (about 4 minutes on 2 cores); shrink it with
``--n 300 --n-slow 100 --repeat 2 --concurrency 1,64``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from _common import (
    Keys,
    Timing,
    floor_run,
    items,
    lean_server,
    make_client,
    make_keys,
    requests_run,
    signer_for,
    timed,
    verifier_for,
)

from payermax_async.bulk import CaptureItem
from payermax_async.signing import Backend, Signer, available_backends
from payermax_async.signing_thread import bulk_signer


async def run_capture_many(keys: Keys, url: str, backend: Backend, n: int, concurrency: int) -> None:
    async with make_client(keys, url, backend) as client:
        async for outcome in client.capture_many(items(n), concurrency=concurrency):
            if not outcome.ok:
                raise RuntimeError(f"capture failed: {outcome}")


@functools.lru_cache(maxsize=8)
def cached_bulk_signer(private_key: str, backend: Backend, threaded: bool) -> Signer:
    """Built once: parsing the key inside a timed run would cost it 60-140 ms."""
    return bulk_signer(private_key, backend=backend, concurrency=2 if threaded else 1)


async def run_capture_many_thread(keys: Keys, url: str, backend: Backend, n: int, concurrency: int) -> None:
    signer = cached_bulk_signer(keys.merchant_private, backend, concurrency > 1)
    async with make_client(keys, url, backend, signer=signer) as client:
        async for outcome in client.capture_many(items(n), concurrency=concurrency):
            if not outcome.ok:
                raise RuntimeError(f"capture failed: {outcome}")


async def run_gather(keys: Keys, url: str, backend: Backend, n: int, concurrency: int) -> None:
    async with make_client(keys, url, backend) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(item: CaptureItem) -> None:
            async with sem:
                await client.capture(item.out_trade_no, item.amount, item.currency, item.request_id)

        await asyncio.gather(*(one(item) for item in items(n)))


Runner = Callable[[Keys, str, Backend, int, int], Coroutine[Any, Any, None]]
MODES: dict[str, Runner] = {
    "floor": floor_run,
    "capture_many": run_capture_many,
    "gather": run_gather,
    "thread": run_capture_many_thread,
}


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Cell:
    """One (signer, concurrency): the rounds' timings per mode."""

    rounds: list[dict[str, Timing]] = field(default_factory=list)

    def rate(self, mode: str) -> float:
        return median([r[mode].rate for r in self.rounds])

    def cpu_us(self, mode: str) -> float:
        return median([r[mode].cpu_us for r in self.rounds])

    def ratios(self, mode: str, base: str = "floor") -> list[float]:
        return sorted(r[mode].rate / r[base].rate for r in self.rounds)

    def ratio(self, mode: str, base: str = "floor") -> float:
        return median(self.ratios(mode, base))

    def spread(self, mode: str) -> str:
        """The middle half of the per-round ratios: how much the machine moved under us."""
        values = self.ratios(mode)
        quarter = len(values) // 4
        return f"{values[quarter]:.2f}-{values[-1 - quarter]:.2f}"

    def gc_per_1000(self, mode: str) -> float:
        return median([r[mode].gc_per_1000 for r in self.rounds])

    def overhead_us(self, mode: str) -> float:
        return median([r[mode].cpu_us - r["floor"].cpu_us for r in self.rounds])


def measure(
    keys: Keys, url: str, backend: Backend, n: int, concurrency: int, repeat: int, names: list[str]
) -> Cell:
    cell = Cell()
    for round_no in range(repeat):
        timings: list[Timing] = []
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        got: dict[str, Timing] = {}
        for mode in order:
            with timed(n, timings):
                asyncio.run(MODES[mode](keys, url, backend, n, concurrency))
            got[mode] = timings[-1]
        cell.rounds.append(got)
    return cell


def versus_requests(
    keys: Keys, url: str, backend: Backend, sync_n: int, n: int, concurrency: int, repeat: int
) -> tuple[float, float]:
    """Median rates of the requests loop and of capture_many, measured in alternating rounds."""
    loop_runs: list[Timing] = []
    lib_runs: list[Timing] = []
    for _ in range(repeat):
        with timed(sync_n, loop_runs):
            requests_run(keys, url, backend, sync_n)
        with timed(n, lib_runs):
            asyncio.run(run_capture_many(keys, url, backend, n, concurrency))
    return median([t.rate for t in loop_runs]), median([t.rate for t in lib_runs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="captures per run with cryptography")
    parser.add_argument("--n-slow", type=int, default=200, help="captures per run with pycryptodome")
    parser.add_argument("--concurrency", default="1,16,64,256")
    parser.add_argument("--backends", default=",".join(available_backends()))
    parser.add_argument("--repeat", type=int, default=8, help="rounds per cell (medians are reported)")
    parser.add_argument("--no-thread", action="store_true", help="leave out the bulk_signer mode")
    parser.add_argument(
        "--sync-n", type=int, default=300, help="captures per requests-loop run (0: no requests comparison)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="server answer delay for the second requests comparison",
    )
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    names = [m for m in MODES if not (args.no_thread and m == "thread")]
    backends: list[Backend] = [b for b in available_backends() if b in args.backends.split(",")]

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}; lean server in its own process; medians of {args.repeat} rounds"
    )
    keys = make_keys()
    for backend in backends:  # parse every key now: 60-140 ms each, not inside a timed run
        signer_for(keys.merchant_private, backend)
        verifier_for(keys.payermax_public, backend)
        cached_bulk_signer(keys.merchant_private, backend, True)
        cached_bulk_signer(keys.merchant_private, backend, False)
    cells: dict[tuple[Backend, int], Cell] = {}
    versus: dict[tuple[Backend, float], tuple[float, float]] = {}
    top_c = 64 if 64 in concurrencies else max(concurrencies)
    started = time.perf_counter()
    presign = max(args.n, args.n_slow, args.sync_n)
    with lean_server(keys, presign=presign) as server:
        url = server.url
        asyncio.run(floor_run(keys, url, backends[0], 50, 4))  # warm up server and imports
        for backend in backends:
            n = args.n if backend == "cryptography" else args.n_slow
            for concurrency in concurrencies:
                cells[backend, concurrency] = measure(keys, url, backend, n, concurrency, args.repeat, names)
                print(f"  done {backend} c={concurrency}", file=sys.stderr, flush=True)
            if args.sync_n > 0:
                versus[backend, 0.0] = versus_requests(keys, url, backend, args.sync_n, n, top_c, args.repeat)
    if args.latency_ms > 0 and args.sync_n > 0:
        with lean_server(keys, latency_ms=args.latency_ms, presign=presign) as server:
            url = server.url
            asyncio.run(floor_run(keys, url, backends[0], 50, 4))
            for backend in backends:
                n = args.n if backend == "cryptography" else args.n_slow
                sync_n = max(20, int(2000 / args.latency_ms))  # about two seconds of requests loop
                versus[backend, args.latency_ms] = versus_requests(
                    keys, url, backend, sync_n, n, top_c, args.repeat
                )
                print(f"  done {backend} at {args.latency_ms:g} ms", file=sys.stderr, flush=True)

    print("\n## Throughput (captures/s) and CPU per capture\n")
    print(
        "| signer | concurrency | floor | capture_many | gather | capture_many / floor "
        "| (middle half) | gather / floor | (middle half) | CPU µs floor | CPU µs capture_many "
        "| overhead µs | GCs per 1,000 (floor / capture_many) | with bulk_signer (/ floor) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (backend, c), cell in cells.items():
        print(
            f"| {backend} | {c} | {cell.rate('floor'):,.0f} | {cell.rate('capture_many'):,.0f} "
            f"| {cell.rate('gather'):,.0f} | {cell.ratio('capture_many'):.2f} "
            f"| {cell.spread('capture_many')} | {cell.ratio('gather'):.2f} | {cell.spread('gather')} "
            f"| {cell.cpu_us('floor'):,.0f} | {cell.cpu_us('capture_many'):,.0f} "
            f"| {cell.overhead_us('capture_many'):+,.0f} "
            f"| {cell.gc_per_1000('floor'):.0f} / {cell.gc_per_1000('capture_many'):.0f} "
            + (f"| {cell.rate('thread'):,.0f} ({cell.ratio('thread'):.2f}) |" if "thread" in names else "| |")
        )
    print(f"\n## Against the synchronous requests loop (what users write today), capture_many at {top_c}\n")
    print("| signer | server latency | requests loop /s | capture_many /s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for (backend, latency), (loop_rate, lib_rate) in versus.items():
        ratio = lib_rate / loop_rate
        print(f"| {backend} | {latency:g} ms | {loop_rate:,.0f} | {lib_rate:,.0f} | {ratio:.1f}x |")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
