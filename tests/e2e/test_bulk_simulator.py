"""capture_many with the real client against the embedded simulator: outcomes, faults, budget, resume."""

from __future__ import annotations

import contextlib
import gc
import random
import warnings
from collections import Counter
from pathlib import Path

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from payermax_async.bulk.journal import EntryState, Journal
from payermax_async.errors import ApiError, InvalidRequestError, OutcomeUnknownError
from payermax_async.signing import RsaSigner
from payermax_async.signing_thread import ThreadedSigner
from payermax_async.testing import Fault, FaultKind, GatewaySimulator


def fast_client(sim: GatewaySimulator, **kwargs: object) -> PayerMaxClient:
    options: dict[str, object] = {
        "retry": RetryPolicy(backoff_base=0.001, backoff_max=0.005, rng=random.Random(1)),
        "timeout": 2.0,
    }
    options.update(kwargs)
    return sim.client(**options)


def authorize(sim: GatewaySimulator, n: int, prefix: str = "ORD", amount: str = "10.00") -> list[CaptureItem]:
    out = []
    for i in range(n):
        otn = f"{prefix}_{i}"
        sim.authorize(otn, amount, "USD")
        out.append(CaptureItem(otn, amount, "USD"))
    return out


async def run(client: PayerMaxClient, items: list[CaptureItem], **kwargs: object) -> list[CaptureOutcome]:
    return [o async for o in client.capture_many(items, **kwargs)]  # type: ignore[arg-type]


def captured_once(sim: GatewaySimulator, out_trade_no: str) -> bool:
    return [c.status for c in sim.captures_of(out_trade_no)] == ["SUCCESS"]


async def test_each_order_gets_its_gateway_outcome(payermax_simulator: GatewaySimulator) -> None:
    sim = payermax_simulator
    good = authorize(sim, 20)
    sim.authorize("DECLINE", "10.53", "USD")  # ..53: the capture FAILS
    sim.authorize("SLOW", "10.54", "USD")  # ..54: the capture stays PENDING
    sim.authorize("TOO_MUCH", "5.00", "USD")
    items = [
        *good,
        CaptureItem("DECLINE", "10.53", "USD"),
        CaptureItem("SLOW", "10.54", "USD"),
        CaptureItem("TOO_MUCH", "9.00", "USD"),  # more than authorized: refused
        CaptureItem("NEVER_AUTHORIZED", "1.00", "USD"),
        CaptureItem("BAD_CURRENCY", "1.00", "XXX"),  # caught before sending
    ]
    async with fast_client(sim) as client:
        outcomes = await run(client, items, concurrency=8)
    by_no = {o.item.out_trade_no: o for o in outcomes}
    assert len(outcomes) == len(by_no) == len(items)
    assert all(by_no[i.out_trade_no].ok and captured_once(sim, i.out_trade_no) for i in good)
    assert by_no["DECLINE"].status is OutcomeStatus.FAILED
    assert by_no["SLOW"].status is OutcomeStatus.PENDING
    for refused in ("TOO_MUCH", "NEVER_AUTHORIZED"):
        error = by_no[refused].error
        assert by_no[refused].status is OutcomeStatus.FAILED and isinstance(error, ApiError)
    assert by_no["TOO_MUCH"].error.code == "AMOUNT_INVALID"  # type: ignore[union-attr]
    assert by_no["BAD_CURRENCY"].status is OutcomeStatus.INVALID
    assert isinstance(by_no["BAD_CURRENCY"].error, InvalidRequestError)
    assert [r for r in sim.requests_for("capture") if r.out_trade_no == "BAD_CURRENCY"] == []


async def test_lost_answers_are_retried_by_the_client_and_never_capture_twice(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    items = authorize(sim, 60)
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=0.2, seed=5))
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=0.1, seed=6))
    async with fast_client(sim, max_retries=6) as client:
        outcomes = await run(client, items, concurrency=16)
    assert Counter(o.status for o in outcomes) == {OutcomeStatus.CAPTURED: 60}
    assert all(captured_once(sim, i.out_trade_no) for i in items)
    assert len(sim.requests_for("capture")) > 60  # the faults did fire, and were retried


