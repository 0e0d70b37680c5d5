"""The PostgreSQL queue: exactly-once enqueue, workers against the simulator, faults, the
fleet-wide limit measured at the gateway, and three worker processes with one SIGKILLed."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.bulk import CaptureItem
from payermax_async.bulk.adaptive import AimdSettings
from payermax_async.bulk.fleet import FleetLimit
from payermax_async.bulk.postgres import CaptureQueue
from payermax_async.bulk.postgres_worker import run_worker
from payermax_async.errors import InvalidRequestError
from payermax_async.testing import Fault, FaultKind, GatewaySimulator
from payermax_async.testing.records import RequestRecord

ROOT = Path(__file__).resolve().parents[2]


def authorize(sim: GatewaySimulator, n: int, amount: str = "10.00") -> list[CaptureItem]:
    items = [CaptureItem(f"ORD{i:06d}", amount, "USD") for i in range(n)]
    for item in items:
        sim.authorize(item.out_trade_no, amount, "USD")
    return items


def fast_client(sim: GatewaySimulator) -> PayerMaxClient:
    retry = RetryPolicy(backoff_base=0.001, backoff_max=0.005, rng=random.Random(1))
    return sim.client(retry=retry, timeout=2.0)


async def open_queue(dsn: str) -> CaptureQueue:
    q = await CaptureQueue.connect(dsn)
    await q.install()
    return q


async def request_ids(q: CaptureQueue) -> dict[str, str]:
    return {r.out_trade_no: r.request_id async for r in q.outcomes()}


def exactly_once(sim: GatewaySimulator, rows: dict[str, str]) -> None:
    """Every order captured once on the gateway, under the request_id fixed at enqueue."""
    for otn, rid in rows.items():
        captures = sim.captures_of(otn)
        assert [(c.status, c.request_id) for c in captures] == [("SUCCESS", rid)], otn


async def test_enqueue_is_idempotent_and_keeps_the_first_request_id(dsn: str) -> None:
    q = await open_queue(dsn)
    await q.install()  # a second install is harmless
    items = [CaptureItem(f"ORD{i:06d}", "10.00", "USD") for i in range(1500)]
    first = await q.enqueue(items)
    ids = await request_ids(q)
    again = await q.enqueue(items)
    assert (first.queued, first.already, first.conflicts) == (1500, 0, ())
    assert (again.queued, again.already, again.conflicts) == (0, 1500, ())
    assert await request_ids(q) == ids
    assert len(set(ids.values())) == 1500
    assert await q.pending_jobs() == 1500
    assert await q.status() == {"queued": 1500}
    await q.close()


async def test_enqueue_reports_conflicts_and_refuses_bad_input_before_writing(dsn: str) -> None:
    q = await open_queue(dsn)
    await q.enqueue(
        [
            CaptureItem("A1", "5.00", "USD", request_id="rid-a1"),
            CaptureItem("B1", "10.00", "USD"),
            CaptureItem("C1", "10.00", "USD"),
        ]
    )
    report = await q.enqueue(
        [
            CaptureItem("A1", "5.00", "USD", request_id="other"),
            CaptureItem("B1", "11.00", "USD"),
            CaptureItem("C1", Decimal("10"), "USD"),  # 10 and 10.00 are the same amount
        ]
    )
    assert report.conflicts == ("A1", "B1")
    assert report.already == 1
    assert (await request_ids(q))["A1"] == "rid-a1"
    with pytest.raises(InvalidRequestError):
        await q.enqueue([CaptureItem("D1", "1.00", "USD"), CaptureItem("bad id!", "1.00", "USD")])
    assert await q.pending_jobs() == 3  # nothing of the refused chunk was written
    await q.close()


async def test_worker_captures_with_the_stored_ids_through_faults(
    dsn: str, payermax_simulator: GatewaySimulator
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 150)
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=0.15, seed=3))
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=0.1, seed=4))
    sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.05, seed=5))
    q = await open_queue(dsn)
    await q.enqueue(items)
    async with fast_client(sim) as client:
        stats = await run_worker(
            dsn, client, concurrency=10, heartbeat_timeout=5, retry_delay=0.01, max_sends=30
        )
    assert await q.status() == {"captured": 150}
    rows = [r async for r in q.outcomes()]
    exactly_once(sim, {r.out_trade_no: r.request_id for r in rows})
    assert all(r.capture_no == sim.captures_of(r.out_trade_no)[0].capture_no for r in rows)
    assert stats.sent >= 150 and await q.pending_jobs() == 0
    # the CSV's rows come back from the database in order
    assert [r.out_trade_no for r in rows] == sorted(i.out_trade_no for i in items)
    await q.close()


async def test_requeue_puts_back_orders_that_ran_out_of_sends(
    dsn: str, payermax_simulator: GatewaySimulator
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 10)
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=1.0))
    q = await open_queue(dsn)
    await q.enqueue(items)
    async with sim.client(retry=RetryPolicy(max_retries=0), timeout=2.0) as client:
        await run_worker(dsn, client, concurrency=4, heartbeat_timeout=5, retry_delay=0.001, max_sends=2)
        assert await q.status() == {"unknown": 10}
        sim.clear_faults()
        assert await q.requeue() == 10
        assert await q.requeue() == 0  # already queued: not twice
        await run_worker(dsn, client, concurrency=4, heartbeat_timeout=5)
    assert await q.status() == {"captured": 10}
    exactly_once(sim, await request_ids(q))
    await q.close()


async def test_fleet_limit_holds_at_the_gateway_across_workers(
    dsn: str, payermax_simulator: GatewaySimulator
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 120)
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.02, probability=1.0))
    spans: list[tuple[float, float]] = []

    def finished(record: RequestRecord) -> None:
        if record.api_name == "capture":
            spans.append((record.received_at, sim.now()))

    sim.on_request = finished
    q = await open_queue(dsn)
    await q.enqueue(items)
    async with fast_client(sim) as a, fast_client(sim) as b:
        await asyncio.gather(
            run_worker(dsn, a, concurrency=10, limit=3, heartbeat_timeout=5),
            run_worker(dsn, b, concurrency=10, limit=3, heartbeat_timeout=5),
        )
    assert await q.status() == {"captured": 120}
    assert len(spans) == 120
    events = sorted([(t0, 1) for t0, _ in spans] + [(t1, -1) for _, t1 in spans], key=lambda e: (e[0], e[1]))
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    assert 2 <= peak <= 3  # the limit was used, never passed
    await q.close()


async def test_adaptive_fleet_finds_the_simulators_limit_and_captures_each_order_once(
    dsn: str, payermax_simulator: GatewaySimulator
) -> None:
    import psycopg

    sim = payermax_simulator
    items = authorize(sim, 150)
    sim.set_limit("capture", 4)  # the simulator's own count of captures in flight
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.02, probability=1.0))
    q = await open_queue(dsn)
    await q.enqueue(items)
    settings = AimdSettings(ceiling=40)
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c1,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c2,
        fast_client(sim) as a,
        fast_client(sim) as b,
    ):
        limits = [FleetLimit(c1, "adaptive", settings), FleetLimit(c2, "adaptive", settings)]
        for limit in limits:
            await limit.setup()
        stats = await asyncio.gather(
            run_worker(dsn, a, concurrency=20, limit=limits[0], heartbeat_timeout=5),
            run_worker(dsn, b, concurrency=20, limit=limits[1], heartbeat_timeout=5),
        )
        await limits[0].flush()
    assert await q.status() == {"captured": 150}
    exactly_once(sim, await request_ids(q))
    refused = [r for r in sim.requests_for("capture") if r.code == "TOO_MANY_REQUEST"]
    assert refused and all(not r.processed for r in refused)
    assert sum(st.rate_limited for st in stats) == len(refused)
    assert limits[0].epoch >= 1 and limits[0].refused
    assert limits[0].permits <= 8  # found near the gateway's 4, far below the ceiling of 40
    await q.close()


def _spawn(dsn: str, options: dict[str, str], limit: int) -> subprocess.Popen[str]:
    # the client options hold a private key: passed in the environment, never on a command line
    env = {**os.environ, "PAYERMAX_TEST_CLIENT": json.dumps(options)}
    args = [dsn, "8", str(limit), "1.5"]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.postgres.worker_main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=env,
    )


async def test_sigkilled_worker_process_is_recovered_and_every_order_captured_exactly_once(
    dsn: str, payermax_simulator: GatewaySimulator
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 400)
    # about 30 % of capture requests fail: answers lost after the capture, refusals, errors
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=0.12, seed=1))
    sim.inject(Fault(FaultKind.DROP_BEFORE_PROCESS, api_name="capture", probability=0.06, seed=2))
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=0.07, seed=3))
    sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.07, seed=4))
    q = await open_queue(dsn)
    await q.enqueue(items)
    options = {k: str(v) for k, v in sim.client_options().items()}
    procs = [_spawn(dsn, options, limit=12) for _ in range(3)]
    victim = procs[0]
    try:
        deadline = time.monotonic() + 60
        tag = f"%:{victim.pid}"
        sending: list[str] = []
        while not sending:  # kill while the victim has captures in flight
            assert time.monotonic() < deadline, "the victim never started sending"
            await asyncio.sleep(0.01)
            cur = await q.conn.execute(
                "SELECT out_trade_no FROM payermax_captures WHERE state = 'sending' AND worker LIKE %s",
                (tag,),
            )
            sending = [str(r[0]) for r in await cur.fetchall()]
        os.kill(victim.pid, signal.SIGKILL)
        await asyncio.to_thread(victim.wait, 10)
        cur = await q.conn.execute(
            "SELECT out_trade_no FROM payermax_captures WHERE state = 'sending' AND worker LIKE %s", (tag,)
        )
        orphaned = {str(r[0]) for r in await cur.fetchall()}
        assert orphaned, "the kill left no claim behind: nothing to recover"
        # the simulator runs on this loop: wait in a thread, never block it
        outs = [(await asyncio.to_thread(p.communicate, timeout=120))[0] for p in procs[1:]]
        assert all(p.returncode == 0 for p in procs[1:]), outs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            assert p.stdout is not None
            p.stdout.close()  # the victim's was never read to its end
    assert await q.status() == {"captured": 400}
    rows = {r.out_trade_no: r async for r in q.outcomes()}
    exactly_once(sim, {o: r.request_id for o, r in rows.items()})
    assert all(rows[o].sends >= 2 for o in orphaned)  # replayed under the same id after the kill
    faulted = sum(1 for r in sim.requests_for("capture") if r.fault is not None)
    assert faulted > 0.2 * len(sim.requests_for("capture"))
    await q.close()
