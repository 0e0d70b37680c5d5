"""Retry semantics: what is retried, how long we wait, what a retry changes (time, signature) and what
it never changes (the business id), and what the caller is told when retries run out."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import pytest

from payermax_async import (
    ApiError,
    CaptureResult,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxClient,
    ResponseLostError,
    RetryEvent,
    RetryPolicy,
    SignatureError,
    TransportError,
    errors,
)
from payermax_async.operations.auth_capture import CAPTURE
from payermax_async.retry import FailureKind, RetryBudget, classify, parse_retry_after
from payermax_async.types import CaptureRequest

from ..support import URL, Keys, Reply, ScriptedGateway, capture_data, reply, sent_bodies


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TransportError("refused"), FailureKind.NOT_SENT),
        (ResponseLostError("timeout"), FailureKind.MAYBE_SENT),
        (MalformedResponseError("junk", http_status=200), FailureKind.MAYBE_SENT),
        (MalformedResponseError("junk", http_status=502), FailureKind.MAYBE_SENT),
        (MalformedResponseError("junk", http_status=429), FailureKind.MAYBE_SENT),
        (MalformedResponseError("junk", http_status=None), FailureKind.MAYBE_SENT),
        (MalformedResponseError("junk", http_status=404), FailureKind.MAYBE_SENT),  # unsigned: defect 12
        (MalformedResponseError("junk", http_status=403), FailureKind.MAYBE_SENT),
        (ApiError("SYSTEM_ERROR", ""), FailureKind.MAYBE_SENT),
        (ApiError("UNEXPECTED_ERROR", ""), FailureKind.MAYBE_SENT),
        (ApiError("REQUEST_TIMEOUT", ""), FailureKind.MAYBE_SENT),
        (ApiError("TOO_MANY_REQUEST", ""), FailureKind.NOT_SENT),  # signed: PayerMax refused it
        (ApiError("ANYTHING", "", http_status=429), FailureKind.NOT_SENT),
        (ApiError("ANYTHING", "", http_status=503), FailureKind.MAYBE_SENT),
        (ApiError("REQ_TIME_OVER_TIME", ""), FailureKind.CLOCK_SKEW),
        (ApiError("SIGN_VERIFY_FAILED", ""), FailureKind.FATAL),
        (ApiError("MERCHANT_INVALID", ""), FailureKind.FATAL),
        (ApiError("MERCHANT_APP_INVALID", ""), FailureKind.FATAL),
        (ApiError("ILLEGAL_IP_REQUEST", ""), FailureKind.FATAL),
        (ApiError("PARAMS_INVALID", "", http_status=200), FailureKind.FATAL),
        (ApiError("AUTH_EXPIRED", ""), FailureKind.FATAL),
        (ApiError("ORDER_REPEAT", ""), FailureKind.FATAL),
        (SignatureError("bad"), FailureKind.MAYBE_SENT),
        (errors.UnboundResponseError("another order's"), FailureKind.MAYBE_SENT),
        (InvalidRequestError("bad"), FailureKind.FATAL),
        (ValueError("not ours"), FailureKind.FATAL),
    ],
)
def test_classification_table(exc: BaseException, kind: FailureKind) -> None:
    assert classify(exc) is kind


def test_backoff_is_full_jitter_under_a_capped_exponential() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0, rng=random.Random(3))
    for retry in range(1, 12):
        ceiling = min(4.0, 0.5 * 2 ** (retry - 1))
        samples = [policy.delay(retry) for _ in range(300)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # spread over the whole range, not a fixed step
        assert min(samples) < ceiling * 0.2


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(retry_after_cap=5.0)
    assert policy.delay(1, retry_after=2.5) == 2.5
    assert policy.delay(3, retry_after=120.0) == 5.0
    assert policy.delay(1, retry_after=0.0) == 0.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.25 ") == 0.25
    assert parse_retry_after("-4") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    parsed = parse_retry_after(later)
    assert parsed is not None and 25 < parsed <= 30
    for junk in (None, "", "soon", "Mon, 99 Foo"):
        assert parse_retry_after(junk) is None


def test_policy_rejects_nonsense() -> None:
    for kwargs in ({"max_retries": -1}, {"backoff_base": -1.0}, {"deadline": 0.0}):
        with pytest.raises(ValueError):
            RetryPolicy(**kwargs)


def test_budget_spends_and_refunds() -> None:
    budget = RetryBudget(capacity=20, retry_cost=5, timeout_cost=10, success_refund=1)
    assert budget.try_acquire(timeout=False) == 5
    assert budget.try_acquire(timeout=True) == 10
    assert budget.try_acquire(timeout=True) == 0  # 5 left: not enough for a timeout retry
    assert budget.try_acquire(timeout=False) == 5
    assert budget.try_acquire(timeout=False) == 0 and budget.tokens == 0
    budget.refund(100)
    assert budget.tokens == 20


def _sequence(keys: Keys, *answers: Callable[[dict[str, Any]], Reply]) -> Callable[..., Reply]:
    """A server that answers the n-th request with the n-th callback (the last one repeats)."""
    calls = {"n": 0}

    def callback(url: Any, **kwargs: Any) -> Reply:
        data = json.loads(kwargs["data"])["data"]
        answer = answers[min(calls["n"], len(answers) - 1)]
        calls["n"] += 1
        return answer(data)

    return callback


def _ok(keys: Keys) -> Callable[[dict[str, Any]], Reply]:
    return lambda d: reply(keys, data=capture_data(requestId=d["requestId"], outTradeNo=d["outTradeNo"]))


def _code(keys: Keys, code: str, **kw: Any) -> Callable[[dict[str, Any]], Reply]:
    return lambda d: reply(keys, code, **kw)


async def test_retry_keeps_the_id_and_changes_time_and_signature(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    events: list[RetryEvent] = []
    ticks = iter([1_700_000_000.0, 1_700_000_001.5])
    gateway.post(URL, callback=_sequence(keys, _code(keys, "SYSTEM_ERROR"), _ok(keys)), repeat=True)
    async with make_client(on_retry=events.append, clock=lambda: next(ticks)) as client:
        result = await client.capture("ORD_1", "10.00", "USD", request_id="R-SAME")
    (first, h1), (second, h2) = sent_bodies(gateway)
    e1, e2 = json.loads(first), json.loads(second)
    assert e1["data"] == e2["data"] and e1["data"]["requestId"] == "R-SAME"
    assert e1["requestTime"] == "2023-11-14T22:13:20.000+00:00"
    assert e2["requestTime"] == "2023-11-14T22:13:21.500+00:00"
    assert h1["sign"] != h2["sign"]
    assert result.request_id == "R-SAME"
    [event] = events
    assert (event.operation, event.attempt, event.kind) == ("capture", 1, FailureKind.MAYBE_SENT)
    assert "SYSTEM_ERROR" in event.reason and event.ids["request_id"] == "R-SAME"


async def test_retries_run_out_after_maybe_sent(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_sequence(keys, _code(keys, "SYSTEM_ERROR")), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "10.00", "USD", request_id="R-1")
    assert len(sent_bodies(gateway)) == 3
    err = info.value
    assert err.attempts == 3 and not err.landed
    assert err.ids == {"out_trade_no": "ORD_1", "request_id": "R-1"}
    assert isinstance(err.__cause__, ApiError) and err.__cause__.code == "SYSTEM_ERROR"


async def test_not_sent_then_maybe_sent_is_still_unknown(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """One lost answer taints the call: a later connect error cannot prove the capture did not happen."""
    gateway.post(URL, exception=ResponseLostError("no response within 15.0s"))
    gateway.post(URL, exception=TransportError("could not connect: refused"), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "10.00", "USD")
    assert isinstance(info.value.__cause__, TransportError)


async def test_a_refused_replay_after_a_lost_answer_is_not_a_failure(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """The first attempt may have captured; the replay's refusal cannot prove otherwise."""
    gateway.post(URL, exception=ResponseLostError("no response within 15.0s"))
    gateway.post(URL, callback=_sequence(keys, _code(keys, "AUTH_EXPIRED")), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "10.00", "USD")
    assert isinstance(info.value.__cause__, ApiError) and info.value.__cause__.code == "AUTH_EXPIRED"
    assert info.value.attempts == 2


