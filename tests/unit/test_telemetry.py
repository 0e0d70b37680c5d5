"""One event per logical call, and the OpenTelemetry bridge, read back from the SDK's in-memory
exporters (scripted gateway, no socket)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from payermax_async import ApiError, InvalidRequestError, OutcomeUnknownError, PayerMaxClient, TransportError
from payermax_async._telemetry import CallEvent, outcome_of
from payermax_async.otel import OpenTelemetry

from ..support import URL, Keys, ScriptedGateway, capture_data, reply


def _ok(keys: Keys) -> Callable[..., Any]:
    def answer(url: str, **kw: Any) -> Any:
        return reply(keys, data=capture_data(requestId=json.loads(kw["data"])["data"]["requestId"]))

    return answer


async def _capture(client: PayerMaxClient) -> Any:
    return await client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD", request_id="R-1")


async def test_one_event_per_logical_call_with_its_outcome(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway, caplog: Any
) -> None:
    events: list[CallEvent] = []
    retries: list[Any] = []
    client = make_client(on_call=events.append, on_retry=retries.append)
    gateway.post(URL, exception=TransportError("refused"))
    gateway.post(URL, callback=_ok(keys))
    with caplog.at_level(logging.INFO, logger="payermax_async"):
        await _capture(client)
    [success] = events
    assert success.operation == "capture" and success.outcome == "success"
    assert success.code == "APPLY_SUCCESS" and success.attempts == 2 and success.error is None
    assert success.ids == {"out_trade_no": "ORD_1", "request_id": "R-1"} and success.latency > 0
    assert len(retries) == 1  # the per-retry event is still there, beside the call event
    [retry_log] = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert retry_log.levelno == logging.INFO  # a retry that works is not a warning

    gateway.post(URL, callback=lambda u, **kw: reply(keys, code="ORDER_NOT_EXIST"))
    with pytest.raises(ApiError):
        await _capture(client)
    assert (events[-1].outcome, events[-1].code, events[-1].attempts) == ("refused", "ORDER_NOT_EXIST", 1)

    from payermax_async import ResponseLostError

    gateway.post(URL, exception=ResponseLostError("lost"), repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await _capture(client)
    last = events[-1]
    assert (last.outcome, last.attempts, last.error) == ("unknown", 3, "OutcomeUnknownError")
    assert len(events) == 3
    await client.aclose()


def test_outcome_of_each_kind_of_ending() -> None:
    assert outcome_of(None) == ("success", "APPLY_SUCCESS")
    assert outcome_of(InvalidRequestError("bad")) == ("refused", None)
    assert outcome_of(TransportError("down")) == ("refused", None)
    unknown = OutcomeUnknownError("landed", attempts=2)
    unknown.__cause__ = ApiError("ORDER_REPEAT", "dup")
    assert outcome_of(unknown) == ("unknown", "ORDER_REPEAT")
    assert outcome_of(RuntimeError("crash")) == ("unknown", None)


async def test_otel_span_per_call_child_per_attempt_and_metrics(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    otel = OpenTelemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)
    client = make_client(instruments=[otel])
    gateway.post(URL, exception=TransportError("refused"))
    gateway.post(URL, callback=_ok(keys))
    await _capture(client)
    from payermax_async import ResponseLostError

    gateway.post(URL, exception=ResponseLostError("lost"), repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await _capture(client)
    await client.aclose()

    finished = spans.get_finished_spans()
    calls = [s for s in finished if not s.name.endswith("attempt")]
    attempts = [s for s in finished if s.name.endswith("attempt")]
    assert [c.name for c in calls] == ["PayerMax capture", "PayerMax capture"]
    ok, unknown = calls
    assert ok.kind is SpanKind.CLIENT and ok.attributes is not None
    assert ok.attributes["payermax.outcome"] == "success" and ok.attributes["payermax.attempts"] == 2
    assert ok.attributes["payermax.id.out_trade_no"] == "ORD_1"
    assert [e.name for e in ok.events] == ["retry"]
    assert unknown.status.status_code is StatusCode.ERROR and unknown.attributes is not None
    assert unknown.attributes["payermax.outcome"] == "unknown"
    assert len(attempts) == 2 + 3
    for attempt in attempts:  # every attempt is a child of its call
        assert attempt.parent is not None and attempt.parent.span_id in {
            ok.context.span_id,
            unknown.context.span_id,
        }
    first = [a for a in attempts if a.parent is not None and a.parent.span_id == ok.context.span_id]
    assert [a.status.status_code for a in first] == [StatusCode.ERROR, StatusCode.UNSET]

    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {
        m.name: list(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    durations = {
        (p.attributes["payermax.operation"], p.attributes["payermax.outcome"]): p.count
        for p in points["payermax.client.call.duration"]
    }
    assert durations == {("capture", "success"): 1, ("capture", "unknown"): 1}
    retries = {p.attributes["payermax.retry.kind"]: p.value for p in points["payermax.client.retries"]}
    assert retries == {"not_sent": 1, "maybe_sent": 2}
    [unknown_count] = points["payermax.client.outcome_unknown"]
    assert unknown_count.value == 1


def test_the_core_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, payermax_async\n"
        "from payermax_async import PayerMaxClient\n"
        "import payermax_async.client, payermax_async.sync, payermax_async.raw\n"
        "print([m for m in sys.modules if m.startswith('opentelemetry')])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_callers_sharing_one_flight_share_its_one_event(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    import asyncio
    import warnings

    events: list[CallEvent] = []
    client = make_client(on_call=events.append)
    release = asyncio.Event()

    async def slow(url: str, **kw: Any) -> Any:
        await release.wait()
        return _ok(keys)(url, **kw)

    gateway.post(URL, callback=slow)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a wrapped call that never ran would warn here
        calls = [asyncio.ensure_future(_capture(client)) for _ in range(3)]
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*calls)
    assert results[0] == results[1] == results[2] and len(gateway.requests) == 1
    assert [e.outcome for e in events] == ["success"]
    await client.aclose()
