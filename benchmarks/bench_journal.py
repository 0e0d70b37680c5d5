"""What the SQLite journal costs: alone (rows/s by batch size and fsync mode) and inside capture_many.

1. The journal alone: reserve a batch of new orders, then record their outcomes, as a run does,
   for several batch sizes, with ``synchronous=FULL`` (fsync per commit: survives power loss, the
   default) and ``NORMAL`` (survives a killed process only).
2. capture_many with and without ``journal=`` against the lean server, with real RSA (the
   ``cryptography`` backend, signing on a thread as ``bulk_signer`` picks) and with a stub signer
   that makes the journal's share as large as it can get.

Run: ``python benchmarks/bench_journal.py`` (about a minute); ``--n 1000`` to shrink it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import items, lean_server, make_keys, verifier_for

from payermax_async import PayerMaxClient
from payermax_async.bulk.journal import Claim, EntryState, Journal, Record
from payermax_async.signing_thread import ThreadedSigner, bulk_signer


class StubSigner:
    def sign(self, message: bytes) -> bytes:
        return b"\x00" * 256


class StubVerifier:
    def verify(self, message: bytes, signature: bytes) -> bool:
        return True


def journal_alone(n: int, batch: int, synchronous: Any) -> float:
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.db", synchronous=synchronous) as j:
        started = time.perf_counter()
        for start in range(0, n, batch):
            claims = [Claim(f"ORD_{i:08d}", "10.00", "USD") for i in range(start, min(n, start + batch))]
            got = j.reserve(claims, "run")
            j.record(
                [
                    Record(c.out_trade_no, r.request_id, EntryState.CAPTURED, capture_no="C")
                    for c, r in zip(claims, got, strict=True)
                ]
            )
        return n / (time.perf_counter() - started)


async def capture(url: str, n: int, journal: Path | None, signer: Any, verifier: Any) -> None:
    client = PayerMaxClient(
        app_id="bench-app", merchant_no="M-BENCH", signer=signer, verifier=verifier, base_url=url
    )
    async with client:
        async for outcome in client.capture_many(items(n), concurrency=64, journal=journal):
            if not outcome.ok:
                raise RuntimeError(str(outcome))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="captures per capture_many run")
    parser.add_argument("--rows", type=int, default=20000, help="rows for the journal-alone runs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print("## The journal alone (reserve + record per order, rows/s)\n")
    print("| batch | synchronous=FULL | synchronous=NORMAL |")
    print("|---:|---:|---:|")
    for batch in (1, 16, 256):
        rows = args.rows if batch > 1 else min(args.rows, 1000)
        full = statistics.median(journal_alone(rows, batch, "FULL") for _ in range(args.repeat))
        normal = statistics.median(journal_alone(rows, batch, "NORMAL") for _ in range(args.repeat))
        print(f"| {batch} | {full:,.0f} | {normal:,.0f} |")

    keys = make_keys()
    real = bulk_signer(keys.merchant_private, backend="cryptography", concurrency=64)
    real_verifier = verifier_for(keys.payermax_public, "cryptography")
    rates: dict[tuple[str, bool], list[float]] = {}
    with lean_server(keys, presign=args.n) as server, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(capture(server.url, 50, None, StubSigner(), StubVerifier()))
        for round_no in range(args.repeat):
            for rsa in ("real RSA (cryptography, signing thread)", "stub RSA"):
                stub = not rsa.startswith("real")
                signer, verifier = (StubSigner(), StubVerifier()) if stub else (real, real_verifier)
                for journaled in (False, True):
                    journal = Path(tmp) / f"run-{round_no}-{rsa[:4]}.db" if journaled else None
                    started = time.perf_counter()
                    asyncio.run(capture(server.url, args.n, journal, signer, verifier))
                    rates.setdefault((rsa, journaled), []).append(args.n / (time.perf_counter() - started))
            print(f"  done round {round_no + 1}", file=sys.stderr, flush=True)
    if isinstance(real, ThreadedSigner):
        real.close()

    print("\n## capture_many at concurrency 64, without and with journal= (captures/s)\n")
    print("| signing | no journal | journal | journal / none |")
    print("|---|---:|---:|---:|")
    for rsa in ("real RSA (cryptography, signing thread)", "stub RSA"):
        plain = statistics.median(rates[rsa, False])
        with_journal = statistics.median(rates[rsa, True])
        print(f"| {rsa} | {plain:,.0f} | {with_journal:,.0f} | {with_journal / plain:.2f} |")


if __name__ == "__main__":
    main()
