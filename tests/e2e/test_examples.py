"""Both example services, run for real on 127.0.0.1 against the embedded gateway: the gateway's
signed notifications reach the service's webhook and are acknowledged; captures go through the
service's shared client; a failed handler is re-sent and processed once; forgeries are refused."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import uvicorn
from aiohttp import web

from examples import aiohttp_service, fastapi_service
from examples.settings import Settings
from payermax_async import (
    ACK_BODY,
    BuyerInfo,
    CaptureNotification,
    CardInfo,
    Notification,
    PaymentDetail,
    PaymentNotification,
)
from payermax_async.testing import GatewaySimulator

WEBHOOK = "/payermax/notify"


@dataclass
class Service:
    url: str
    received: list[Notification]
    fail_next: list[int] = field(default_factory=lambda: [0])  # handler failures still to inject


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def run_fastapi(app: Any, sock: socket.socket) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # startup failed: raise its error here
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def run_aiohttp(app: web.Application, sock: socket.socket) -> AsyncIterator[None]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield
    finally:
        await runner.cleanup()


Starter = Callable[[GatewaySimulator, socket.socket, Service], AbstractAsyncContextManager[None]]


def handler_for(service: Service) -> Callable[[Notification], Awaitable[None]]:
    async def handle(notification: Notification) -> None:
        if service.fail_next[0]:
            service.fail_next[0] -= 1
            raise RuntimeError("database unavailable")
        service.received.append(notification)

    return handle


def settings_of(sim: GatewaySimulator) -> Settings:
    return Settings(
        app_id=sim.app_id, merchant_no=sim.merchant_no, private_key=sim.merchant_private_key,
        payermax_public_key=sim.payermax_public_key, base_url=sim.base_url, notify_max_age=300,
    )  # fmt: skip


def start_fastapi(
    sim: GatewaySimulator, sock: socket.socket, service: Service
) -> AbstractAsyncContextManager[None]:
    app = fastapi_service.create_app(settings_of(sim), on_notification=handler_for(service))
    return run_fastapi(app, sock)


def start_aiohttp(
    sim: GatewaySimulator, sock: socket.socket, service: Service
) -> AbstractAsyncContextManager[None]:
    app = aiohttp_service.create_app(settings_of(sim), on_notification=handler_for(service))
    return run_aiohttp(app, sock)


@pytest.fixture(params=["fastapi", "aiohttp"])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[tuple[GatewaySimulator, Service]]:
    """The gateway and the example service, each knowing the other's address on 127.0.0.1."""
    starter: Starter = start_fastapi if request.param == "fastapi" else start_aiohttp
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # PayerMax's re-send schedule, compressed: at once, then twice more shortly after.
    async with GatewaySimulator(notify_url=url + WEBHOOK, notify_retry_delays=(0, 0.05, 0.05)) as sim:
        service = Service(url, [])
        async with starter(sim, sock, service):
            yield sim, service


async def authorize(sim: GatewaySimulator, out_trade_no: str) -> None:
    async with sim.client() as client:
        await client.order_and_pay(
            out_trade_no, "40.00", "USD", country="US", subject="Deposit", user_id="u-1",
            integrate="Direct_Payment", terminal_type="WEB", capture_mode="MANUAL",
            payment_detail=PaymentDetail(
                payment_method_type="CARD",
                card_info=CardInfo(card_identifier_no="4111111111111111", cvv="123"),
                buyer_info=BuyerInfo(client_ip="127.0.0.1", user_agent="Mozilla/5.0"),
            ),
        )  # fmt: skip


async def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.read()


