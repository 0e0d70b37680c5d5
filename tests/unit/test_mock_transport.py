"""MockTransport: the unit tests' HTTP, with no socket. It must behave like the real transport where
the layers above can tell: exact bytes, case-insensitive headers, timeouts, typed failures."""

from __future__ import annotations

import asyncio

import pytest

from payermax_async import ResponseLostError, TransportError
from payermax_async.transport import HttpResponse, MockRequest, MockTransport


async def test_mock_transport_hands_the_exact_bytes_to_its_handler() -> None:
    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse(201, {"X-Sign": "s"}, b"answer")

    transport = MockTransport(handler)
    response = await transport.post("http://127.0.0.1:9/x", b'{"a":1}', {"sign": "abc"}, timeout=1.0)
    assert (response.status, response.body) == (201, b"answer")
    assert response.headers.get("x-sign") == "s"  # case-insensitive, like aiohttp's
    assert transport.requests == seen
    assert seen[0] == MockRequest("http://127.0.0.1:9/x", b'{"a":1}', {"sign": "abc"}, 1.0)
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.post("http://127.0.0.1:9/x", b"", {}, timeout=1.0)


async def test_mock_transport_bounds_a_slow_handler_by_the_timeout() -> None:
    async def never(request: MockRequest) -> HttpResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with pytest.raises(ResponseLostError, match=r"no response within 0\.01s"):
        await MockTransport(never).post("http://127.0.0.1:9/x", b"", {}, timeout=0.01)


async def test_mock_transport_passes_a_handlers_failure_through() -> None:
    def refuse(request: MockRequest) -> HttpResponse:
        raise TransportError("could not connect")

    with pytest.raises(TransportError):
        await MockTransport(refuse).post("http://127.0.0.1:9/x", b"", {}, timeout=1.0)
