"""Faults on demand: each kind as the wire shows it, whether the gateway acted, what the real client
makes of it, and the determinism of seeded faults."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

from payermax_async import (
    ApiError,
    CaptureStatus,
    MalformedResponseError,
    OutcomeUnknownError,
    RetryPolicy,
    SignatureError,
)
from payermax_async.testing import Fault, FaultKind, GatewaySimulator, RawCaller
from payermax_async.testing.faults import FaultInjector

FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.005)


def capture(out_trade_no: str = "F_1", request_id: str = "REQ_1") -> dict[str, object]:
    return {
        "requestId": request_id,
        "outTradeNo": out_trade_no,
        "currency": "USD",
        "amount": Decimal("10.00"),
    }


# ---------------------------------------------------------------------- rules of selection


@pytest.mark.parametrize(
    "kwargs",
    [
        {"times": 0},
        {"probability": 0.0},
        {"probability": 1.5},
        {"skip": -1},
        {"delay": -1.0},
        {"retry_after": -1.0},
        {"kind": FaultKind.TOO_MANY_REQUEST, "processed": True},
        {"kind": FaultKind.HTTP_5XX, "http_status": 404},
        {"kind": FaultKind.TOO_MANY_REQUEST, "http_status": 503},
    ],
)
def test_fault_arguments_are_checked(kwargs: dict[str, object]) -> None:
    options: dict[str, object] = {"kind": FaultKind.SYSTEM_ERROR, **kwargs}
    with pytest.raises(ValueError):
        Fault(**options)  # type: ignore[arg-type]


def test_fault_defaults() -> None:
    assert Fault(FaultKind.DROP_AFTER_PROCESS).is_processed
    assert not Fault(FaultKind.DROP_BEFORE_PROCESS).is_processed
    assert not Fault(FaultKind.SYSTEM_ERROR).is_processed
    assert Fault(FaultKind.SYSTEM_ERROR, processed=True).is_processed
    assert Fault(FaultKind.HTTP_5XX).status == 502
    assert Fault(FaultKind.TOO_MANY_REQUEST).status == 429
    assert Fault(FaultKind.DELAY).delay_seconds == 10.0
    assert Fault(FaultKind.DELAY).limit == 1
    assert Fault(FaultKind.DELAY, probability=0.5).limit is None
    assert Fault(FaultKind("malformed")).kind is FaultKind.MALFORMED
    assert Fault("unsigned").kind is FaultKind.UNSIGNED  # type: ignore[arg-type]


def fired(
    injector: FaultInjector, n: int, api_name: str = "capture", out_trade_no: str | None = None
) -> list[int]:
    return [i for i in range(n) if injector.pick(api_name, out_trade_no) is not None]


def test_times_skip_and_filters() -> None:
    injector = FaultInjector()
    injector.add(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", skip=2, times=2))
    assert fired(injector, 3, api_name="refund") == []
    assert fired(injector, 6) == [2, 3]
    assert injector.active == []  # used up
    injector.add(Fault(FaultKind.SYSTEM_ERROR, out_trade_no="ONLY"))
    assert injector.pick("capture", "OTHER") is None
    assert injector.pick("refund", "ONLY") is not None


def test_first_armed_rule_wins_and_clear_disarms() -> None:
    injector = FaultInjector()
    first = Fault(FaultKind.SYSTEM_ERROR, times=1)
    second = Fault(FaultKind.HTTP_5XX, times=1)
    injector.add(first)
    injector.add(second)
    assert injector.pick("capture", None) is first
    assert injector.pick("capture", None) is second
    assert injector.pick("capture", None) is None
    injector.add(Fault(FaultKind.MALFORMED, probability=1.0))
    injector.clear()
    assert injector.pick("capture", None) is None


def test_probability_faults_are_deterministic_per_seed() -> None:
    def run(seed: int) -> list[int]:
        injector = FaultInjector()
        injector.add(Fault(FaultKind.SYSTEM_ERROR, probability=0.3, seed=seed))
        return fired(injector, 200)

    assert run(11) == run(11)
    assert run(11) != run(12)
    assert 30 <= len(run(11)) <= 90  # about 30 % of 200


def test_probability_with_times_caps_the_count() -> None:
    injector = FaultInjector()
    injector.add(Fault(FaultKind.SYSTEM_ERROR, probability=0.5, times=3, seed=1))
    assert len(fired(injector, 100)) == 3


async def test_seeded_faults_hit_the_same_requests_on_two_gateways() -> None:
    async def hits() -> list[int]:
        async with GatewaySimulator() as sim, aiohttp.ClientSession() as session:
            raw = RawCaller(sim, session)
            sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="orderQuery", probability=0.25, seed=5))
            for i in range(40):
                await raw.call("orderQuery", {"outTradeNo": f"Q{i}"})
            return [i for i, r in enumerate(sim.requests) if r.fault is not None]

    first, second = await hits(), await hits()
    assert first == second
    assert first  # 40 tosses at 25 %


async def test_inject_returns_the_fault_and_faults_lists_armed_ones(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    fault = sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture"))
    assert sim.faults == [fault]
    sim.clear_faults()
    assert sim.faults == []


# ---------------------------------------------------------------------- each kind on the wire


async def test_drop_after_process(raw: RawCaller) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", times=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await raw.call("capture", capture())
    assert len(raw.sim.captures_of("F_1")) == 1  # it happened; only the answer was lost
    record = raw.sim.requests[-1]
    assert (record.http_status, record.code, record.processed) == (None, None, True)
    assert record.fault is not None and record.fault.kind is FaultKind.DROP_AFTER_PROCESS
    # the replay finds the capture that the dropped attempt made
    assert (await raw.call("capture", capture())).data["status"] == "SUCCESS"
    assert len(raw.sim.captures_of("F_1")) == 1


async def test_drop_before_process(raw: RawCaller) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.DROP_BEFORE_PROCESS, api_name="capture"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await raw.call("capture", capture())
    assert raw.sim.captures_of("F_1") == []
    assert not raw.sim.requests[-1].processed


@pytest.mark.parametrize(("status", "processed"), [(None, False), (503, True)])
async def test_http_5xx_is_html_and_unsigned(raw: RawCaller, status: int | None, processed: bool) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.HTTP_5XX, api_name="capture", http_status=status, processed=processed))
    answer = await raw.call("capture", capture())
    assert answer.status == (status or 502)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "sign" not in answer.headers
    assert b"Bad Gateway" in answer.body
    assert len(raw.sim.captures_of("F_1")) == int(processed)


@pytest.mark.parametrize("processed", [False, True])
async def test_system_error_is_signed_and_processed_only_when_told(raw: RawCaller, processed: bool) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture", processed=processed))
    answer = await raw.call("capture", capture())
    assert (answer.status, answer.code) == (200, "SYSTEM_ERROR")
    assert raw.verified(answer)
    assert len(raw.sim.captures_of("F_1")) == int(processed)
    assert raw.sim.requests[-1].code == "SYSTEM_ERROR"


@pytest.mark.parametrize(
    ("status", "retry_after", "header"), [(None, 0.0, "0"), (200, 1.5, "1.5"), (None, None, None)]
)
async def test_too_many_request(
    raw: RawCaller, status: int | None, retry_after: float | None, header: str | None
) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, http_status=status, retry_after=retry_after))
    answer = await raw.call("capture", capture())
    assert (answer.status, answer.code) == (status or 429, "TOO_MANY_REQUEST")
    assert answer.headers.get("Retry-After") == header
    assert raw.verified(answer)
    assert raw.sim.captures_of("F_1") == []


async def test_malformed_is_truncated_unsigned_and_processed(raw: RawCaller) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.MALFORMED))
    answer = await raw.call("capture", capture())
    assert answer.status == 200
    assert "sign" not in answer.headers
    assert answer.body.startswith(b'{"code":"APPLY_SUCCESS"')
    with pytest.raises(ValueError):
        _ = answer.json
    assert len(raw.sim.captures_of("F_1")) == 1


async def test_unsigned_and_bad_signature_answers(raw: RawCaller) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.UNSIGNED, times=1))
    raw.sim.inject(Fault(FaultKind.BAD_SIGNATURE, skip=1, times=1))
    unsigned = await raw.call("capture", capture())
    bad = await raw.call("capture", capture())
    good = await raw.call("capture", capture())
    assert "sign" not in unsigned.headers
    assert bad.headers["sign"] and not raw.verified(bad)
    assert raw.verified(good)
    assert unsigned.body == bad.body == good.body  # one capture, replayed
    assert len(raw.sim.captures_of("F_1")) == 1


@pytest.mark.parametrize("kind", [FaultKind.UNSIGNED, FaultKind.BAD_SIGNATURE, FaultKind.MALFORMED])
async def test_unprocessed_mangled_answers_wrap_a_system_error(raw: RawCaller, kind: FaultKind) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(kind, processed=False))
    answer = await raw.call("capture", capture())
    assert b"SYSTEM_ERROR" in answer.body
    assert not raw.verified(answer)
    assert raw.sim.captures_of("F_1") == []


async def test_delay_processes_then_answers_late(raw: RawCaller) -> None:
    raw.sim.authorize("F_1", "10.00", "USD")
    raw.sim.inject(Fault(FaultKind.DELAY, delay=0.3))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(raw.call("capture", capture()), 0.05)
    assert len(raw.sim.captures_of("F_1")) == 1  # processed before the wait


async def test_delay_answers_when_the_client_waits(raw: RawCaller) -> None:
    raw.sim.inject(Fault(FaultKind.DELAY, delay=0.05))
    answer = await raw.call("orderQuery", {"outTradeNo": "NOPE"})
    assert answer.code == "ORDER_NOT_EXIST"
    assert raw.verified(answer)


async def test_closing_the_gateway_does_not_wait_for_a_delay() -> None:
    async with GatewaySimulator() as sim, aiohttp.ClientSession() as session:
        sim.inject(Fault(FaultKind.DELAY, delay=60))
        pending = asyncio.ensure_future(RawCaller(sim, session).call("orderQuery", {"outTradeNo": "X"}))
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await sim.close()
        assert loop.time() - started < 5
        await asyncio.gather(pending, return_exceptions=True)


# ---------------------------------------------------------------------- what the client makes of it


async def test_client_recovers_from_a_dropped_capture_without_capturing_twice(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    sim.authorize("CL_1", "10.00", "USD")
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", times=2))
    client = sim.client(retry=FAST_RETRY)
    result = await client.capture("CL_1", Decimal("10.00"), "USD")
    assert result.status is CaptureStatus.SUCCESS
    attempts = sim.requests_for("capture")
    assert len(attempts) == 3
    assert len({a.data["requestId"] for a in attempts}) == 1  # one business id throughout
    assert len(sim.captures_of("CL_1")) == 1
    assert sim.captures_of("CL_1")[0].capture_no == result.capture_no


async def test_client_gives_up_with_outcome_unknown_when_the_capture_did_happen(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    sim.authorize("CL_2", "10.00", "USD")
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=1.0))
    with pytest.raises(OutcomeUnknownError) as caught:
        await sim.client(max_retries=0).capture("CL_2", "10.00", "USD")
    assert caught.value.out_trade_no == "CL_2"
    assert len(sim.captures_of("CL_2")) == 1  # unknown to the client, real at the gateway


async def test_client_times_out_on_delay_and_the_retry_replays(payermax_simulator: GatewaySimulator) -> None:
    sim = payermax_simulator
    sim.authorize("CL_3", "10.00", "USD")
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=1.0))
    client = sim.client(timeout=0.2, retry=FAST_RETRY)
    result = await client.capture("CL_3", "10.00", "USD")
    assert result.status is CaptureStatus.SUCCESS
    assert len(sim.captures_of("CL_3")) == 1


async def test_late_original_after_its_retry_is_a_replay(payermax_simulator: GatewaySimulator) -> None:
    """An unprocessed DELAY: the retry lands first, then the original arrives and is deduplicated."""
    sim = payermax_simulator
    sim.authorize("CL_4", "10.00", "USD")
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.3, processed=False))
    client = sim.client(timeout=0.1, retry=FAST_RETRY)
    assert (await client.capture("CL_4", "10.00", "USD")).status is CaptureStatus.SUCCESS
    for _ in range(100):
        if all(r.code is not None for r in sim.requests_for("capture")):
            break
        await asyncio.sleep(0.02)
    late = sim.requests_for("capture")[0]
    assert late.fault is not None and late.code == "APPLY_SUCCESS"
    assert len(sim.captures_of("CL_4")) == 1


@pytest.mark.parametrize(
    "kind", [FaultKind.HTTP_5XX, FaultKind.SYSTEM_ERROR, FaultKind.TOO_MANY_REQUEST, FaultKind.MALFORMED]
)
async def test_client_retries_transient_faults(payermax_simulator: GatewaySimulator, kind: FaultKind) -> None:
    sim = payermax_simulator
    sim.authorize("CL_5", "10.00", "USD")
    sim.inject(Fault(kind, api_name="capture", times=2))
    result = await sim.client(retry=FAST_RETRY).capture("CL_5", "10.00", "USD")
    assert result.status is CaptureStatus.SUCCESS
    assert len(sim.requests_for("capture")) == 3
    assert len(sim.captures_of("CL_5")) == 1


async def test_client_sees_5xx_as_malformed_and_system_error_as_api_error(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    sim.authorize("CL_6", "10.00", "USD")
    client = sim.client(max_retries=0)
    sim.inject(Fault(FaultKind.HTTP_5XX, api_name="capture"))
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.capture("CL_6", "10.00", "USD")
    assert isinstance(caught.value.__cause__, MalformedResponseError)
    assert caught.value.__cause__.http_status == 502
    sim.inject(Fault(FaultKind.SYSTEM_ERROR, api_name="capture"))
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.capture("CL_6", "10.00", "USD")
    assert isinstance(caught.value.__cause__, ApiError)
    assert caught.value.__cause__.code == "SYSTEM_ERROR"
    assert sim.captures_of("CL_6") == []


@pytest.mark.parametrize("kind", [FaultKind.UNSIGNED, FaultKind.BAD_SIGNATURE])
async def test_client_refuses_unverifiable_answers(
    payermax_simulator: GatewaySimulator, kind: FaultKind
) -> None:
    sim = payermax_simulator
    sim.authorize("CL_7", "10.00", "USD")
    sim.inject(Fault(kind, api_name="capture"))
    with pytest.raises(SignatureError):
        await sim.client(max_retries=0).capture("CL_7", "10.00", "USD")
    assert len(sim.captures_of("CL_7")) == 1  # fail closed: the capture happened, the answer is untrusted
