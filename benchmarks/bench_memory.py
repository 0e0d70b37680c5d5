"""Peak memory of a bulk run against the number of items: capture_many streams, gather does not.

Each (mode, item count) runs in a fresh process, so its peak RSS (``ru_maxrss``) is its own. The
items come from a generator, as from a file. RSA is replaced by a constant stub signer and an
always-true verifier (memory does not depend on it, and 100,000 real signatures would take minutes
on 2 cores); everything else is real: the client, aiohttp, the lean server over 127.0.0.1.

Modes: ``capture_many`` (concurrency 64), ``capture_many+journal`` (the same with a SQLite journal),
``gather`` (``asyncio.gather`` + ``Semaphore(64)`` over the same generator, the usual hand-rolled way).

Run: ``python benchmarks/bench_memory.py`` (about 3 minutes); ``--sizes 2000,20000`` to shrink it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import lean_server, make_keys, peak_rss_mib
from _server import order_no, request_id_for

from payermax_async import PayerMaxClient
from payermax_async.bulk import CaptureItem

MODES = ("capture_many", "capture_many+journal", "gather")


class StubSigner:
    def sign(self, message: bytes) -> bytes:
        return b"\x00" * 256


class StubVerifier:
    def verify(self, message: bytes, signature: bytes) -> bool:
        return True


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize() / 2**20


def source(n: int) -> Iterator[CaptureItem]:
    for i in range(n):
        yield CaptureItem(order_no(i), "10.00", "USD", request_id_for(i))


async def child(mode: str, n: int, url: str) -> dict[str, float]:
    client = PayerMaxClient(
        app_id="bench-app", merchant_no="M-BENCH", signer=StubSigner(), verifier=StubVerifier(), base_url=url
    )
    async with client:
        await client.capture("WARM_UP", "1.00", "USD")  # session, pool and imports are baseline
        baseline = current_rss_mib()
        started = time.perf_counter()
        ok = 0
        if mode == "gather":
            sem = asyncio.Semaphore(64)

            async def one(item: CaptureItem) -> None:
                nonlocal ok
                async with sem:
                    await client.capture(item.out_trade_no, item.amount, item.currency, item.request_id)
                    ok += 1

            await asyncio.gather(*(one(item) for item in source(n)))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                journal = Path(tmp) / "run.db" if mode.endswith("journal") else None
                async for outcome in client.capture_many(source(n), concurrency=64, journal=journal):
                    ok += outcome.ok
        wall = time.perf_counter() - started
    if ok != n:
        raise RuntimeError(f"{n - ok} captures failed")
    return {"baseline": baseline, "peak": peak_rss_mib(), "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--child", nargs=3, metavar=("MODE", "N", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, n, url = args.child
        print(json.dumps(asyncio.run(child(mode, int(n), url))))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m for m in MODES if m in args.modes.split(",")]
    results: dict[tuple[str, int], dict[str, float]] = {}
    with lean_server(make_keys(), signed=False) as server:  # the verifier is a stub
        url = server.url
        for mode in modes:
            for n in sizes:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(n), url],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                results[mode, n] = json.loads(out.strip().splitlines()[-1])
                print(f"  done {mode} n={n}", file=sys.stderr, flush=True)

    small, large = sizes[0], sizes[-1]
    print("\n## Peak RSS (MiB) by item count, each run in a fresh process\n")
    header = " | ".join(f"{n:,} items" for n in sizes)
    print(f"| mode | {header} | growth {small:,} → {large:,} | per extra item |")
    print("|---|" + "---:|" * (len(sizes) + 2))
    for mode in modes:
        peaks = [results[mode, n]["peak"] for n in sizes]
        growth = peaks[-1] - peaks[0]
        per_item = growth * 2**20 / (large - small) if large > small else 0.0
        cells = " | ".join(f"{p:,.1f}" for p in peaks)
        print(f"| {mode} | {cells} | {growth:+,.1f} MiB | {per_item:,.0f} B |")
    print("\nbaseline (client and session up, before the run):", end=" ")
    print(", ".join(f"{m} {results[m, small]['baseline']:.1f} MiB" for m in modes))
    print("captures/s at the largest size (stub RSA):", end=" ")
    print(", ".join(f"{m} {large / results[m, large]['wall']:,.0f}" for m in modes))


if __name__ == "__main__":
    main()