async def test_per_call_max_retries(client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway) -> None:
    gateway.post(URL, callback=_sequence(keys, _code(keys, "SYSTEM_ERROR")), repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await client.capture("ORD_1", "10.00", "USD", max_retries=0)
    assert len(sent_bodies(gateway)) == 1


async def test_a_signed_rate_limit_is_not_sent_so_never_unknown(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """Defect 12: PayerMax's signed TOO_MANY_REQUEST proves the request was not processed; when
    retries run out the caller gets that refusal, not an 'unknown' that sends them reconciling."""
    gateway.post(URL, callback=_sequence(keys, _code(keys, "TOO_MANY_REQUEST")), repeat=True)
    with pytest.raises(ApiError) as info:
        await client.capture("ORD_1", "10.00", "USD", max_retries=1)
    assert info.value.code == "TOO_MANY_REQUEST" and len(sent_bodies(gateway)) == 2


async def test_clock_skew_is_learnt_from_the_date_header(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    now = 1_700_000_000.0
    client = make_client(clock=lambda: now)
    server_date = format_datetime(datetime.fromtimestamp(now + 300, UTC), usegmt=True)
    gateway.post(
        URL,
        callback=_sequence(keys, _code(keys, "REQ_TIME_OVER_TIME", headers={"Date": server_date}), _ok(keys)),
        repeat=True,
    )
    async with client:
        await client.capture("ORD_1", "10.00", "USD")
        await client.capture("ORD_2", "10.00", "USD")
    bodies = [json.loads(b) for b, _ in sent_bodies(gateway)]
    assert [b["requestTime"] for b in bodies] == [
        "2023-11-14T22:13:20.000+00:00",
        "2023-11-14T22:18:20.000+00:00",
        "2023-11-14T22:18:20.000+00:00",
    ]
    assert client.clock_offset == 300.0


async def test_clock_skew_without_a_date_header_is_reported(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_sequence(keys, _code(keys, "REQ_TIME_OVER_TIME")), repeat=True)
    with pytest.raises(ApiError) as info:
        await client.capture("ORD_1", "10.00", "USD")
    assert info.value.code == "REQ_TIME_OVER_TIME"
    assert len(sent_bodies(gateway)) == 2  # one resend with the same (uncorrectable) clock, then give up


async def test_order_repeat_after_a_lost_answer_means_it_landed(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, exception=ResponseLostError("no response within 15.0s"))
    gateway.post(URL, callback=_sequence(keys, _code(keys, "ORDER_REPEAT")), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "10.00", "USD", request_id="R-L")
    assert info.value.landed and info.value.request_id == "R-L"


async def test_order_repeat_after_a_lost_answer_reconciles_when_it_can(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    sentinel = object()

    async def reconcile() -> object:
        return sentinel

    data = CaptureRequest(request_id="R-Q", out_trade_no="ORD_1", currency="USD", amount=Decimal(1))
    gateway.post(URL, exception=ResponseLostError("no response within 15.0s"))
    gateway.post(URL, callback=_sequence(keys, _code(keys, "ORDER_REPEAT")), repeat=True)
    got = await client.execute(CAPTURE, data, {"request_id": "R-Q"}, reconcile=reconcile)
    assert got is sentinel


async def test_concurrent_calls_with_one_id_share_one_request(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gate = asyncio.Event()

    async def slow_ok(url: Any, **kwargs: Any) -> Reply:
        await gate.wait()
        return _ok(keys)(json.loads(kwargs["data"])["data"])

    gateway.post(URL, callback=slow_ok, repeat=True)
    calls = [
        asyncio.ensure_future(client.capture("ORD_1", "10.00", "USD", request_id="R-1")) for _ in range(5)
    ]
    await asyncio.sleep(0.01)
    with pytest.raises(InvalidRequestError, match="already in flight with different parameters"):
        await client.capture("ORD_1", "11.00", "USD", request_id="R-1")
    gate.set()
    results = await asyncio.gather(*calls)
    assert len(sent_bodies(gateway)) == 1
    assert all(r is results[0] for r in results)
    await client.capture("ORD_1", "10.00", "USD", request_id="R-1")  # done: a new call sends again
    assert len(sent_bodies(gateway)) == 2


async def test_a_cancelled_caller_hands_the_shared_request_to_the_one_still_waiting(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """The caller who started the flight runs it; cancelled, it takes its own HTTP exchange down
    with it, and the flight carries on for the caller who joined: a replay under the same id."""
    gate = asyncio.Event()

    async def slow_ok(url: Any, **kwargs: Any) -> Reply:
        await gate.wait()
        return _ok(keys)(json.loads(kwargs["data"])["data"])

    gateway.post(URL, callback=slow_ok, repeat=True)
    impatient = asyncio.ensure_future(client.capture("ORD_1", "10.00", "USD", request_id="R-1"))
    patient = asyncio.ensure_future(client.capture("ORD_1", "10.00", "USD", request_id="R-1"))
    await asyncio.sleep(0.01)
    impatient.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    result = await patient
    assert isinstance(result, CaptureResult) and result.request_id == "R-1" and impatient.cancelled()
    sent = [json.loads(body)["data"] for body, _ in sent_bodies(gateway)]
    assert len(sent) == 2 and sent[0] == sent[1]  # the same request, sent again


async def test_the_deadline_bounds_the_whole_call(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    async with make_client(retry=RetryPolicy(max_retries=5, deadline=0.5)) as client:
        gateway.post(
            URL,
            callback=_sequence(keys, _code(keys, "SYSTEM_ERROR", headers={"Retry-After": "10"})),
            repeat=True,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(OutcomeUnknownError) as info:
            await client.capture("ORD_1", "10.00", "USD")
        assert loop.time() - started < 5  # did not sleep the 10 s it was asked to
    assert info.value.attempts == 1


async def test_the_budget_turns_a_failing_gateway_into_fail_fast(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    policy = RetryPolicy(max_retries=3, backoff_base=0.0, budget_capacity=10)
    async with make_client(retry=policy) as client:
        gateway.post(URL, callback=_sequence(keys, _code(keys, "SYSTEM_ERROR")), repeat=True)
        for _ in range(3):
            with pytest.raises(OutcomeUnknownError):
                await client.capture("ORD_1", "10.00", "USD")
        # 10 tokens buy two retries in all; the rest of the calls go out once each.
        assert len(sent_bodies(gateway)) == 3 + 2
        assert client.retry_budget.tokens == 0
        gateway.routes.clear()  # the gateway recovers
        gateway.post(URL, callback=_sequence(keys, _ok(keys)), repeat=True)
        await client.capture("ORD_1", "10.00", "USD")
        assert client.retry_budget.tokens == 1


async def test_bad_per_call_options(client: PayerMaxClient) -> None:
    with pytest.raises(InvalidRequestError, match="timeout"):
        await client.capture("ORD_1", "1", "USD", timeout=0)
    with pytest.raises(InvalidRequestError, match="max_retries"):
        await client.capture("ORD_1", "1", "USD", max_retries=-1)
