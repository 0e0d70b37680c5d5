"""Time in garbage collection per capture, by generation: the hand-written floor against the library.

At 64 in flight a capture's objects live while 63 others allocate, so they outlive the young
generation and are promoted; each object promoted brings the next full collection nearer, and a full
collection walks every object the process holds (imports included). At 4 in flight nearly
everything dies young. This counts, with ``gc.callbacks``, what each generation's collections cost
per capture in steady state (warm client and session, batches alternated), real RSA, signing on the
loop in both (``sign_in_thread=False``), so that only the objects differ.

Run: ``python benchmarks/bench_gc.py`` (about 2 minutes); ``--concurrency 4,64``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from _common import floor_run, items, lean_server, make_client, make_keys, signer_for, verifier_for

Batch = Callable[[], Coroutine[Any, Any, None]]


class GcClock:
    """Seconds and collections per generation, from the collector's own start/stop callbacks."""

    def __init__(self) -> None:
        self.seconds: defaultdict[int, float] = defaultdict(float)
        self.count: Counter[int] = Counter()
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.count[info["generation"]] += 1


async def measure(url: str, concurrency: int, batch: int, rounds: int) -> dict[str, GcClock]:
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        make_client(KEYS, url, "cryptography", sign_in_thread=False) as client,
    ):

        async def floor() -> None:
            await floor_run(KEYS, url, "cryptography", batch, concurrency, session=session)

        async def capture_many() -> None:
            async for outcome in client.capture_many(items(batch), concurrency=concurrency):
                if not outcome.ok:
                    raise RuntimeError(f"capture failed: {outcome}")

        runs: dict[str, Batch] = {"floor": floor, "capture_many": capture_many}
        clocks = {mode: GcClock() for mode in runs}
        for run in runs.values():  # warm
            await run()
        for _ in range(rounds):
            for mode, run in runs.items():
                gc.callbacks.append(clocks[mode])
                try:
                    await run()
                finally:
                    gc.callbacks.remove(clocks[mode])
        return clocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", default="4,64")
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    signer_for(KEYS.merchant_private, "cryptography")  # keys parsed outside the timing
    verifier_for(KEYS.payermax_public, "cryptography")
    print("| in flight | mode | gen 0: µs (per 1,000) | gen 1 | gen 2 | total µs |")
    print("|---:|---|---:|---:|---:|---:|")
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        with lean_server(KEYS, presign=args.batch) as server:
            clocks = asyncio.run(measure(server.url, concurrency, args.batch, args.rounds))
        n = args.batch * args.rounds
        for mode, clock in clocks.items():
            cells = [f"{clock.seconds[g] / n * 1e6:.1f} ({clock.count[g] / n * 1000:.1f})" for g in (0, 1, 2)]
            total = sum(clock.seconds.values()) / n * 1e6
            print(f"| {concurrency} | {mode} | {' | '.join(cells)} | {total:.1f} |", flush=True)


KEYS = make_keys()

if __name__ == "__main__":
    main()
