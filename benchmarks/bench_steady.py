"""Steady-state capture throughput against the hand-written floor, resolved to about 0.02.

``bench_capture.py`` times whole runs: each builds a client, opens its connections and (in
``capture_many``) ramps its adaptive limit, and this shared VM's speed drifts between one run and
the next by more than the gap being measured (per-round ratios spread over 0.05-0.10). Here one
process keeps warm clients and one warm aiohttp session for the floors, and alternates short
batches of the same captures between the modes many times: what a long bulk run or a service in
steady state pays per capture, with the drift falling on every mode alike.

Two floors, both hand-written with aiohttp and the same signer: ``floor`` signs on the event loop,
``floor_thread`` on one thread (``run_in_executor``). The library's modes: ``capture_many`` and
``gather`` (``client.capture`` under an ``asyncio.Semaphore``) as a user runs them, with the default
``sign_in_thread`` (on the client's thread while other calls are in flight, for a signer that
releases the GIL), and the same two with ``sign_in_thread=False`` (``*_inline``): like for like with
``floor``, the library's own cost. For each, the median of the per-pair ratios of its rate to each
floor's, the middle half of the ratios to ``floor``, and the CPU per capture beyond ``floor``'s
(every thread of the process counted).

Run: ``python benchmarks/bench_steady.py`` (about 8 minutes); ``--help`` for the parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from _common import Keys, floor_run, items, lean_server, make_client, make_keys, signer_for, verifier_for

from payermax_async import PayerMaxClient
from payermax_async.signing import Backend, available_backends

Batch = Callable[[], Coroutine[Any, Any, None]]
MODES = ("floor", "floor_thread", "capture_many", "gather", "capture_many_inline", "gather_inline")
LIBRARY = MODES[2:]


async def pairs(
    keys: Keys, url: str, backend: Backend, concurrency: int, batch: int, count: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per batch and mode, the modes in a new shuffled order each round.

    (A rotation kept each mode behind the same one every round: whatever a mode leaves behind, for
    the collector say, then fell on one other mode only. A shuffle spreads it over all of them.)"""
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        make_client(keys, url, backend) as client,
        make_client(keys, url, backend, sign_in_thread=False) as inline,
    ):

        async def floor() -> None:
            await floor_run(keys, url, backend, batch, concurrency, session=session)

        async def floor_thread() -> None:
            await floor_run(keys, url, backend, batch, concurrency, session=session, executor=pool)

        def capture_many(client: PayerMaxClient) -> Batch:
            async def run() -> None:
                async for outcome in client.capture_many(items(batch), concurrency=concurrency):
                    if not outcome.ok:
                        raise RuntimeError(f"capture failed: {outcome}")

            return run

        def gather(client: PayerMaxClient) -> Batch:
            async def run() -> None:
                sem = asyncio.Semaphore(concurrency)

                async def one(out_trade_no: str, amount: Any, currency: str, request_id: str | None) -> None:
                    async with sem:
                        await client.capture(out_trade_no, amount, currency, request_id)

                await asyncio.gather(
                    *(one(i.out_trade_no, i.amount, i.currency, i.request_id) for i in items(batch))
                )

            return run

        runs: dict[str, Batch] = {
            "floor": floor,
            "floor_thread": floor_thread,
            "capture_many": capture_many(client),
            "gather": gather(client),
            "capture_many_inline": capture_many(inline),
            "gather_inline": gather(inline),
        }
        for run in runs.values():  # warm: connections, decoders, caches, threads
            await run()
        timings: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
        order = random.Random(concurrency)  # seeded: the same orders on every run
        for _ in range(count):
            for mode in order.sample(MODES, len(MODES)):
                wall, cpu = time.perf_counter(), time.process_time()
                await runs[mode]()
                timings[mode].append((time.perf_counter() - wall, time.process_time() - cpu))
    pool.shutdown()
    return timings


def report(
    backend: Backend, concurrency: int, batch: int, timings: dict[str, list[tuple[float, float]]]
) -> list[str]:
    floor, thread = timings["floor"], timings["floor_thread"]

    def rate(mode: str) -> float:
        return batch / statistics.median(w for w, _ in timings[mode])

    rows = [f"| {backend} | {concurrency} | floor | {rate('floor'):,.0f} | 1 | | | |"]
    rows.append(
        f"| {backend} | {concurrency} | floor_thread | {rate('floor_thread'):,.0f} "
        f"| {statistics.median(f[0] / t[0] for f, t in zip(floor, thread, strict=True)):.3f} | | 1 | |"
    )
    for mode in LIBRARY:
        ratios = sorted(f[0] / m[0] for f, m in zip(floor, timings[mode], strict=True))
        to_thread = statistics.median(t[0] / m[0] for t, m in zip(thread, timings[mode], strict=True))
        quarter = len(ratios) // 4
        extra = statistics.median(
            (m[1] - f[1]) / batch * 1e6 for f, m in zip(floor, timings[mode], strict=True)
        )
        rows.append(
            f"| {backend} | {concurrency} | {mode} | {rate(mode):,.0f} | **{statistics.median(ratios):.3f}** "
            f"| {ratios[quarter]:.3f}-{ratios[-1 - quarter]:.3f} | {to_thread:.3f} | {extra:+.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=",".join(available_backends()))
    parser.add_argument("--concurrency", default="1,64")
    parser.add_argument("--batch", type=int, default=400, help="captures per batch (64 in flight and more)")
    parser.add_argument("--pairs", type=int, default=20, help="batches of each mode, alternated")
    args = parser.parse_args()
    keys = make_keys()
    backends: list[Backend] = [b for b in available_backends() if b in args.backends.split(",")]
    print(
        f"## Steady state, {args.pairs} alternating batches per mode; load average {os.getloadavg()[0]:.2f}\n"
    )
    print(
        "| signer | in flight | mode | captures/s | / floor | (middle half) | / floor_thread "
        "| CPU µs beyond floor |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for backend in backends:
        signer_for(keys.merchant_private, backend)  # keys parsed outside the timing
        verifier_for(keys.payermax_public, backend)
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            # one at a time a batch is slow: fewer captures keep each pair short against the drift
            batch = args.batch if concurrency >= 16 else max(50, args.batch * 3 // 8)
            with lean_server(keys, presign=batch) as server:
                timings = asyncio.run(pairs(keys, server.url, backend, concurrency, batch, args.pairs))
            print("\n".join(report(backend, concurrency, batch, timings)), flush=True)
    print(f"\n(load average at the end {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
