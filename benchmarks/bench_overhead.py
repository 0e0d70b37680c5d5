"""The library's own CPU per capture, with RSA and HTTP taken out.

End-to-end runs (bench_capture.py) bury the library's cost under ~1 ms of RSA and ~0.3 ms of
aiohttp per capture, and this VM's CPU speed drifts by more than the difference. Here the signer
returns a constant, the verifier says yes and the transport hands back a canned signed answer
without a socket (one per order: the client binds each answer to its request), so what remains
is exactly what the library adds, next to the same non-RSA, non-HTTP work done by hand (build the
envelope, encode it, base64 the signature, decode the answer):

- ``by hand``: that work in a plain loop;
- ``client.capture``: awaited one after another;
- ``capture_many`` at concurrency 1 and 64, and ``gather`` + ``Semaphore(64)`` for comparison.

Run: ``python benchmarks/bench_overhead.py`` (about 30 seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import msgspec
from _common import envelope, items
from _server import capture_answer

from payermax_async import PayerMaxClient
from payermax_async.bulk import CaptureItem
from payermax_async.transport import HttpResponse

SIGNATURE = b"\x07" * 256
HEADERS = {"sign": base64.b64encode(SIGNATURE).decode(), "Content-Type": "application/json"}
_ENC = msgspec.json.Encoder(decimal_format="number")


class StubSigner:
    def sign(self, message: bytes) -> bytes:
        return SIGNATURE


class StubVerifier:
    def verify(self, message: bytes, signature: bytes) -> bool:
        return True


_ANSWERS: dict[bytes, bytes] = {}


def answer_for(body: bytes) -> bytes:
    """The canned answer about the order in ``body`` (built once per order, outside the timing)."""
    start = body.index(b'"outTradeNo":"') + 14
    return _ANSWERS[body[start : body.index(b'"', start)]]


def prepare(n: int) -> None:
    for item in items(n):
        assert item.request_id is not None
        _ANSWERS[item.out_trade_no.encode()] = capture_answer(item.out_trade_no, item.request_id)


class CannedTransport:
    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> HttpResponse:
        return HttpResponse(200, HEADERS, answer_for(body))

    async def aclose(self) -> None:
        pass


def client() -> PayerMaxClient:
    return PayerMaxClient(
        app_id="bench-app",
        merchant_no="M-BENCH",
        signer=StubSigner(),
        verifier=StubVerifier(),
        transport=CannedTransport(),
        base_url="http://127.0.0.1:9",
    )


async def by_hand(n: int) -> None:
    for i in range(n):
        body = _ENC.encode(envelope(i))
        base64.b64encode(StubSigner().sign(body))
        if msgspec.json.decode(answer_for(body))["code"] != "APPLY_SUCCESS":
            raise RuntimeError("refused")


async def one_by_one(n: int) -> None:
    async with client() as c:
        for item in items(n):
            await c.capture(item.out_trade_no, item.amount, item.currency, item.request_id)


def capture_many_at(concurrency: int) -> Callable[[int], Coroutine[Any, Any, None]]:
    async def run(n: int) -> None:
        async with client() as c:
            async for outcome in c.capture_many(items(n), concurrency=concurrency):
                if not outcome.ok:
                    raise RuntimeError(str(outcome))

    return run


async def gather64(n: int) -> None:
    async with client() as c:
        sem = asyncio.Semaphore(64)

        async def one(item: CaptureItem) -> None:
            async with sem:
                await c.capture(item.out_trade_no, item.amount, item.currency, item.request_id)

        await asyncio.gather(*(one(item) for item in items(n)))


MODES: dict[str, Callable[[int], Coroutine[Any, Any, None]]] = {
    "by hand": by_hand,
    "client.capture": one_by_one,
    "capture_many, concurrency 1": capture_many_at(1),
    "capture_many, concurrency 64": capture_many_at(64),
    "gather + Semaphore(64)": gather64,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    prepare(args.n)
    cpu: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(args.repeat):
        for mode, run in MODES.items():
            started = time.process_time()
            asyncio.run(run(args.n))
            cpu[mode].append((time.process_time() - started) / args.n * 1e6)
    hand = statistics.median(cpu["by hand"])
    print(f"## CPU per capture without RSA and HTTP (µs, median of {args.repeat} runs of {args.n:,})\n")
    print("| mode | µs per capture | beyond the hand-written work |")
    print("|---|---:|---:|")
    for mode, values in cpu.items():
        us = statistics.median(values)
        extra = "" if mode == "by hand" else f"{us - hand:+.0f}"
        print(f"| {mode} | {us:.0f} | {extra} |")


if __name__ == "__main__":
    main()
