"""capture_many's engine: one outcome per item, bounded concurrency, streaming, journal.

The client here is a scripted stand-in that honours the CaptureClient protocol, so each test can
say exactly what the gateway does per order; the same engine against the real client and the
simulator is in test_bulk_simulator.py. The rate limit is in test_bulk_rate.py, outcomes and their
encoding in test_bulk_outcomes.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import warnings
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus, capture_many
from payermax_async.bulk.journal import EntryState, Journal, JournalError
from payermax_async.errors import (
    ApiError,
    InvalidRequestError,
    OutcomeUnknownError,
    SignatureError,
    TransportError,
)
from payermax_async.types import CaptureResult, CaptureStatus

from .bulkkit import FakeClient, collect, items, result, succeed

# ---------------------------------------------------------------------- outcomes


async def test_every_item_gets_exactly_one_outcome_even_when_some_fail() -> None:
    def behave(otn: str, rid: str) -> CaptureResult | BaseException:
        kind = int(otn.split("_")[1]) % 7
        answers: dict[int, CaptureResult | BaseException] = {
            0: result(otn, rid),
            1: ApiError("AMOUNT_INVALID", "too much", http_status=200),
            2: OutcomeUnknownError("lost", attempts=3),
            3: TransportError("refused"),
            4: SignatureError("bad sign"),
            5: result(otn, rid, CaptureStatus.PENDING),
            6: RuntimeError("a bug somewhere"),
        }
        return answers[kind]

    client = FakeClient(behave)
    outcomes = await collect(client, items(70), concurrency=8)
    by_no = {o.item.out_trade_no: o for o in outcomes}
    assert len(outcomes) == len(by_no) == 70
    expected = {
        0: OutcomeStatus.CAPTURED,
        1: OutcomeStatus.FAILED,
        2: OutcomeStatus.UNKNOWN,
        3: OutcomeStatus.NOT_PROCESSED,
        4: OutcomeStatus.UNKNOWN,
        5: OutcomeStatus.PENDING,
        6: OutcomeStatus.UNKNOWN,
    }
    for i in range(70):
        outcome = by_no[f"ORD_{i}"]
        assert outcome.status is expected[i % 7], outcome
        assert (outcome.result is None) == (outcome.error is not None)
        assert outcome.request_id == client.request_ids()[f"ORD_{i}"]
    assert by_no["ORD_0"].ok and by_no["ORD_0"].capture_no == "CAP-ORD_0"
    assert isinstance(by_no["ORD_6"].error, RuntimeError)


async def test_a_capture_with_status_failed_is_a_failed_outcome_with_its_result() -> None:
    client = FakeClient(lambda otn, rid: result(otn, rid, CaptureStatus.FAILED))
    (outcome,) = await collect(client, items(1))
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.result is not None and outcome.error is None and not outcome.ok


@pytest.mark.parametrize("journaled", [False, True])
async def test_an_answer_that_cannot_be_read_is_unknown_and_the_run_still_ends(
    tmp_path: Path, journaled: bool
) -> None:
    """A client (a stand-in, or a wrapper) whose capture returns something without a status: that
    item may have been captured, so it is UNKNOWN; the others go on and the run ends."""

    def odd(out_trade_no: str, request_id: str) -> Any:
        return object() if out_trade_no == "ORD_1" else succeed(out_trade_no, request_id)

    kwargs: dict[str, object] = {"journal": tmp_path / "j.db"} if journaled else {}
    outcomes = await asyncio.wait_for(collect(FakeClient(odd), items(3), **kwargs), 10)  # a hang guard
    by_order = {o.item.out_trade_no: o for o in outcomes}
    odd_one = by_order["ORD_1"]
    assert odd_one.status is OutcomeStatus.UNKNOWN and isinstance(odd_one.error, Exception)
    assert by_order["ORD_0"].ok and by_order["ORD_2"].ok


async def test_outcomes_come_as_they_complete_and_map_back_to_their_items() -> None:
    rng = random.Random(3)
    client = FakeClient(delay=lambda: rng.uniform(0, 0.004))
    source = items(60)
    outcomes = await collect(client, source, concurrency=16)
    finished = [o.item.out_trade_no for o in outcomes]
    assert sorted(finished) == sorted(i.out_trade_no for i in source)
    assert finished != [i.out_trade_no for i in source]  # completion order, not input order
    assert {id(o.item) for o in outcomes} == {id(i) for i in source}  # the caller's own objects


async def test_request_ids_are_generated_once_or_taken_from_the_item() -> None:
    client = FakeClient()
    mine = CaptureItem("OWN-1", Decimal("5"), "USD", request_id="my-request-1")
    outcomes = await collect(client, [mine, *items(3)])
    ids = client.request_ids()
    assert ids["OWN-1"] == "my-request-1"
    assert len(set(ids.values())) == 4
    assert {o.request_id for o in outcomes} == set(ids.values())


# ---------------------------------------------------------------------- bounds


async def test_concurrency_is_bounded_by_a_fixed_set_of_worker_tasks() -> None:
    client = FakeClient(delay=lambda: 0.001)
    outcomes = await collect(client, items(200), concurrency=12)
    assert len(outcomes) == 200
    assert client.max_in_flight == 12
    assert len(client.tasks) == 12  # the same twelve tasks did all 200 captures


async def test_the_input_is_read_lazily_never_far_ahead_of_the_captures() -> None:
    read = 0

    def source() -> Iterator[CaptureItem]:
        nonlocal read
        for i in range(10_000):
            read += 1
            yield CaptureItem(f"ORD_{i}", "10.00", "USD")

    client = FakeClient()
    ahead = 0
    seen = 0
    async for _ in capture_many(client, source(), concurrency=8):
        seen += 1
        ahead = max(ahead, read - seen)
    assert seen == 10_000
    assert ahead <= 8 * 3  # workers + the outcomes waiting for this loop: O(concurrency), not O(n)


async def test_the_journaled_pipeline_reads_ahead_by_at_most_a_few_batches(tmp_path: Path) -> None:
    read = 0

    def source() -> Iterator[CaptureItem]:
        nonlocal read
        for i in range(3000):
            read += 1
            yield CaptureItem(f"ORD_{i}", "10.00", "USD")

    ahead = 0
    seen = 0
    async for _ in capture_many(
        FakeClient(), source(), concurrency=8, journal=tmp_path / "j.db", journal_batch=64
    ):
        seen += 1
        ahead = max(ahead, read - seen)
    assert seen == 3000
    assert ahead <= 64 * 2 + 64 + 8 * 3 + 1  # intake + batch in hand + work queue + workers/outcomes


async def test_an_async_iterable_input_is_shared_safely_by_the_workers() -> None:
    async def source() -> AsyncIterator[CaptureItem]:
        for i in range(100):
            if i % 10 == 0:
                await asyncio.sleep(0)
            yield CaptureItem(f"ORD_{i}", "10.00", "USD")

    client = FakeClient(delay=lambda: 0.0005)
    outcomes = await collect(client, source(), concurrency=10)
    assert sorted(o.item.out_trade_no for o in outcomes) == sorted(f"ORD_{i}" for i in range(100))
    assert len(client.calls) == 100


@pytest.mark.parametrize("journaled", [False, True])
async def test_an_input_that_raises_finishes_what_was_read_then_raises(
    tmp_path: Path, journaled: bool
) -> None:
    def source() -> Iterator[CaptureItem]:
        yield from items(5)
        raise OSError("the CSV went away")

    client = FakeClient()
    seen: list[CaptureOutcome] = []
    journal = tmp_path / "j.db" if journaled else None

    async def consume() -> None:
        async for outcome in capture_many(client, source(), concurrency=2, journal=journal):
            seen.append(outcome)

    with pytest.raises(OSError, match="went away"):
        await consume()
    assert sorted(o.item.out_trade_no for o in seen) == [f"ORD_{i}" for i in range(5)]
    assert all(o.ok for o in seen)


@pytest.mark.parametrize("journaled", [False, True])
async def test_something_that_is_not_a_capture_item_stops_the_run(tmp_path: Path, journaled: bool) -> None:
    journal = tmp_path / "j.db" if journaled else None
    with pytest.raises(TypeError, match="CaptureItem"):
        await collect(FakeClient(), [*items(2), ("ORD_9", "1.00", "USD")], journal=journal)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"concurrency": True},
        {"journal_batch": 0},
        {"flush_interval": 0},
        {"rate_limit": 0},
    ],
)
def test_bad_arguments_are_refused_at_the_call(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        capture_many(FakeClient(), items(1), **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- stopping early


async def test_breaking_out_cancels_the_workers_and_leaves_no_task_or_warning(tmp_path: Path) -> None:
    client = FakeClient(delay=lambda: 0.002)
    journal_path = tmp_path / "j.db"
    before = asyncio.all_tasks()
    seen: list[CaptureOutcome] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with contextlib.aclosing(
            capture_many(client, items(5000), concurrency=16, journal=journal_path)
        ) as outcomes:
            async for outcome in outcomes:
                seen.append(outcome)
                if len(seen) == 40:
                    break
        gc.collect()
    assert asyncio.all_tasks() == before
    assert client.cancelled > 0  # captures in flight were cancelled, not left running
    assert len(client.calls) < 200
    with Journal(journal_path) as journal:
        # Every outcome seen was journaled, even though the run stopped right after it...
        for outcome in seen:
            entry = journal.get(outcome.item.out_trade_no)
            assert entry is not None and entry.state is EntryState.CAPTURED
            assert entry.request_id == outcome.request_id
        # ...and everything sent but not answered is still on record for a replay.
        for otn, rid in client.request_ids().items():
            entry = journal.get(otn)
            assert entry is not None and entry.request_id == rid
            assert entry.state in (EntryState.CAPTURED, EntryState.SENDING)


async def test_cancelling_the_consumer_cancels_the_run() -> None:
    client = FakeClient(delay=lambda: 0.01)
    got: list[CaptureOutcome] = []
    ten = asyncio.Event()

    async def consume() -> None:
        async for outcome in capture_many(client, items(10_000), concurrency=8):
            got.append(outcome)
            if len(got) == 10:
                ten.set()

    before = asyncio.all_tasks()
    task = asyncio.create_task(consume())
    await ten.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert asyncio.all_tasks() == before
    assert client.in_flight == 0
    assert len(client.calls) < 100


# ---------------------------------------------------------------------- the journal


async def test_a_rerun_skips_done_orders_and_replays_the_rest_with_the_same_request_id(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.db"
    flaky = {f"ORD_{i}" for i in range(0, 30, 3)}

    def first_behave(otn: str, rid: str) -> CaptureResult | BaseException:
        if otn in flaky:
            return OutcomeUnknownError("the answer was lost", attempts=3)
        if otn == "ORD_1":
            return ApiError("AUTH_EXPIRED", "expired")
        return result(otn, rid)

    first = FakeClient(first_behave)
    await collect(first, items(30), journal=path, concurrency=4)
    second = FakeClient()
    outcomes = await collect(second, items(30), journal=path, concurrency=4)

    assert {otn for otn, *_ in second.calls} == flaky  # only the unknown ones went out again
    for otn, rid in second.request_ids().items():
        assert rid == first.request_ids()[otn]  # replayed under the id they were first sent with
    by_no = {o.item.out_trade_no: o for o in outcomes}
    assert len(by_no) == 30
    assert all(by_no[otn].ok and not by_no[otn].skipped for otn in flaky)
    skipped = by_no["ORD_2"]
    assert skipped.skipped and skipped.ok and skipped.result is not None
    assert skipped.result.capture_no == "CAP-ORD_2"  # rebuilt from the journal
    refused = by_no["ORD_1"]
    assert refused.skipped and refused.status is OutcomeStatus.FAILED
    assert isinstance(refused.error, ApiError) and refused.error.code == "AUTH_EXPIRED"


async def test_changed_amounts_are_conflicts_and_repeats_are_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    await collect(
        FakeClient(lambda otn, rid: OutcomeUnknownError("lost", attempts=1)), items(3), journal=path
    )
    changed = [
        CaptureItem("ORD_0", "12.00", "USD"),  # another amount: not sent
        CaptureItem("ORD_1", "10.0", "USD"),  # the same amount, written differently: fine
        CaptureItem("ORD_2", "10.00", "USD"),
        CaptureItem("ORD_2", "10.00", "USD"),  # the same order twice in one input
    ]
    client = FakeClient()
    outcomes = await collect(client, changed, journal=path)
    statuses = sorted((o.item.out_trade_no, o.status.value) for o in outcomes)
    assert statuses == [
        ("ORD_0", "conflict"),
        ("ORD_1", "captured"),
        ("ORD_2", "captured"),
        ("ORD_2", "duplicate"),
    ]
    assert sorted(otn for otn, *_ in client.calls) == ["ORD_1", "ORD_2"]
    conflict = next(o for o in outcomes if o.status is OutcomeStatus.CONFLICT)
    assert isinstance(conflict.error, InvalidRequestError) and "10.00 USD" in str(conflict.error)


async def test_invalid_items_are_reported_and_never_journaled_or_sent(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    bad = [
        CaptureItem("has space", "10.00", "USD"),
        CaptureItem("ORD_A", "10.001", "USD"),
        CaptureItem("ORD_B", "10.00", "usd"),
        CaptureItem("ORD_C", -1, "USD"),
        CaptureItem("ORD_D", 1.5, "USD"),  # type: ignore[arg-type]  # floats are refused
    ]
    client = FakeClient()
    outcomes = await collect(client, [*bad, *items(2)], journal=path)
    invalid = [o for o in outcomes if o.status is OutcomeStatus.INVALID]
    assert {o.item.out_trade_no for o in invalid} == {i.out_trade_no for i in bad}
    assert all(isinstance(o.error, InvalidRequestError) for o in invalid)
    assert sorted(otn for otn, *_ in client.calls) == ["ORD_0", "ORD_1"]
    with Journal(path) as journal:
        assert sum(journal.counts().values()) == 2


async def test_nothing_is_sent_before_its_request_id_is_committed(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    reader = Journal(path, owner=False)  # a second connection: sees only what was committed
    unrecorded: list[str] = []

    def behave(otn: str, rid: str) -> CaptureResult:
        entry = reader.get(otn)
        if entry is None or entry.request_id != rid:
            unrecorded.append(otn)
        return result(otn, rid)

    await collect(FakeClient(behave), items(600), journal=path, concurrency=16, journal_batch=50)
    reader.close()
    assert unrecorded == []


async def test_a_journal_that_cannot_be_written_stops_the_run_with_an_error(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "run.db"
    journal = Journal(path, busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    client = FakeClient()
    try:
        with pytest.raises(JournalError):
            await collect(client, items(10), journal=journal)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        journal.close()
    assert client.calls == []  # not one capture without its journal row


async def test_an_open_journal_passed_in_stays_open(tmp_path: Path) -> None:
    with Journal(tmp_path / "run.db") as journal:
        await collect(FakeClient(), items(3), journal=journal)
        assert not journal.closed
        assert journal.counts()[EntryState.CAPTURED] == 3


async def test_a_journal_write_whose_caller_was_cancelled_still_lands(tmp_path: Path) -> None:
    """The run's end cancels the periodic writer; a write it had queued behind another must still
    happen, or the outcomes it carried are lost (a re-run then finds them 'sending')."""
    import threading

    from payermax_async.bulk.engine import _JournalThread

    journal = Journal(tmp_path / "run.db")
    jt = _JournalThread(journal)
    gate = threading.Event()
    written: list[str] = []
    busy = asyncio.ensure_future(jt.call(gate.wait, 5))
    queued = asyncio.ensure_future(jt.call(written.append, "outcomes"))
    await asyncio.sleep(0.01)
    queued.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await queued  # the caller is gone before the thread comes free
    gate.set()
    await busy
    await jt.finish(close=True)  # waits for what was queued, then closes
    assert written == ["outcomes"] and journal.closed
