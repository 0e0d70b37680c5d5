"""Instructions per capture, counted by valgrind: the library's own cost without this VM's noise.

CPU time on this shared 2-core VM drifts by more than the differences this script is for. valgrind's
callgrind counts the instructions a process executes, which depends neither on the load nor on the
CPU's speed of the moment. Each mode runs twice in a fresh process under callgrind, with N1 and N2
captures; (I2 - I1) / (N2 - N1) is what one more capture costs, start-up and imports cancelled out.
RSA is stubbed (a constant signature, a verifier that says yes); everything else is real, through
aiohttp to the lean server (``--unsigned``, its own process, not counted) over 127.0.0.1, garbage
collection included:

- ``floor``: the hand-written aiohttp loop of ``_common.floor_run``;
- ``capture_many`` and ``gather`` (+ ``Semaphore``): the library, at the concurrency after ``@``;
- ``fixed``: capture_many with ``adaptive=False`` (what its adaptive limit costs, by difference).

``--lib DIR`` counts the ``payermax_async`` found in DIR instead (another checkout: before/after).

Run: ``python benchmarks/bench_instructions.py`` (needs valgrind; about 10 minutes, since Python
runs some 50 times slower under callgrind).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys

from _common import floor_run, items, lean_server, make_keys
from bench_overhead import StubSigner, StubVerifier

from payermax_async import PayerMaxClient
from payermax_async.bulk import CaptureItem

DEFAULT_MODES = "floor@1,capture_many@1,floor@64,capture_many@64,gather@64"


async def run_library(url: str, n: int, concurrency: int, gather: bool, adaptive: bool = True) -> None:
    client = PayerMaxClient(
        app_id="bench-app", merchant_no="M-BENCH", signer=StubSigner(), verifier=StubVerifier(), base_url=url
    )
    async with client:
        if gather:
            sem = asyncio.Semaphore(concurrency)

            async def one(item: CaptureItem) -> None:
                async with sem:
                    await client.capture(item.out_trade_no, item.amount, item.currency, item.request_id)

            await asyncio.gather(*(one(item) for item in items(n)))
            return
        async for outcome in client.capture_many(items(n), concurrency=concurrency, adaptive=adaptive):
            if not outcome.ok:
                raise RuntimeError(str(outcome))


def child(mode: str, n: int, url: str) -> None:
    name, concurrency = mode.split("@")
    if name == "floor":
        floor = floor_run(
            None, url, "cryptography", n, int(concurrency), signer=StubSigner(), verifier=StubVerifier()
        )
        asyncio.run(floor)
    else:
        asyncio.run(run_library(url, n, int(concurrency), gather=name == "gather", adaptive=name != "fixed"))


def instructions(mode: str, n: int, url: str, lib: str | None) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    if lib:
        env["PYTHONPATH"] = lib
    callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    out = subprocess.run(
        [*callgrind, sys.executable, __file__, "--child", mode, str(n), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind: {out.stderr[-500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default=DEFAULT_MODES)
    parser.add_argument("--n1", type=int, default=200)
    parser.add_argument("--n2", type=int, default=700)
    parser.add_argument("--lib", help="a directory holding the payermax_async to count instead")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "N", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, n, url = args.child
        child(mode, int(n), url)
        return
    print(f"## Instructions per capture (callgrind, captures {args.n1:,} to {args.n2:,}, RSA stubbed)\n")
    print("| mode | instructions per capture | beyond the floor |")
    print("|---|---:|---:|")
    floors: dict[str, int] = {}
    with lean_server(make_keys(), signed=False) as server:
        for mode in args.modes.split(","):
            one = instructions(mode, args.n1, server.url, args.lib)
            two = instructions(mode, args.n2, server.url, args.lib)
            per = (two - one) // (args.n2 - args.n1)
            name, concurrency = mode.split("@")
            if name == "floor":
                floors[concurrency] = per
            floor = floors.get(concurrency)
            beyond = "" if name == "floor" or floor is None else f"+{per - floor:,}"
            print(f"| {mode} | {per:,} | {beyond} |", flush=True)


if __name__ == "__main__":
    main()