async def test_notifications_reach_the_webhook_and_are_acknowledged(
    stack: tuple[GatewaySimulator, Service],
) -> None:
    sim, service = stack
    await authorize(sim, "EX_AUTH_1")
    order = {"out_trade_no": "EX_AUTH_1", "amount": "40.00", "currency": "USD", "request_id": "EX_CAP_1"}
    status, answer = await post(
        service.url + "/captures", json.dumps(order).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200, answer
    capture = json.loads(answer)
    assert (
        capture["status"] == "SUCCESS"
        and capture["request_id"] == "EX_CAP_1"
        and capture["amount"] == "40.00"
    )

    assert await sim.wait_notifications(timeout=5)
    assert [n.notify_type for n in sim.notifications] == ["PAYMENT", "CAPTURE"]
    for record in sim.notifications:
        assert record.delivered and len(record.attempts) == 1
        assert record.attempts[0].http_status == 200 and record.attempts[0].body == ACK_BODY
    payment, captured = service.received
    assert isinstance(payment, PaymentNotification) and payment.data is not None
    assert payment.data.out_trade_no == "EX_AUTH_1"
    assert isinstance(captured, CaptureNotification) and captured.data is not None
    assert captured.data.request_id == "EX_CAP_1"

    # PayerMax re-sending an acknowledged notification: acknowledged again, not processed again.
    first = sim.notifications[0]
    assert await post(service.url + WEBHOOK, first.body, {"sign": first.sign}) == (200, ACK_BODY)
    assert len(service.received) == 2


async def test_forged_and_unsigned_notifications_are_refused(stack: tuple[GatewaySimulator, Service]) -> None:
    sim, service = stack
    await authorize(sim, "EX_AUTH_2")
    assert await sim.wait_notifications(timeout=5)
    [record] = sim.notifications
    forged = record.body.replace(b'"SUCCESS"', b'"FAILED"')
    assert forged != record.body
    for body, headers in ((forged, {"sign": record.sign}), (record.body, {}), (record.body, {"sign": "x"})):
        status, answer = await post(service.url + WEBHOOK, body, headers)
        assert status == 401 and answer != ACK_BODY
    assert len(service.received) == 1


async def test_failed_handler_is_resent_and_processed_once(stack: tuple[GatewaySimulator, Service]) -> None:
    sim, service = stack
    service.fail_next[0] = 1
    await authorize(sim, "EX_AUTH_3")
    assert await sim.wait_notifications(timeout=5)
    [record] = sim.notifications
    assert [a.http_status for a in record.attempts] == [500, 200] and record.delivered
    [notification] = service.received
    assert isinstance(notification, PaymentNotification) and notification.data is not None
    assert notification.data.out_trade_no == "EX_AUTH_3"


async def test_capture_endpoint_maps_errors(stack: tuple[GatewaySimulator, Service]) -> None:
    _, service = stack
    headers = {"Content-Type": "application/json"}

    async def capture(**body: Any) -> tuple[int, dict[str, Any]]:
        status, answer = await post(service.url + "/captures", json.dumps(body).encode(), headers)
        return status, json.loads(answer)

    status, answer = await capture(out_trade_no="EX_1", amount="1.001", currency="USD")
    assert status == 422 and answer["field"] == "amount"  # the wire name: capture sends amount
    status, answer = await capture(out_trade_no="EX_NOPE", amount="1.00", currency="USD")
    assert status == 409 and answer["code"] == "ORDER_NOT_EXIST"


@pytest.mark.parametrize("module", [fastapi_service, aiohttp_service])
def test_settings_come_from_the_environment(module: Any) -> None:
    env = {
        "PAYERMAX_APP_ID": "a",
        "PAYERMAX_MERCHANT_NO": "m",
        "PAYERMAX_PRIVATE_KEY": "k",
        "PAYERMAX_PUBLIC_KEY": "p",
        "PAYERMAX_BASE_URL": "http://127.0.0.1:1",
        "PAYERMAX_NOTIFY_MAX_AGE": "60",
    }
    settings = module.Settings.from_env(env)
    assert (settings.app_id, settings.base_url, settings.notify_max_age) == ("a", "http://127.0.0.1:1", 60.0)
    with pytest.raises(RuntimeError, match="PAYERMAX_PUBLIC_KEY"):
        module.Settings.from_env({k: v for k, v in env.items() if k != "PAYERMAX_PUBLIC_KEY"})
