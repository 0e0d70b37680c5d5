"""The blocking facade: the async client's methods on a private loop thread, shared by threads."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import ApiError, CaptureItem, OrderQueryResult, PaymentStatus
from payermax_async.sync import PayerMaxClient

from ..support import URL, Keys, ScriptedGateway, capture_data, reply


@pytest.fixture
def make_sync(keys: Keys, gateway: ScriptedGateway) -> Callable[..., PayerMaxClient]:
    def make(**kwargs: Any) -> PayerMaxClient:
        return PayerMaxClient(
            app_id="app-test",
            merchant_no="M-TEST-1",
            private_key=keys.merchant_private,
            payermax_public_key=keys.payermax_public,
            base_url="http://127.0.0.1:9",
            transport=gateway.transport(),
            **kwargs,
        )

    return make


def _echo(keys: Keys) -> Callable[..., Any]:
    def answer(url: str, **kw: Any) -> Any:
        data = json.loads(kw["data"])["data"]
        return reply(keys, data=capture_data(requestId=data["requestId"], outTradeNo=data["outTradeNo"]))

    return answer


def test_blocking_calls_from_many_threads_share_one_client(
    make_sync: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_echo(keys), repeat=True)
    with make_sync() as client:
        callers: set[int] = set()

        def capture(n: int) -> str:
            result = client.capture(out_trade_no=f"ORD_{n}", amount=Decimal("1"), currency="USD")
            callers.add(threading.get_ident())
            return str(result.out_trade_no)

        with ThreadPoolExecutor(8) as pool:
            done = list(pool.map(capture, range(40)))
        assert done == [f"ORD_{n}" for n in range(40)]
        assert len(gateway.requests) == 40 and len(callers) > 1  # from several threads at once
    assert client.closed
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")


def test_resources_errors_call_and_options_work_blocking(
    make_sync: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    query = URL.replace("capture", "orderQuery")
    answer = {
        "outTradeNo": "ORD_1",
        "tradeToken": "T",
        "totalAmount": 5,
        "currency": "USD",
        "status": "SUCCESS",
    }
    gateway.post(query, callback=lambda u, **kw: reply(keys, data=answer), repeat=True)
    balances = URL.replace("capture", "currentBalanceQuery")
    gateway.post(balances, callback=lambda u, **kw: reply(keys, data={"accountRealTimeTypes": []}))
    gateway.post(URL, callback=lambda u, **kw: reply(keys, code="ORDER_NOT_EXIST"))
    client = make_sync()
    try:
        result = client.order_query("ORD_1")
        assert isinstance(result, OrderQueryResult) and result.status is PaymentStatus.SUCCESS
        assert client.balances.current().account_real_time_types == []
        with pytest.raises(ApiError) as refused:
            client.capture(out_trade_no="ORD_1", amount=Decimal("1"), currency="USD")
        assert refused.value.code == "ORDER_NOT_EXIST"
        typed = client.call("orderQuery", {"outTradeNo": "ORD_1"}, result_type=OrderQueryResult)
        assert typed.total_amount == Decimal(5)
        untyped = client.call("orderQuery", {"outTradeNo": "ORD_1"})
        assert untyped["totalAmount"] == 5
        quick = client.with_options(timeout=2.5)
        quick.order_query("ORD_1")
        assert gateway.requests[-1].timeout == 2.5
        quick.close()  # a view leaves the loop and pool to its client
        assert not client.closed and client.config.app_id == "app-test"
        assert "M-TEST-1" in repr(client) and "PRIVATE" not in repr(client)
    finally:
        client.close()


def test_capture_many_yields_outcomes_blocking(
    make_sync: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=_echo(keys), repeat=True)
    with make_sync() as client:
        items = [CaptureItem(f"ORD_{n}", Decimal("1"), "USD") for n in range(5)]
        outcomes = list(client.capture_many(items, concurrency=2))
    assert sorted(o.item.out_trade_no for o in outcomes) == [f"ORD_{n}" for n in range(5)]
    assert all(o.result is not None and o.result.out_trade_no == o.item.out_trade_no for o in outcomes)


def test_a_blocking_call_from_its_own_loop_is_refused(make_sync: Callable[..., PayerMaxClient]) -> None:
    with make_sync() as client:

        async def inside() -> None:
            with pytest.raises(RuntimeError, match="deadlock"):
                client.order_query("ORD_1")

        asyncio.run_coroutine_threadsafe(inside(), client._runner.loop).result()
