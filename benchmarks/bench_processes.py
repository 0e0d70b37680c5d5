"""Scaling over cores: capture_many on one loop next to capture_many_processes with 1..N workers.

Every mode runs the same captures (real RSA, real HTTP) against the lean server with a shared
SQLite journal in the multi-process modes, as the CLI's ``--processes`` does. The lean server is
a process too: its CPU use is measured and reported, since on a small machine it competes with
the workers for the same cores (on 2 cores, the 2-worker runs share them with it).

Run: ``python benchmarks/bench_processes.py`` (about 2 minutes on 2 cores); shrink it with
``--n 600 --n-slow 200 --repeat 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Keys, Server, items, lean_server, make_client, make_keys, signer_for, verifier_for

from payermax_async.bulk import capture_many_processes
from payermax_async.client import ClientSpec
from payermax_async.signing import Backend, available_backends


class Stamps:
    """When the first and the last outcome arrived: the steady rate leaves out start-up."""

    def __init__(self) -> None:
        self.first = 0.0
        self.last = 0.0

    def seen(self, ok: bool) -> None:
        if not ok:
            raise RuntimeError("a capture failed")
        self.last = time.perf_counter()
        if not self.first:
            self.first = self.last


async def one_loop(
    keys: Keys, url: str, backend: Backend, n: int, concurrency: int, stamps: Stamps, sign: bool | None
) -> None:
    async with make_client(keys, url, backend, sign_in_thread=sign) as client:
        async for outcome in client.capture_many(items(n), concurrency=concurrency):
            stamps.seen(outcome.ok)


def processes(
    keys: Keys,
    url: str,
    backend: Backend,
    n: int,
    concurrency: int,
    workers: int,
    stamps: Stamps,
    sign: bool | None,
) -> None:
    spec = ClientSpec(
        {
            "app_id": "bench-app",
            "merchant_no": "M-BENCH",
            "private_key": keys.merchant_private,
            "payermax_public_key": keys.payermax_public,
            "backend": backend,
            "base_url": url,
            "sign_in_thread": sign,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = capture_many_processes(
            spec, items(n), processes=workers, concurrency=concurrency, journal=Path(tmp) / "run.db"
        )
        for outcome in outcomes:
            stamps.seen(outcome.ok)


Run = tuple[float, float, float]  # wall seconds, steady captures/s, server CPU seconds
# (label, worker processes or 0 for this process's loop, sign_in_thread)
MODES: list[tuple[str, int, bool | None]] = [
    ("one loop, signing inline", 0, False),
    ("one loop, default (signing thread)", 0, None),
    ("1 process, default (signing thread)", 1, None),
    ("2 processes, default (inline: a CPU each)", 2, None),
    ("2 processes, signing threads forced", 2, True),
]


def timed_run(
    server: Server, n: int, mode: tuple[str, int, bool | None], keys: Keys, backend: Backend, concurrency: int
) -> Run:
    _, workers, sign = mode
    stamps = Stamps()
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    if workers == 0:
        asyncio.run(one_loop(keys, server.url, backend, n, concurrency, stamps, sign))
    else:
        processes(keys, server.url, backend, n, concurrency, workers, stamps, sign)
    wall = time.perf_counter() - t0
    return wall, (n - 1) / (stamps.last - stamps.first), server.cpu_seconds() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="captures per run with cryptography")
    parser.add_argument("--n-slow", type=int, default=1000, help="captures per run with pycryptodome")
    parser.add_argument("--concurrency", type=int, default=64, help="per process")
    parser.add_argument("--backends", default=",".join(available_backends()))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    backends: list[Backend] = [b for b in available_backends() if b in args.backends.split(",")]
    keys = make_keys()
    for backend in backends:
        signer_for(keys.merchant_private, backend)
        verifier_for(keys.payermax_public, backend)
    modes = MODES
    runs: dict[tuple[Backend, str], list[Run]] = {}
    print(f"# {os.cpu_count()} CPUs; concurrency {args.concurrency} per loop; medians of {args.repeat}")
    with lean_server(keys, presign=max(args.n, args.n_slow)) as server:
        asyncio.run(one_loop(keys, server.url, backends[0], 50, 4, Stamps(), None))  # warm up
        for backend in backends:
            n = args.n if backend == "cryptography" else args.n_slow
            for _ in range(args.repeat):
                for mode in modes:
                    got = timed_run(server, n, mode, keys, backend, args.concurrency)
                    runs.setdefault((backend, mode[0]), []).append(got)
                print(f"  done a round of {backend}", file=sys.stderr, flush=True)

    print("\n| signer | mode | captures/s end to end | steady captures/s | steady vs one loop ", end="")
    print("| server CPU (cores) |")
    print("|---|---|---:|---:|---:|---:|")
    for backend in backends:
        n = args.n if backend == "cryptography" else args.n_slow
        base = statistics.median(r[1] for r in runs[backend, MODES[0][0]])
        for label, _, _ in modes:
            wall = statistics.median(r[0] for r in runs[backend, label])
            steady = statistics.median(r[1] for r in runs[backend, label])
            server_cores = statistics.median(r[2] / r[0] for r in runs[backend, label])
            print(
                f"| {backend} | {label} | {n / wall:,.0f} | {steady:,.0f} | {steady / base:.2f}x "
                f"| {server_cores:.2f} |"
            )
    print(
        "\n(end to end includes starting the workers: spawn, imports and key loading; "
        "steady is first to last outcome)"
    )


if __name__ == "__main__":
    main()