async def test_the_run_shares_the_clients_retry_budget(payermax_simulator: GatewaySimulator) -> None:
    sim = payermax_simulator
    items = authorize(sim, 150)
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", probability=1.0))
    async with fast_client(sim, max_retries=5) as client:
        budget = client.retry_budget
        outcomes = await run(client, items, concurrency=16)
    # Without a shared budget this would be 150 x 6 attempts. With it, retries stop once the
    # client's tokens are spent, and every later failure fails fast.
    retries = budget.capacity // budget.retry_cost
    assert len(sim.requests_for("capture")) == 150 + retries
    assert budget.tokens < budget.retry_cost
    assert all(o.status is OutcomeStatus.UNKNOWN for o in outcomes)
    assert all(isinstance(o.error, OutcomeUnknownError) for o in outcomes)


async def test_a_rerun_with_the_journal_resolves_lost_answers_without_capturing_twice(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    journal = tmp_path / "run.db"
    items = authorize(sim, 40)
    # The gateway captures, then the connection drops: with no retries the outcome is unknown.
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=0.3, seed=11))
    async with fast_client(sim, max_retries=0) as client:
        first = await run(client, items, concurrency=8, journal=journal)
    unknown = {o.item.out_trade_no for o in first if o.status is OutcomeStatus.UNKNOWN}
    assert unknown  # the fault fired
    assert all(captured_once(sim, otn) for otn in unknown)  # ...after the gateway had captured
    with Journal(journal) as j:
        assert j.counts()[EntryState.UNKNOWN] == len(unknown)

    sim.clear_faults()
    sent_before = len(sim.requests_for("capture"))
    async with fast_client(sim) as client:
        second = await run(client, items, concurrency=8, journal=journal)
    assert len(sim.requests_for("capture")) - sent_before == len(unknown)  # only those went again
    by_no = {o.item.out_trade_no: o for o in second}
    assert all(by_no[otn].ok and not by_no[otn].skipped for otn in unknown)
    assert all(by_no[i.out_trade_no].skipped for i in items if i.out_trade_no not in unknown)
    assert all(captured_once(sim, i.out_trade_no) for i in items)  # replays, not new captures
    with Journal(journal) as j:
        assert j.counts()[EntryState.CAPTURED] == 40


async def test_a_pending_capture_is_asked_again_on_a_rerun(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    journal = tmp_path / "run.db"
    sim.authorize("SLOW", "10.54", "USD")
    item = CaptureItem("SLOW", "10.54", "USD")
    async with fast_client(sim) as client:
        (first,) = await run(client, [item], journal=journal)
        assert first.status is OutcomeStatus.PENDING
        sim.settle_capture("SLOW")
        (second,) = await run(client, [item], journal=journal)
    assert second.ok and second.request_id == first.request_id
    assert len(sim.captures_of("SLOW")) == 1


async def test_breaking_out_with_captures_in_flight_leaves_no_warning_and_a_true_journal(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    journal = tmp_path / "run.db"
    items = authorize(sim, 300)
    # Slow answers, so that the break lands with captures processed but not yet answered.
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.05, probability=1.0))
    seen: list[CaptureOutcome] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = fast_client(sim)
        async with (
            client,
            contextlib.aclosing(client.capture_many(items, concurrency=16, journal=journal)) as outcomes,
        ):
            async for outcome in outcomes:
                seen.append(outcome)
                if len(seen) == 20:
                    break
        gc.collect()
    assert all(o.ok for o in seen)
    captured = {e.out_trade_no for e in sim.events if e.kind == "captured"}
    with Journal(journal) as j:
        recorded = {e.out_trade_no for e in j.entries(EntryState.CAPTURED)}
        sending = {e.out_trade_no for e in j.entries(EntryState.SENDING)}
    assert {o.item.out_trade_no for o in seen} <= recorded
    assert recorded <= captured <= recorded | sending  # nothing captured is unaccounted for
    assert len(captured) < 300

    sim.clear_faults()
    async with fast_client(sim) as client:
        rest = await run(client, items, concurrency=16, journal=journal)
    assert all(o.ok for o in rest)
    assert all(captured_once(sim, i.out_trade_no) for i in items)


async def test_the_gateway_accepts_captures_signed_on_the_thread(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    for i in range(20):
        sim.authorize(f"ORD_{i}", "10.00", "USD")
    signer = ThreadedSigner(RsaSigner(sim.merchant_private_key))
    async with sim.client(signer=signer) as client:
        items = [CaptureItem(f"ORD_{i}", "10.00", "USD") for i in range(20)]
        outcomes = [o async for o in client.capture_many(items, concurrency=8)]
    signer.close()
    assert all(o.ok for o in outcomes) and len(outcomes) == 20
