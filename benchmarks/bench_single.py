"""One capture at a time, against the hand-written floor, resolved to about 0.01.

What a request handler pays: one ``client.capture`` awaited alone. ``bench_steady.py`` times
batches of a few hundred captures per mode, and this VM's speed drifts from one batch to the next by
more than the gap being measured here (its one-at-a-time cells spread over 0.88-0.97). Here the
modes take turns, in a new shuffled order each time, so any drift falls on all of them alike, and
every capture is timed on its own. The floor runs twice (``floor`` and ``floor_again``, the same
code): how far apart they come out is this benchmark's own error, printed beside the library's figure.

On each turn a mode runs ``--run`` captures back to back, as a loop of captures would, and the
first of them is not timed: it is the one that finds the caches full of the other mode's code.
The next two still pay for some of it (by position in a turn, the library's 2nd-3rd captures came
out ~0.009 of the ratio below its 5th-11th), so the default of 11 times a loop's steady state and
``--run 3`` the captures just after other code. Longer turns leave too few of them for the shuffle
to even out the VM's drift (``--run 41``: the two floors 3 % apart in a quarter). Timing every
capture right after another mode (``--run 1``) measured something else, and unevenly: the floor's
code came after itself whenever ``floor`` followed ``floor_again``, the library's almost never, and
a capture after a capture is ~35 µs quicker than one after the floor (the floor ~9 µs). ``--cold``
evicts the caches before every timed capture of every mode alike: a request handler's case, where
the framework's own work ran in between.

The server signs every answer it will give before the run (``--presign``), answers at once unless
``--latency-ms`` holds its answers back (a real gateway is tens of ms away), and with two CPUs or more
it runs on one of them and this process on another, so that neither waits for the other's turn.

- ``floor``: ``_common.floor_capture``, aiohttp + msgspec + the same signer and verifier;
- ``capture``: ``client.capture`` on a client with its defaults (a call alone signs on the loop).

For each: mean and median µs per capture, the ratio of the floor's mean to its own (one at a time,
throughput is one over the mean), and that ratio in each quarter of the run (its spread).

Run: ``python benchmarks/bench_single.py`` (about 2 minutes); ``--help`` for the parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any

import aiohttp
from _common import PATH, Keys, floor_capture, lean_server, make_client, make_keys, signer_for, verifier_for
from _server import order_no, request_id_for

from payermax_async.signing import Backend, available_backends

One = Callable[[int], Coroutine[Any, Any, None]]
MODES = ("floor", "floor_again", "capture")
ORDERS = 2000  # distinct orders, each answer signed by the server once, before the run


class Caches:
    """Evicts this CPU's caches before a timed capture (``--cold``): a byte written on every cache
    line of a buffer larger than them, so that every mode starts from memory, as a request handler
    does after the framework's own work. ~0.6 ms, outside the timed span."""

    def __init__(self, megabytes: int) -> None:
        self._buffer = bytearray(megabytes << 20)
        self._zeros = bytes(len(self._buffer[::64]))

    def evict(self) -> None:
        self._buffer[::64] = self._zeros


async def warm(runs: Mapping[str, One]) -> None:
    """Every mode through every order once: connections, decoders, caches."""
    for i in range(ORDERS):
        for one in runs.values():
            await one(i)


def turns(modes: Sequence[str], n: int, run: int) -> Iterator[tuple[str, int, bool]]:
    """The captures of a run in order, as (mode, order, timed): ``n`` timed per mode, ``run`` per
    turn, the modes shuffled anew each round; a turn's first capture is untimed unless it is alone."""
    order = random.Random(n)  # seeded: the same turns on every run
    timed = max(run - 1, 1)
    i = 0
    for _ in range(-(-n // timed)):
        for mode in order.sample(list(modes), len(modes)):
            for k in range(run):
                yield mode, i % ORDERS, run == 1 or k > 0
                i += 1


async def timings(
    keys: Keys, url: str, backend: Backend, n: int, run: int, cold: Caches | None
) -> dict[str, list[float]]:
    """Seconds per timed capture, by mode, in the order they ran: ``n`` each, ``run`` per turn."""
    signer, verifier = signer_for(keys.merchant_private, backend), verifier_for(keys.payermax_public, backend)
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        make_client(keys, url, backend) as client,
    ):

        async def floor(i: int) -> None:
            await floor_capture(session, url + PATH, signer, verifier, i)

        async def capture(i: int) -> None:
            await client.capture(order_no(i), "10.00", "USD", request_id_for(i))

        runs: dict[str, One] = {"floor": floor, "floor_again": floor, "capture": capture}
        await warm(runs)
        seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
        clock = time.perf_counter
        for mode, i, timed in turns(MODES, n, run):
            if not timed:
                await runs[mode](i)
                continue
            if cold is not None:
                cold.evict()
            started = clock()
            await runs[mode](i)
            seconds[mode].append(clock() - started)
    return seconds


def report(backend: Backend, seconds: dict[str, list[float]]) -> list[str]:
    floor = seconds["floor"]
    quarter = max(len(floor) // 4, 1)  # a run too short for quarters shows each capture's spread
    rows = []
    for mode in MODES:
        mine = seconds[mode]
        mean = statistics.fmean(mine)
        quarters = [
            statistics.fmean(floor[q : q + quarter]) / statistics.fmean(mine[q : q + quarter])
            for q in range(0, min(len(floor), 4) * quarter, quarter)
        ]
        rows.append(
            f"| {backend} | {mode} | {mean * 1e6:,.0f} | {statistics.median(mine) * 1e6:,.0f} "
            f"| **{statistics.fmean(floor) / mean:.3f}** | {min(quarters):.3f}-{max(quarters):.3f} "
            f"| {(mean - statistics.fmean(floor)) * 1e6:+.0f} |"
        )
    return rows


def pin(server_pid: int) -> str:
    """The server on one CPU and this process on another, where there are two."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    os.sched_setaffinity(server_pid, {cpus[-1]})
    os.sched_setaffinity(0, {cpus[0]})
    return f"server on CPU {cpus[-1]}, client on CPU {cpus[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=",".join(available_backends()))
    parser.add_argument("--n", type=int, default=4000, help="timed captures per mode")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="hold each answer this long")
    parser.add_argument("--run", type=int, default=11, help="captures back to back per turn (first untimed)")
    parser.add_argument("--cold", action="store_true", help="evict the caches before each timed capture")
    args = parser.parse_args()
    keys = make_keys()
    rows = []
    with lean_server(keys, presign=ORDERS, latency_ms=args.latency_ms) as server:
        where = pin(server.pid)
        for backend in args.backends.split(","):
            cold = Caches(16) if args.cold else None
            rows += report(backend, asyncio.run(timings(keys, server.url, backend, args.n, args.run, cold)))
    away = f", answers held {args.latency_ms:g} ms" if args.latency_ms else ", instant answers"
    turns = f"{args.run} back to back per turn, the first untimed" if args.run > 1 else "one per turn"
    turns += ", caches evicted before each" if args.cold else ""
    print(f"## One capture at a time, {args.n} per mode ({turns}), turns shuffled{away}; {where}\n")
    print("| signer | mode | mean µs | median µs | floor / mode (mean) | per quarter | µs beyond floor |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
