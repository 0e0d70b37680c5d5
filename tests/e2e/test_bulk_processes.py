"""capture_many_processes: routing by order, outcomes across the process boundary, stopping, failures.

The runner is synchronous and blocks its thread, so each test drives it from a worker thread
while the simulator keeps serving on the test's loop.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from payermax_async.bulk.journal import EntryState, Journal
from payermax_async.bulk.processes import (
    WorkerPlan,
    WorkerProcessError,
    _feed,
    _unflatten,
    _worker,
    _worker_main,
    capture_many_processes,
    partition,
)
from payermax_async.client import ClientSpec
from payermax_async.errors import ApiError
from payermax_async.signing_thread import CPUS_ENV
from payermax_async.testing import GatewaySimulator


def authorize(sim: GatewaySimulator, n: int) -> list[CaptureItem]:
    items = []
    for i in range(n):
        sim.authorize(f"ORD_{i}", "10.00", "USD")
        items.append(CaptureItem(f"ORD_{i}", "10.00", "USD"))
    return items


def captured_once(sim: GatewaySimulator, out_trade_no: str) -> bool:
    return [c.status for c in sim.captures_of(out_trade_no)] == ["SUCCESS"]


def test_partition_is_stable_and_spreads_orders() -> None:
    names = [f"ORD_{i}" for i in range(4000)]
    first = [partition(n, 4) for n in names]
    assert first == [partition(n, 4) for n in names]
    assert set(first) == {0, 1, 2, 3}
    assert min(Counter(first).values()) > 800  # roughly even
    assert all(partition(n, 1) == 0 for n in names[:50])


class _Inbox:
    def __init__(self) -> None:
        self.batches: list[list[tuple[Any, ...]] | None] = []

    def put(self, batch: list[tuple[Any, ...]] | None, timeout: float | None = None) -> None:
        self.batches.append(batch)


class _Alive:
    def is_alive(self) -> bool:
        return True


def test_the_feeder_sends_every_order_to_its_one_process() -> None:
    inboxes = [_Inbox(), _Inbox(), _Inbox()]
    items = [CaptureItem(f"ORD_{i % 700}", "1.00", "USD") for i in range(1400)]  # each order twice
    errors: list[BaseException] = []
    _feed(items, inboxes, [_Alive()] * 3, threading.Event(), errors)  # type: ignore[list-item]
    assert errors == []
    where: dict[str, set[int]] = {}
    for i, inbox in enumerate(inboxes):
        assert inbox.batches[-1] is None  # each worker is told the input ended
        for batch in inbox.batches[:-1]:
            assert batch is not None
            for otn, *_ in batch:
                where.setdefault(otn, set()).add(i)
    assert len(where) == 700
    assert all(places == {partition(otn, 3)} for otn, places in where.items())


def test_bad_arguments_are_refused_at_the_call() -> None:
    with pytest.raises(ValueError, match="processes"):
        capture_many_processes(ClientSpec({}), [], processes=0)
    with pytest.raises(ValueError, match="rate_limit"):
        capture_many_processes(ClientSpec({}), [], processes=2, rate_limit=0)


def test_the_client_spec_never_shows_the_key() -> None:
    spec = ClientSpec({"app_id": "a", "merchant_no": "m", "private_key": "SECRET_KEY_TEXT"})
    assert "SECRET" not in repr(spec) and "merchant_no='m'" in repr(spec)


async def test_two_processes_capture_everything_once_with_a_shared_journal(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 120)
    sim.authorize("DECLINED", "10.53", "USD")
    items += [CaptureItem("DECLINED", "10.53", "USD"), CaptureItem("MISSING", "1.00", "USD")]
    journal = tmp_path / "run.db"
    spec = ClientSpec(sim.client_options(timeout=5.0))

    def run() -> list[CaptureOutcome]:
        return list(capture_many_processes(spec, iter(items), processes=2, concurrency=8, journal=journal))

    outcomes = await asyncio.to_thread(run)
    by_no = {o.item.out_trade_no: o for o in outcomes}
    assert len(outcomes) == len(by_no) == 122
    assert all(by_no[f"ORD_{i}"].ok and captured_once(sim, f"ORD_{i}") for i in range(120))
    assert by_no["ORD_7"].item == items[7]  # rebuilt on this side, equal to what was sent
    assert by_no["ORD_7"].result is not None and by_no["ORD_7"].capture_no
    declined = by_no["DECLINED"]
    assert declined.status is OutcomeStatus.FAILED and declined.result is not None
    missing = by_no["MISSING"]
    assert missing.status is OutcomeStatus.FAILED
    assert isinstance(missing.error, ApiError) and missing.error.code == "ORDER_NOT_EXIST"
    with Journal(journal) as j:
        counts = j.counts()
    assert (counts[EntryState.CAPTURED], counts[EntryState.FAILED]) == (120, 2)

    again = await asyncio.to_thread(run)  # a re-run: everything settled, nothing sent
    assert all(o.skipped for o in again) and len(again) == 122
    assert len(sim.requests_for("capture")) == 122


async def test_closing_early_stops_the_workers_and_keeps_the_journal_true(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 2000)
    journal = tmp_path / "run.db"
    spec = ClientSpec(sim.client_options())

    def run_until(n: int) -> int:
        seen = 0
        outcomes = capture_many_processes(spec, iter(items), processes=2, concurrency=8, journal=journal)
        for _ in outcomes:
            seen += 1
            if seen == n:
                break
        outcomes.close()
        return seen

    assert await asyncio.to_thread(run_until, 100) == 100
    captured = {e.out_trade_no for e in sim.events if e.kind == "captured"}
    assert 100 <= len(captured) < 2000
    with Journal(journal) as j:
        recorded = {e.out_trade_no for e in j.entries(EntryState.CAPTURED)}
        sending = {e.out_trade_no for e in j.entries(EntryState.SENDING)}
    # Nothing captured is missing from the journal: answered, or marked for a replay.
    assert recorded <= captured <= recorded | sending


async def test_a_worker_that_cannot_start_is_reported(payermax_simulator: GatewaySimulator) -> None:
    spec = ClientSpec({**payermax_simulator.client_options(), "private_key": "not a key"})

    def run() -> list[CaptureOutcome]:
        return list(capture_many_processes(spec, [CaptureItem("ORD_1", "1.00", "USD")], processes=2))

    with pytest.raises(WorkerProcessError, match="private_key"):
        await asyncio.to_thread(run)


async def test_an_input_that_raises_is_raised_after_the_rest_finishes(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 10)
    spec = ClientSpec(sim.client_options())

    def source() -> Iterator[CaptureItem]:
        yield from items
        raise OSError("the input went away")

    seen: queue.SimpleQueue[CaptureOutcome] = queue.SimpleQueue()

    def run() -> None:
        for outcome in capture_many_processes(spec, source(), processes=2):
            seen.put(outcome)

    with pytest.raises(OSError, match="went away"):
        await asyncio.to_thread(run)
    assert seen.qsize() == 10
    assert all(captured_once(sim, i.out_trade_no) for i in items)


async def test_the_worker_side_runs_the_inbox_through_capture_many(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    """The code each worker process runs, driven here in-process with plain queues."""
    sim = payermax_simulator
    items = authorize(sim, 30)
    inbox: queue.Queue[Any] = queue.Queue()
    outbox: queue.Queue[Any] = queue.Queue()
    inbox.put([(i.out_trade_no, i.amount, i.currency, i.request_id) for i in items[:20]])
    inbox.put([(i.out_trade_no, i.amount, i.currency, i.request_id) for i in items[20:]])
    inbox.put(None)
    spec = ClientSpec(sim.client_options(), bulk_concurrency=4)
    journal = tmp_path / "run.db"
    Journal(journal).close()
    plan = WorkerPlan(spec, 4, 1000.0, str(journal), "run-1", os.getppid())
    await asyncio.wait_for(_worker(plan, inbox, outbox), 30)
    flat: list[Any] = []
    while not outbox.empty():
        kind, payload = outbox.get_nowait()
        assert kind == "outcomes"
        flat.extend(payload)
    outcomes = [_unflatten(f) for f in flat]
    assert sorted(o.item.out_trade_no for o in outcomes) == sorted(i.out_trade_no for i in items)
    assert all(o.ok for o in outcomes)


async def test_a_worker_reports_its_failure_instead_of_dying_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run in this process, where a worker's CPU share must not outlive the test
    monkeypatch.setenv(CPUS_ENV, "2")
    inbox: queue.Queue[Any] = queue.Queue()
    outbox: queue.Queue[Any] = queue.Queue()
    bad = ClientSpec({"app_id": "a", "merchant_no": "m", "private_key": "x", "payermax_public_key": "y"})
    plan = WorkerPlan(bad, 4, None, None, "run-1", os.getppid())
    await asyncio.to_thread(_worker_main, 3, plan, inbox, outbox)
    kind, index, error = outbox.get_nowait()
    assert (kind, index) == ("done", 3)
    assert error.startswith("ConfigurationError: private_key")
