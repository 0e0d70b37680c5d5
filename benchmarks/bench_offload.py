"""Does moving RSA signing off the event loop (threads or processes) raise capture throughput?

Two measurements per signer backend:

1. Does ``sign`` release the GIL? Two threads sign side by side; a speed-up near 2x (on 2 idle
   cores) means it does, near 1x or below means the threads take turns (a GIL convoy).
2. capture_many at concurrency 64 against the lean server with the signer inline
   (``sign_in_thread=False``), on the client's own signing thread (its default with
   ``cryptography``), on a thread pool, and on a process pool (async ``sign`` wrappers, the seam
   that ``Signer`` offers for KMS/HSM signers). Rounds are interleaved; medians are reported.

Run: ``python benchmarks/bench_offload.py`` (about 2 minutes on 2 cores); ``--n 400 --repeat 1``
to shrink it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from _common import Keys, items, lean_server, make_client, make_keys, signer_for, verifier_for

from payermax_async.signing import Backend, RsaSigner, Signer, available_backends

MESSAGE = b'{"version":"1.5","keyVersion":"1","requestTime":"2024-11-06T03:56:13.000+00:00",' * 3

_child: RsaSigner | None = None


def _init_child(private_key: str, backend: Backend) -> None:
    global _child
    _child = RsaSigner(private_key, backend=backend)


def _sign_in_child(message: bytes) -> bytes:
    assert _child is not None
    return _child.sign(message)


class PoolSigner:
    """An async signer that runs ``sign`` on an executor, off the event loop."""

    def __init__(self, pool: Executor, sign: Callable[[bytes], bytes]) -> None:
        self.pool = pool
        self._sign = sign

    async def sign(self, message: bytes) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._sign, message)


def make_signer(keys: Keys, backend: Backend, how: str) -> tuple[Signer, Executor | None]:
    inline = signer_for(keys.merchant_private, backend)
    if how in ("inline", "client"):
        return inline, None
    kind, workers = how.split("x")
    if kind == "threads":
        pool: Executor = ThreadPoolExecutor(int(workers))
        return PoolSigner(pool, inline.sign), pool
    pool = ProcessPoolExecutor(
        int(workers),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_child,
        initargs=(keys.merchant_private, backend),
    )
    list(pool.map(_sign_in_child, [MESSAGE] * int(workers) * 4))  # start and warm the workers
    return PoolSigner(pool, _sign_in_child), pool


def two_thread_speedup(signer: RsaSigner, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        signer.sign(MESSAGE)
    alone = time.perf_counter() - started

    def half() -> None:
        for _ in range(n // 2):
            signer.sign(MESSAGE)

    threads = [threading.Thread(target=half) for _ in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return alone / (time.perf_counter() - started)


async def run(keys: Keys, url: str, backend: Backend, signer: Signer, n: int, how: str = "inline") -> None:
    # "client": the client's own signing thread (its default); every other way signs as given
    thread = None if how == "client" else False
    async with make_client(keys, url, backend, signer=signer, sign_in_thread=thread) as client:
        async for outcome in client.capture_many(items(n), concurrency=64):
            if not outcome.ok:
                raise RuntimeError(str(outcome))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1500, help="captures per run with cryptography")
    parser.add_argument("--n-slow", type=int, default=600, help="captures per run with pycryptodome")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default=",".join(available_backends()))
    args = parser.parse_args()
    backends: list[Backend] = [b for b in available_backends() if b in args.backends.split(",")]
    keys = make_keys()
    ways = ["inline", "client", "threadsx1", "threadsx2", "processesx1", "processesx2"]

    print("## Does sign() release the GIL? (two threads signing, speed-up over one)\n")
    print("| signer | 2-thread speed-up |")
    print("|---|---:|")
    for backend in backends:
        signer = signer_for(keys.merchant_private, backend)
        verifier_for(keys.payermax_public, backend)
        speedup = statistics.median(two_thread_speedup(signer, 200) for _ in range(3))
        print(f"| {backend} | {speedup:.2f}x |")

    rates: dict[tuple[Backend, str], list[float]] = {}
    with lean_server(keys, presign=max(args.n, args.n_slow)) as server:
        asyncio.run(run(keys, server.url, backends[0], signer_for(keys.merchant_private, backends[0]), 50))
        for backend in backends:
            n = args.n if backend == "cryptography" else args.n_slow
            signers = {how: make_signer(keys, backend, how) for how in ways}
            for _ in range(args.repeat):
                for how in ways:
                    started = time.perf_counter()
                    asyncio.run(run(keys, server.url, backend, signers[how][0], n, how))
                    rates.setdefault((backend, how), []).append(n / (time.perf_counter() - started))
            for _, pool in signers.values():
                if pool is not None:
                    pool.shutdown()
            print(f"  done {backend}", file=sys.stderr, flush=True)

    print("\n## capture_many at concurrency 64, by where signing runs (captures/s)\n")
    print("| signer | " + " | ".join(w.replace("x", " x") for w in ways) + " |")
    print("|---|" + "---:|" * len(ways))
    for backend in backends:
        base = statistics.median(rates[backend, "inline"])
        medians = [statistics.median(rates[backend, w]) for w in ways]
        cells = [f"{m:,.0f} ({m / base:.2f}x)" for m in medians]
        print(f"| {backend} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
