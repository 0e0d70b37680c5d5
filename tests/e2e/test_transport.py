"""The real HTTP path on 127.0.0.1: pooling, timeouts, dropped connections, and which of them count as
'maybe sent'."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from payermax_async import OutcomeUnknownError, PayerMaxClient, ResponseLostError, RetryEvent, TransportError
from payermax_async.transport import AiohttpTransport

from ..support import Keys

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Server:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.peers: set[tuple[str, int]] = set()
        self.hits = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.behaviour: Callable[[web.Request, int], Awaitable[web.StreamResponse | None]] | None = None
        self.base_url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            peer = request.transport.get_extra_info("peername") if request.transport else None
            if peer:
                self.peers.add(peer[:2])
            if self.behaviour is not None:
                special = await self.behaviour(request, self.hits)
                if special is not None:
                    return special
            envelope = json.loads(await request.read())
            data = envelope["data"]
            body = json.dumps(
                {
                    "code": "APPLY_SUCCESS",
                    "msg": "Success.",
                    "data": {
                        "captureNo": f"CP-{data['requestId']}",
                        "requestId": data["requestId"],
                        "outTradeNo": data["outTradeNo"],
                        "amount": data["amount"],
                        "currency": data["currency"],
                        "status": "SUCCESS",
                        "isFinal": True,
                    },
                }
            ).encode()
            await asyncio.sleep(0.002)  # a little service time so requests overlap
            return web.Response(
                body=body, content_type="application/json", headers={"sign": self.keys.payermax_sign(body)}
            )
        finally:
            self.in_flight -= 1


@pytest.fixture
async def server(keys: Keys) -> AsyncIterator[Server]:
    srv = Server(keys)
    app = web.Application()
    app.router.add_post("/aggregate-pay/api/gateway/{api}", srv.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.base_url = f"http://127.0.0.1:{port}"
    yield srv
    await runner.cleanup()


async def test_300_concurrent_captures_reuse_a_bounded_pool(
    server: Server, make_client: Callable[..., PayerMaxClient]
) -> None:
    async with make_client(base_url=server.base_url, max_connections=10) as client:
        results = await asyncio.gather(
            *(client.capture(f"ORD_{i}", Decimal("1.00"), "USD", request_id=f"R_{i}") for i in range(300))
        )
    assert sorted(str(r.request_id) for r in results) == sorted(f"R_{i}" for i in range(300))
    assert server.hits == 300
    assert server.max_in_flight <= 10
    assert 1 < len(server.peers) <= 10  # connections were opened in parallel, never more than the limit


async def test_read_timeout_is_maybe_sent_and_ends_as_outcome_unknown(
    server: Server, make_client: Callable[..., PayerMaxClient]
) -> None:
    async def slow(request: web.Request, hit: int) -> None:
        await asyncio.sleep(0.5)
        return None

    server.behaviour = slow
    async with make_client(base_url=server.base_url, timeout=0.05, max_retries=1) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.capture("ORD_1", "1.00", "USD", request_id="R_T")
    assert isinstance(info.value.__cause__, ResponseLostError)
    assert info.value.attempts == 2 and info.value.request_id == "R_T"
    assert server.hits == 2


async def test_connection_dropped_mid_response_then_success(
    server: Server, make_client: Callable[..., PayerMaxClient]
) -> None:
    async def drop_first(request: web.Request, hit: int) -> None:
        if hit == 1:
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        return None

    server.behaviour = drop_first
    async with make_client(base_url=server.base_url) as client:
        result = await client.capture("ORD_1", "1.00", "USD", request_id="R_D")
    assert result.request_id == "R_D" and server.hits == 2


async def test_retry_after_is_honoured(server: Server, make_client: Callable[..., PayerMaxClient]) -> None:
    async def limited(request: web.Request, hit: int) -> web.Response | None:
        if hit == 1:
            return web.Response(status=429, text="slow down", headers={"Retry-After": "0.2"})
        return None

    server.behaviour = limited
    delays: list[float] = []
    async with make_client(base_url=server.base_url, on_retry=lambda e: delays.append(e.delay)) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.capture("ORD_1", "1.00", "USD")
        waited = loop.time() - started
    assert delays == [0.2]
    assert waited >= 0.2  # a lower bound only: the sleep really happened


async def test_queueing_for_a_connection_does_not_eat_the_timeout(server: Server, keys: Keys) -> None:
    """With the only connection busy for longer than the timeout, the second request waits in line
    and then gets its full timeout: waiting is not the gateway being slow."""

    async def slow(request: web.Request, hit: int) -> None:
        await asyncio.sleep(0.2 if hit == 1 else 0)
        return None

    server.behaviour = slow
    transport = AiohttpTransport(max_connections=1)
    url = server.base_url + "/aggregate-pay/api/gateway/capture"
    body = b'{"data":{"requestId":"R","outTradeNo":"O","amount":1,"currency":"USD"}}'
    try:
        first = asyncio.ensure_future(transport.post(url, body, {}, timeout=1.0))
        await asyncio.sleep(0.02)
        second = await transport.post(url, body, {}, timeout=0.15)
        assert second.status == 200 and (await first).status == 200
    finally:
        await transport.aclose()


async def test_pool_wait_timeout_of_a_user_session_is_not_sent(server: Server, keys: Keys) -> None:
    """A caller's own session with a tiny pool: aiohttp's wait for a connection times out in the
    connect phase; the request never left, so it is a TransportError, not an unknown outcome."""

    async def slow(request: web.Request, hit: int) -> None:
        await asyncio.sleep(0.4)
        return None

    server.behaviour = slow
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    transport = AiohttpTransport(connect_timeout=0.05, session=session)
    url = server.base_url + "/aggregate-pay/api/gateway/capture"
    try:
        busy = asyncio.ensure_future(transport.post(url, b"{}", {}, timeout=2.0))
        await asyncio.sleep(0.05)
        with pytest.raises(TransportError, match="pooled connection"):
            await transport.post(url, b"{}", {}, timeout=2.0)
        await busy
    finally:
        await transport.aclose()
        assert not session.closed
        await session.close()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.post(url, b"{}", {}, timeout=1.0)


async def test_connection_refused_is_a_transport_error_after_retries(
    make_client: Callable[..., PayerMaxClient], unused_tcp_port: int
) -> None:
    events: list[RetryEvent] = []
    async with make_client(base_url=f"http://127.0.0.1:{unused_tcp_port}", on_retry=events.append) as client:
        with pytest.raises(TransportError, match="could not connect") as info:
            await client.capture("ORD_1", "100", "USD", request_id="R_3")
    assert [e.attempt for e in events] == [1, 2]
    assert all(e.kind.value == "not_sent" for e in events)
    assert {e.ids["request_id"] for e in events} == {"R_3"}
    assert info.value.request_id == "R_3"
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)
