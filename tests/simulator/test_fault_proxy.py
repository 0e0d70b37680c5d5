"""The fault proxy, behaviour by behaviour, against a tiny recording upstream on 127.0.0.1.

Each test looks at the bytes on both sides: what the upstream received (so "forwarded" and "never
forwarded" are facts, not the proxy's word) and what the client received.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest

from payermax_async.testing.fault_proxy import ANCIENT_DATE, FaultProxy, ProxyAction, ProxyRule

S = TypeVar("S", bound="LoopbackServer")


class LoopbackServer:
    """A throwaway HTTP/1.1 server on 127.0.0.1 for the proxy to forward to; ``_serve`` answers."""

    connections = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aenter__(self: S) -> S:
        self._accepted: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._accepted[writer] = asyncio.create_task(self._serve(reader, writer))

    async def __aexit__(self, *exc: object) -> None:
        """Server.close() leaves accepted connections open (and on 3.11 wait_closed() does not wait
        for them): end each one here, so no socket outlives the test's loop."""
        assert self._server is not None
        self._server.close()
        for writer, task in self._accepted.items():
            task.cancel()
            writer.close()
        await asyncio.gather(*self._accepted.values(), return_exceptions=True)
        await asyncio.gather(*(w.wait_closed() for w in self._accepted), return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


class Upstream(LoopbackServer):
    """Answers every request with a signed-looking success that names the request's order.

    ``mode`` shapes the framing of its answers: ``length`` (Content-Length, keep-alive),
    ``chunked``, or ``eof`` (no length, the connection closes after the answer).
    """

    def __init__(self, mode: str = "length") -> None:
        self.mode = mode
        self.received = bytearray()
        self.requests: list[bytes] = []
        self.answers: list[bytes] = []
        self.connections = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                body = await reader.readexactly(content_length(head))
                self.received += head + body
                self.requests.append(head + body)
                order = json.loads(body)["data"]["outTradeNo"]
                answer = self._answer(order)
                self.answers.append(answer)
                writer.write(answer)
                await writer.drain()
                if self.mode == "eof":
                    return
        finally:
            writer.close()

    def _answer(self, order: str) -> bytes:
        payload = json.dumps(
            {
                "code": "APPLY_SUCCESS",
                "msg": "Success.",
                "data": {"outTradeNo": order, "n": len(self.requests)},
            }
        ).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nsign: SIG-{order}\r\n"
        if self.mode == "chunked":
            half = len(payload) // 2
            chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
                half,
                payload[:half],
                len(payload) - half,
                payload[half:],
            )
            return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks
        if self.mode == "eof":
            return (head + "Connection: close\r\n\r\n").encode() + payload
        return (head + f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def request(order: str, api: str = "capture") -> bytes:
    body = json.dumps({"version": "1.5", "data": {"outTradeNo": order, "requestId": f"R-{order}"}}).encode()
    return (
        f"POST /aggregate-pay/api/gateway/{api} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def read_answer(reader: asyncio.StreamReader) -> bytes:
    """One Content-Length framed answer, parsed independently of the proxy's own reader."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


def body_of(answer: bytes) -> bytes:
    return answer.split(b"\r\n\r\n", 1)[1]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with Upstream() as up:
        yield up


async def connect(proxy: FaultProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def test_pass_relays_bytes_exactly_over_one_keep_alive_connection(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url) as proxy:
        reader, writer = await connect(proxy)
        got = []
        for order in ("A", "B", "C"):
            writer.write(request(order))
            got.append(await read_answer(reader))
        writer.close()
    assert bytes(upstream.received) == request("A") + request("B") + request("C")
    assert got == upstream.answers and upstream.connections == 1
    assert proxy.counts == {ProxyAction.PASS: 3} and proxy.forwarded == 3


async def test_drop_forwards_then_closes_without_a_byte(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.DROP)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        assert await reader.read() == b""
        writer.close()
    assert upstream.requests == [request("A")] and len(upstream.answers) == 1
    assert proxy.counts == {ProxyAction.DROP: 1}


async def test_truncate_sends_a_strict_prefix_of_the_real_answer(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.TRUNCATE)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        got = await reader.read()
        writer.close()
    answer = upstream.answers[0]
    assert upstream.requests == [request("A")]
    assert got and len(got) < len(answer) and answer.startswith(got) and b"\r\n\r\n" in got
    assert proxy.counts == {ProxyAction.TRUNCATE: 1}


async def test_reset_forwards_then_resets_the_connection(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.RESET)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        with pytest.raises(ConnectionResetError):
            await reader.read()
        writer.close()
    assert upstream.requests == [request("A")]
    assert proxy.counts == {ProxyAction.RESET: 1}


async def test_delay_holds_the_forwarded_answer(upstream: Upstream) -> None:
    proxy = await FaultProxy(upstream.url, [ProxyRule(ProxyAction.DELAY, delay=3600, times=1)]).start()
    try:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        pending = asyncio.ensure_future(reader.read(1))
        done, _ = await asyncio.wait([pending], timeout=0.3)
        assert not done  # an hour-long hold: nothing has come back
        assert upstream.requests == [request("A")]  # though the upstream has it
    finally:
        await proxy.close()  # closing cuts the hold short: the answer never comes
    assert await pending == b""
    writer.close()
    assert proxy.counts == {ProxyAction.DELAY: 1}


async def test_short_delay_then_the_exact_answer(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.DELAY, delay=0.01)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        assert await read_answer(reader) == upstream.answers[0]
        writer.close()


async def test_bad_gateway_never_forwards_and_keeps_the_connection(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.BAD_GATEWAY, times=1)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        first = await read_answer(reader)
        writer.write(request("B"))  # same connection: the 502 was properly framed
        second = await read_answer(reader)
        writer.close()
    assert first.startswith(b"HTTP/1.1 502 ") and b"<html>" in body_of(first) and b"sign:" not in first
    assert upstream.requests == [request("B")]  # A never reached the upstream
    assert second == upstream.answers[0]
    assert proxy.counts == {ProxyAction.BAD_GATEWAY: 1, ProxyAction.PASS: 1} and proxy.forwarded == 1


async def test_bad_gateway_after_forwarding(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.BAD_GATEWAY_AFTER)]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        got = await read_answer(reader)
        writer.close()
    assert got.startswith(b"HTTP/1.1 502 ") and b"text/html" in got
    assert upstream.requests == [request("A")]
    assert proxy.events[0].forwarded and proxy.events[0].action is ProxyAction.BAD_GATEWAY_AFTER


@pytest.mark.parametrize("code", ["ORDER_NOT_EXIST", "PARAMS_INVALID", "ORDER_REPEAT", "REQ_TIME_OVER_TIME"])
async def test_unsigned_error_after_forwarding(upstream: Upstream, code: str) -> None:
    date = ANCIENT_DATE if code == "REQ_TIME_OVER_TIME" else None
    rule = ProxyRule(ProxyAction.UNSIGNED_ERROR, code=code, msg="nope", date=date)
    async with FaultProxy(upstream.url, [rule]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        got = await read_answer(reader)
        writer.close()
    assert upstream.requests == [request("A")]
    assert json.loads(body_of(got)) == {"code": code, "msg": "nope"}
    head = got.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nsign:" not in head
    assert (b"date: mon, 01 jan 1900" in head) == (date is not None)


async def test_swap_answers_with_another_orders_signed_answer(upstream: Upstream) -> None:
    async with FaultProxy(upstream.url, [ProxyRule(ProxyAction.SWAP, api_name="capture")]) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        first = await read_answer(reader)  # nothing to swap with yet: relayed as is
        writer.write(request("B"))
        second = await read_answer(reader)
        writer.write(request("C", api="refund"))  # the rule is for captures only
        third = await read_answer(reader)
        writer.close()
    assert upstream.requests == [request("A"), request("B"), request("C", api="refund")]
    assert first == upstream.answers[0]
    assert second == upstream.answers[0] and b"SIG-A" in second  # B got A's signed answer
    assert third == upstream.answers[2]
    assert proxy.swap_misses == 1 and proxy.counts == {ProxyAction.PASS: 2, ProxyAction.SWAP: 1}
    swapped = proxy.events[1]
    assert dict(swapped.ids)["outTradeNo"] == "B" and dict(swapped.answered_with or ())["outTradeNo"] == "A"


async def test_answers_delimited_by_the_end_of_the_connection() -> None:
    async with Upstream("eof") as up, FaultProxy(up.url) as proxy:
        got = []
        for order in ("A", "B"):
            reader, writer = await connect(proxy)
            writer.write(request(order))
            got.append(await reader.read())  # the proxy closes once the upstream did
            writer.close()
    assert got == up.answers and up.requests == [request("A"), request("B")]


async def test_chunked_answers_on_a_keep_alive_connection() -> None:
    async with Upstream("chunked") as up, FaultProxy(up.url) as proxy:
        reader, writer = await connect(proxy)
        received = b""
        for order in ("A", "B"):
            writer.write(request(order))
            head = await reader.readuntil(b"\r\n\r\n")
            received += head + await reader.readuntil(b"0\r\n\r\n")
        writer.close()
    assert received == b"".join(up.answers) and up.connections == 1


async def test_same_seed_same_decisions(upstream: Upstream) -> None:
    rules = [ProxyRule(ProxyAction.BAD_GATEWAY, probability=0.5)]
    seen = []
    for _ in range(2):
        async with FaultProxy(upstream.url, rules, seed=42) as proxy:
            reader, writer = await connect(proxy)
            for i in range(20):
                writer.write(request(f"O{i}"))
                await read_answer(reader)
            writer.close()
        seen.append([e.action for e in proxy.events])
    assert seen[0] == seen[1] and 0 < seen[0].count(ProxyAction.BAD_GATEWAY) < 20


async def test_unreachable_upstream_ends_the_connection() -> None:
    async with Upstream() as up:
        url = up.url
    async with FaultProxy(url) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        assert await reader.read() == b""
        writer.close()
    assert proxy.forwarded == 0


def test_rules_and_upstream_are_checked() -> None:
    with pytest.raises(ValueError, match="upstream"):
        FaultProxy("http://10.0.0.1:80")
    with pytest.raises(ValueError, match="probability"):
        ProxyRule(ProxyAction.PASS, probability=2)
    with pytest.raises(ValueError, match="delay"):
        ProxyRule(ProxyAction.DELAY, delay=-1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = FaultProxy("http://127.0.0.1:1").base_url


# ---------------------------------------------------------------------------- framing edge cases


class Scripted(LoopbackServer):
    """An upstream that answers its n-th request with ``answers[n]`` (raw bytes, any framing) and
    reads requests framed by Content-Length or chunked encoding."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.received: list[bytes] = []
        self.connections = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while len(self.received) < len(self.answers):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                if b"chunked" in head.lower():
                    body = await reader.readuntil(b"\r\n\r\n")  # the tests send a trailer
                else:
                    body = await reader.readexactly(content_length(head))
                self.received.append(head + body)
                answer = self.answers[len(self.received) - 1]
                writer.write(answer)
                await writer.drain()
                if b"HTTP/1.0" in answer.split(b"\r\n", 1)[0]:
                    return
        finally:
            writer.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_a_chunked_request_is_forwarded_byte_for_byte() -> None:
    chunked = (
        b"POST /aggregate-pay/api/gateway/capture HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    async with Scripted([OK]) as up, FaultProxy(up.url) as proxy:
        reader, writer = await connect(proxy)
        writer.write(chunked)
        assert await read_answer(reader) == OK
        writer.close()
    assert up.received == [chunked]


@pytest.mark.parametrize(
    "garbage",
    [
        b"POST /x HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",  # then the client goes quiet
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /x HTTP/1.1\r\nHost",  # the head never ends
    ],
)
async def test_a_request_that_is_not_http_ends_the_connection_unforwarded(garbage: bytes) -> None:
    async with Scripted([OK]) as up, FaultProxy(up.url) as proxy:
        reader, writer = await connect(proxy)
        writer.write(garbage)
        writer.write_eof()
        assert await reader.read() == b""
        writer.close()
    assert up.received == [] and proxy.forwarded == 0


async def test_bodiless_and_http10_answers() -> None:
    no_content = b"HTTP/1.1 204 No Content\r\nsign: x\r\n\r\n"
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold"
    async with Scripted([no_content, old, OK]) as up, FaultProxy(up.url) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        assert await reader.readuntil(b"\r\n\r\n") == no_content
        writer.write(request("B"))
        assert await read_answer(reader) == old
        assert await reader.read() == b""  # relayed as is, HTTP/1.0 means the connection ends
        writer.close()
        reader, writer = await connect(proxy)
        writer.write(request("C"))
        assert await read_answer(reader) == OK
        writer.close()
    assert up.connections == 2 and len(up.received) == 3


async def test_a_malformed_answer_ends_the_client_connection() -> None:
    async with Scripted([b"HTTP/1.1 OK-ish\r\n\r\n"]) as up, FaultProxy(up.url) as proxy:
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        assert await reader.read() == b""
        writer.close()
    assert len(up.received) == 1 and proxy.forwarded == 0


async def test_truncating_a_bodiless_answer_cuts_its_head() -> None:
    no_content = b"HTTP/1.1 204 No Content\r\nsign: x\r\n\r\n"
    async with (
        Scripted([no_content]) as up,
        FaultProxy(up.url, [ProxyRule(ProxyAction.TRUNCATE)]) as proxy,
    ):
        reader, writer = await connect(proxy)
        writer.write(request("A"))
        got = await reader.read()
        writer.close()
    assert got == no_content[: len(no_content) // 2]


async def test_only_signed_successes_are_swapped_in() -> None:
    unsigned = b'HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n{"code":"APPLY_SUCCESS"}'
    refused = b'HTTP/1.1 200 OK\r\nsign: s\r\nContent-Length: 17\r\n\r\n{"code":"REFUSE"}'
    junk = b"HTTP/1.1 200 OK\r\nsign: s\r\nContent-Length: 4\r\n\r\njunk"
    async with (
        Scripted([unsigned, refused, junk, OK]) as up,
        FaultProxy(up.url, [ProxyRule(ProxyAction.SWAP)]) as proxy,
    ):
        reader, writer = await connect(proxy)
        got = []
        for order in "ABCD":
            writer.write(request(order))
            got.append(await read_answer(reader))
        writer.close()
    assert got == up.answers and proxy.swap_misses == 4
