"""Pool-wait telemetry over a real aiohttp pool: with one connection, concurrent calls queue."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from payermax_async import CallEvent
from payermax_async.otel import OpenTelemetry
from payermax_async.testing import GatewaySimulator


async def test_pool_wait_is_measured_per_request(payermax_simulator: GatewaySimulator) -> None:
    reader = InMemoryMetricReader()
    otel = OpenTelemetry(meter_provider=MeterProvider(metric_readers=[reader]))
    events: list[CallEvent] = []
    orders = [f"POOL_{n}" for n in range(6)]
    for order in orders:
        payermax_simulator.authorize(order, Decimal("1.00"), "USD")
    async with payermax_simulator.client(
        max_connections=1, instruments=[otel], on_call=events.append
    ) as client:
        await asyncio.gather(*(client.capture(o, Decimal("1.00"), "USD") for o in orders))
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {
        m.name: list(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    [waits] = points["payermax.client.pool.wait"]
    assert waits.attributes == {"payermax.operation": "capture"}
    assert waits.count == len(orders)  # one measurement per request
    assert waits.max > 0  # with one connection, some requests waited for it
    assert sorted(e.ids["out_trade_no"] for e in events) == orders
    assert {e.outcome for e in events} == {"success"}
