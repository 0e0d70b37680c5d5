"""The promise of the retry layer, under fire: 2,000 captures through one client while the simulator
injects faults into 30 % of requests. Nothing may be captured twice, and nothing the caller was told
failed may have been captured."""

from __future__ import annotations

import asyncio
import collections
from decimal import Decimal

from payermax_async import (
    ApiError,
    CaptureResult,
    CaptureStatus,
    OutcomeUnknownError,
    RetryPolicy,
    SignatureError,
    TransportError,
)
from payermax_async.testing import Fault, FaultKind, GatewaySimulator

N = 2000
# (kind, processed) — every way a gateway or the network in front of it lets a client down.
FAULTS: list[tuple[FaultKind, bool | None]] = [
    (FaultKind.DROP_AFTER_PROCESS, None),
    (FaultKind.DROP_BEFORE_PROCESS, None),
    (FaultKind.DELAY, None),
    (FaultKind.HTTP_5XX, False),
    (FaultKind.HTTP_5XX, True),
    (FaultKind.SYSTEM_ERROR, False),
    (FaultKind.SYSTEM_ERROR, True),
    (FaultKind.TOO_MANY_REQUEST, None),
    (FaultKind.MALFORMED, None),
    (FaultKind.UNSIGNED, None),
    (FaultKind.BAD_SIGNATURE, None),
]
# Rules are tried in order and the first that fires wins: equal shares adding up to 30 %.
PER_RULE = 1 - (1 - 0.30) ** (1 / len(FAULTS))


async def test_chaos_no_capture_lost_or_duplicated() -> None:
    async with GatewaySimulator() as sim:
        for i in range(N):
            sim.authorize(f"ORD_{i}", Decimal("10.00"), "USD")
        for seed, (kind, processed) in enumerate(FAULTS):
            sim.inject(
                Fault(
                    kind=kind,
                    api_name="capture",
                    probability=PER_RULE,
                    seed=seed,
                    processed=processed,
                    delay=1.2,
                )
            )
        policy = RetryPolicy(
            max_retries=4, backoff_base=0.01, backoff_max=0.05, budget_capacity=10**6, deadline=30
        )
        async with sim.client(timeout=1.0, retry=policy) as client:
            outcomes = await asyncio.gather(
                *(
                    client.capture(f"ORD_{i}", Decimal("10.00"), "USD", request_id=f"REQ_{i}")
                    for i in range(N)
                ),
                return_exceptions=True,
            )
            faulted = sum(1 for r in sim.requests_for("capture") if r.fault is not None)
            sim.clear_faults()

            counts: collections.Counter[str] = collections.Counter()
            believed_failed_but_captured = 0
            reconciled = 0
            for i, outcome in enumerate(outcomes):
                performed = sim.captures_of(f"ORD_{i}")
                assert len(performed) <= 1, f"ORD_{i} captured {len(performed)} times"
                if isinstance(outcome, CaptureResult):
                    counts["succeeded"] += 1
                    assert outcome.status is CaptureStatus.SUCCESS
                    assert len(performed) == 1
                    assert (performed[0].capture_no, performed[0].request_id) == (
                        outcome.capture_no,
                        f"REQ_{i}",
                    )
                elif isinstance(outcome, (ApiError, TransportError)):
                    counts[type(outcome).__name__] += 1
                    believed_failed_but_captured += len(performed)
                elif isinstance(outcome, (OutcomeUnknownError, SignatureError)):
                    counts["unknown"] += 1
                    assert outcome.request_id == f"REQ_{i}" and outcome.out_trade_no == f"ORD_{i}"
                    # Reconcile exactly as the error says: replay the same request_id.
                    replay = await client.capture(f"ORD_{i}", Decimal("10.00"), "USD", request_id=f"REQ_{i}")
                    after = sim.captures_of(f"ORD_{i}")
                    assert len(after) == 1 and after[0].capture_no == replay.capture_no
                    if performed:
                        reconciled += 1  # it had landed: the replay returned the original capture
                else:
                    raise AssertionError(f"ORD_{i}: unexpected {outcome!r}")

    captured_total = sum(len(sim.captures_of(f"ORD_{i}")) for i in range(N))
    print(
        f"\nchaos: {N} captures, {faulted} faulted requests ({faulted / len(sim.requests_for('capture')):.0%}"
        f" of {len(sim.requests_for('capture'))}); outcomes {dict(counts)}; "
        f"unknown that had landed: {reconciled}; captured twice: 0; "
        f"believed failed but captured: {believed_failed_but_captured}; captured in the end: {captured_total}"
    )
    assert believed_failed_but_captured == 0
    assert captured_total == N
    assert faulted >= N * 0.25  # the faults really were there
    assert counts["succeeded"] >= N * 0.9  # and the retries really did their job
