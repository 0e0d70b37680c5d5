"""Where one capture's time goes, stage by stage, in the floor and in the library.

``bench_single.py`` says how far apart the two are; this says where. Both modes run with the same
probes at the same boundaries, all outside the library: a signer and a verifier that note when they
start and end around the real ones, and aiohttp's own tracing (``TraceConfig``) for when a request
starts, when its headers are written and when the answer's headers are in. Every probe is paid by
both modes alike, so the difference per stage is the library's. Turns and pinning as in
``bench_single.py`` (``--run`` captures back to back per turn, the first untimed).

Run: ``python benchmarks/bench_stages.py`` (about 1 minute); ``--help`` for the parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any

import aiohttp
from _common import PATH, Keys, floor_capture, lean_server, make_client, make_keys, signer_for, verifier_for
from _server import order_no, request_id_for
from bench_single import ORDERS, pin, turns, warm

from payermax_async.signing import RsaSigner, RsaVerifier
from payermax_async.transport import AiohttpTransport

clock = time.perf_counter
#: when the current capture reached each boundary, by name
marks: dict[str, float] = {}

#: (stage, from, to): consecutive boundaries of one capture
STAGES = (
    ("before signing: build, check, encode", "start", "sign"),
    ("signing", "sign", "signed"),
    ("signature to aiohttp", "signed", "request"),
    ("aiohttp builds and writes the request", "request", "headers_sent"),
    ("gateway and network", "headers_sent", "answered"),
    ("body read and handed back", "answered", "verify"),
    ("verifying", "verify", "verified"),
    ("decode, bind, return", "verified", "end"),
)


class MarkedSigner:
    def __init__(self, inner: RsaSigner) -> None:
        self._inner = inner

    def sign(self, message: bytes) -> bytes:
        marks["sign"] = clock()
        signature = self._inner.sign(message)
        marks["signed"] = clock()
        return signature


class MarkedVerifier:
    def __init__(self, inner: RsaVerifier) -> None:
        self._inner = inner

    def verify(self, message: bytes, signature: bytes) -> bool:
        marks["verify"] = clock()
        ok = self._inner.verify(message, signature)
        marks["verified"] = clock()
        return ok


def _marker(name: str) -> Callable[..., Coroutine[Any, Any, None]]:
    async def mark(session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
        marks[name] = clock()

    return mark


def traced_session() -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_marker("request"))
    trace.on_request_headers_sent.append(_marker("headers_sent"))
    trace.on_request_end.append(_marker("answered"))
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
    return aiohttp.ClientSession(connector=connector, trace_configs=[trace])


async def stages(keys: Keys, url: str, n: int, run: int) -> dict[str, list[dict[str, float]]]:
    """The boundaries of ``n`` timed captures per mode, ``run`` per turn (the first untimed)."""
    signer = MarkedSigner(signer_for(keys.merchant_private, "cryptography"))
    verifier = MarkedVerifier(verifier_for(keys.payermax_public, "cryptography"))
    async with traced_session() as floor_session, traced_session() as client_session:
        transport = AiohttpTransport(session=client_session)  # traced like the floor's
        mine = make_client(keys, url, "cryptography", signer=signer, verifier=verifier, transport=transport)
        async with mine as client:

            async def floor(i: int) -> None:
                await floor_capture(floor_session, url + PATH, signer, verifier, i)

            async def capture(i: int) -> None:
                await client.capture(order_no(i), "10.00", "USD", request_id_for(i))

            runs = {"floor": floor, "capture": capture}
            await warm(runs)
            seen: dict[str, list[dict[str, float]]] = {mode: [] for mode in runs}
            for mode, i, timed in turns(list(runs), n, run):
                if not timed:
                    await runs[mode](i)
                    continue
                marks.clear()
                marks["start"] = clock()
                await runs[mode](i)
                marks["end"] = clock()
                seen[mode].append(dict(marks))
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="timed captures per mode")
    parser.add_argument("--run", type=int, default=11, help="captures back to back per turn (first untimed)")
    args = parser.parse_args()
    keys = make_keys()
    with lean_server(keys, presign=ORDERS) as server:
        where = pin(server.pid)
        seen = asyncio.run(stages(keys, server.url, args.n, args.run))
    print(f"## One capture's stages, {args.n} per mode, `cryptography`, {args.run} per turn; {where}\n")
    print("| stage | floor µs | `client.capture` µs | library beyond floor |")
    print("|---|---:|---:|---:|")
    for label, start, end in (*STAGES, ("whole capture", "start", "end")):
        floor, lib = (statistics.fmean(m[end] - m[start] for m in seen[mode]) * 1e6 for mode in seen)
        print(f"| {label} | {floor:,.1f} | {lib:,.1f} | {lib - floor:+.1f} |")


if __name__ == "__main__":
    main()
