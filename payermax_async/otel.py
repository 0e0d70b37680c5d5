"""OpenTelemetry for PayerMax calls (``pip install 'payermax-async[otel]'``).

    from payermax_async.otel import OpenTelemetry
    client = PayerMaxClient(..., instruments=[OpenTelemetry()])

Spans: one ``PayerMax <apiName>`` span (kind CLIENT) per logical call, with one child
``PayerMax <apiName> attempt`` span per attempt, so a retried call shows as one operation with
its attempts under it; each retry is also an event on the call span. Metrics:

- ``payermax.client.call.duration`` (s): per call, by ``payermax.operation`` and ``payermax.outcome``
- ``payermax.client.retries``: by ``payermax.operation`` and ``payermax.retry.kind``
- ``payermax.client.outcome_unknown``: calls that ended with the outcome unknown, by operation
- ``payermax.client.pool.wait`` (s): time a request waited for a pooled connection

Business ids go on the call span as ``payermax.id.<name>`` (never a key, card or body).
Only this module imports OpenTelemetry; a client without it never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._identity import package_version
from ._telemetry import CallEvent
from .retry import RetryEvent

__all__ = ["OpenTelemetry"]

_NAME = "payermax_async"


class OpenTelemetry:
    """An :class:`~payermax_async._telemetry.Instrument` writing OpenTelemetry spans and metrics.

    Without providers it uses the global ones (what ``opentelemetry-instrument`` sets up).
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        version = package_version()
        self._tracer = trace.get_tracer(_NAME, version, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_NAME, version, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "payermax.client.call.duration", unit="s", description="PayerMax calls, retries included"
        )
        self._retries = meter.create_counter(
            "payermax.client.retries", unit="{retry}", description="retries, by failure kind"
        )
        self._unknown = meter.create_counter(
            "payermax.client.outcome_unknown", unit="{call}", description="calls whose outcome is unknown"
        )
        self._pool_wait = meter.create_histogram(
            "payermax.client.pool.wait", unit="s", description="time waiting for a pooled connection"
        )

    def start_call(self, operation: str, ids: Mapping[str, str]) -> Any:
        attributes: dict[str, str] = {"payermax.operation": operation}
        attributes.update({f"payermax.id.{k}": v for k, v in ids.items()})
        span = self._tracer.start_span(f"PayerMax {operation}", kind=SpanKind.CLIENT, attributes=attributes)
        return span, operation

    def start_attempt(self, call: Any, attempt: int) -> Any:
        span, operation = call
        child = self._tracer.start_span(
            f"PayerMax {operation} attempt",
            context=trace.set_span_in_context(span),
            kind=SpanKind.CLIENT,
            attributes={"payermax.operation": operation, "payermax.attempt": attempt},
        )
        # HTTP client instrumentation, if any, nests its span under the attempt.
        token = otel_context.attach(trace.set_span_in_context(child))
        return child, token

    def end_attempt(self, attempt: Any, error: BaseException | None) -> None:
        child, token = attempt
        otel_context.detach(token)
        if error is not None:
            child.set_status(Status(StatusCode.ERROR, type(error).__name__))
            child.set_attribute("error.type", type(error).__name__)
        child.end()

    def retry(self, call: Any, event: RetryEvent) -> None:
        span, operation = call
        span.add_event(
            "retry",
            {
                "payermax.attempt": event.attempt,
                "payermax.retry.kind": event.kind.value,
                "delay_s": event.delay,
            },
        )
        self._retries.add(1, {"payermax.operation": operation, "payermax.retry.kind": event.kind.value})

    def end_call(self, call: Any, event: CallEvent) -> None:
        span, operation = call
        span.set_attribute("payermax.outcome", event.outcome)
        span.set_attribute("payermax.attempts", event.attempts)
        if event.code is not None:
            span.set_attribute("payermax.code", event.code)
        if event.outcome != "success":
            span.set_status(Status(StatusCode.ERROR, event.error or event.outcome))
            if event.error is not None:
                span.set_attribute("error.type", event.error)
        span.end()
        attributes = {"payermax.operation": operation, "payermax.outcome": event.outcome}
        self._duration.record(event.latency, attributes)
        if event.outcome == "unknown":
            self._unknown.add(1, {"payermax.operation": operation})

    def pool_wait(self, operation: str | None, seconds: float) -> None:
        self._pool_wait.record(seconds, {"payermax.operation": operation or ""})

    def __repr__(self) -> str:
        return "OpenTelemetry()"
