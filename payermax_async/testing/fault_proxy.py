"""A fault proxy: a TCP man in the middle between a client and a gateway, both on 127.0.0.1.

The simulator's own faults are faults *of the gateway*. The network and the intermediaries in
front of it fail differently: a load balancer answers 502 after it forwarded the request, a
connection is reset after the request was processed, a cache or a buggy pool hands one caller
another caller's answer, an edge box writes an unsigned error. This proxy forwards the real bytes
to a real upstream (the simulator) and misbehaves per request, so what the client came to believe
can be checked against what the upstream actually did.

It acts per request on a keep-alive connection, reading each message with :mod:`.http1` (just
enough HTTP/1.1 for that). Every client connection gets its own upstream connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import json
import random
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from .http1 import HEAD_LIMIT, Broken, Message, Upstream, build_response, read_message, reset_connection

__all__ = ["ANCIENT_DATE", "FaultProxy", "ProxyAction", "ProxyEvent", "ProxyRule"]

#: A ``Date`` header no sane clock can be corrected to; paired with ``REQ_TIME_OVER_TIME``.
ANCIENT_DATE = "Mon, 01 Jan 1900 00:00:00 GMT"

_BAD_GATEWAY = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)
_ID_FIELDS = ("outTradeNo", "requestId", "outRefundNo")


class ProxyAction(enum.Enum):
    PASS = "pass"  # forward, relay the answer untouched
    DROP = "drop"  # forward, read the answer, close without sending a byte of it
    TRUNCATE = "truncate"  # forward, send the head and part of the body, close
    RESET = "reset"  # forward, read the answer, reset the connection (RST)
    DELAY = "delay"  # forward, hold the answer ``delay`` seconds, then send it
    BAD_GATEWAY = "bad_gateway"  # answer 502 HTML; the request is never forwarded
    BAD_GATEWAY_AFTER = "bad_gateway_after"  # forward, then answer 502 HTML instead
    UNSIGNED_ERROR = "unsigned_error"  # forward, then answer an unsigned JSON error envelope
    SWAP = "swap"  # forward, then answer with another order's signed answer seen earlier


@dataclass(frozen=True, slots=True)
class ProxyRule:
    """When a request for ``api_name`` (None: any) arrives, act with this ``probability``.

    Rules are tried in order and the first that fires wins. ``code`` / ``msg`` / ``date`` shape an
    ``UNSIGNED_ERROR`` answer (``date`` None: now); ``times`` caps how often the rule fires.
    """

    action: ProxyAction
    probability: float = 1.0
    api_name: str | None = None
    code: str = "ORDER_NOT_EXIST"
    msg: str = "Order does not exist."
    date: str | None = None
    delay: float = 0.0
    times: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if self.delay < 0 or (self.times is not None and self.times < 0):
            raise ValueError("delay and times must be >= 0")


@dataclass(frozen=True, slots=True)
class ProxyEvent:
    """One request as the proxy handled it. ``ids`` are the request's business ids (wire names)."""

    api_name: str
    ids: tuple[tuple[str, str], ...]
    action: ProxyAction
    forwarded: bool
    #: for a SWAP, the ids of the request whose answer was sent instead
    answered_with: tuple[tuple[str, str], ...] | None = None


def _ids(body: bytes) -> tuple[tuple[str, str], ...]:
    """The business ids in a PayerMax request body, for telling one order's exchange from another's."""
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple((k, data[k]) for k in _ID_FIELDS if isinstance(data.get(k), str))


def _is_signed_success(answer: Message) -> bool:
    if "sign" not in answer.headers or answer.start.split(" ", 2)[1:2] != ["200"]:
        return False
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("code") == "APPLY_SUCCESS"


class FaultProxy:
    """Listens on 127.0.0.1 and relays to ``upstream`` (a loopback ``http://`` origin), misbehaving
    per request as its :class:`ProxyRule` list says; ``seed`` makes the dice repeatable.

    ``counts`` says how often each action was really carried out (a SWAP with no other order's
    answer to hand is relayed untouched and counted as ``swap_misses``); ``events`` lists every
    request handled (up to ``max_events``); ``forwarded`` counts requests sent upstream.
    """

    def __init__(
        self,
        upstream: str,
        rules: list[ProxyRule] | tuple[ProxyRule, ...] = (),
        *,
        seed: int = 0,
        max_events: int = 100_000,
        remember: int = 256,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
            raise ValueError("upstream must be http://127.0.0.1:<port>")
        self._upstream = (parts.hostname, parts.port)
        self.rules = list(rules)
        self._rng = random.Random(seed)
        self._fired: collections.Counter[int] = collections.Counter()
        self.counts: collections.Counter[ProxyAction] = collections.Counter()
        self.swap_misses = 0
        self.forwarded = 0
        self.events: list[ProxyEvent] = []
        self._max_events = max_events
        self._answers: dict[str, collections.deque[tuple[tuple[tuple[str, str], ...], bytes]]] = {}
        self._remember = remember
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("the proxy is already started")
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT, backlog=1024)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        """Stop listening, cut every connection (delayed answers included) and wait for them."""
        self._closing.set()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"FaultProxy(port={self.port}, upstream={self._upstream}, counts={dict(self.counts)})"

    # ------------------------------------------------------------------ decisions

    def _choose(self, api_name: str) -> ProxyRule | None:
        for index, rule in enumerate(self.rules):
            if rule.api_name is not None and rule.api_name != api_name:
                continue
            if rule.times is not None and self._fired[index] >= rule.times:
                continue
            if self._rng.random() < rule.probability:
                self._fired[index] += 1
                return rule
        return None

    def _record(self, event: ProxyEvent) -> None:
        self.counts[event.action] += 1
        if len(self.events) < self._max_events:
            self.events.append(event)

    def _remember_answer(self, api_name: str, ids: tuple[tuple[str, str], ...], answer: Message) -> None:
        if ids and _is_signed_success(answer):
            seen = self._answers.setdefault(api_name, collections.deque(maxlen=self._remember))
            seen.append((ids, answer.raw))

    def _other_answer(
        self, api_name: str, ids: tuple[tuple[str, str], ...]
    ) -> tuple[tuple[tuple[str, str], ...], bytes] | None:
        others = [entry for entry in self._answers.get(api_name, ()) if entry[0] != ids]
        return self._rng.choice(others) if others else None

    # ------------------------------------------------------------------ connections

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        upstream = Upstream(*self._upstream)
        try:
            while not self._closing.is_set():
                try:
                    request = await read_message(reader, response=False)
                except (Broken, OSError):
                    return
                if request is None or not await self._one(request, writer, upstream) or request.close:
                    return
        except (OSError, asyncio.CancelledError):
            return
        finally:
            upstream.close()
            writer.close()
            self._connections.discard(task)

    async def _one(self, request: Message, writer: asyncio.StreamWriter, upstream: Upstream) -> bool:
        """Handle one request; False when the client connection must end here."""
        target = request.start.split(" ", 2)[1] if request.start.count(" ") >= 2 else ""
        api_name = target.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        ids = _ids(request.body)
        rule = self._choose(api_name)
        action = ProxyAction.PASS if rule is None else rule.action
        if action is ProxyAction.BAD_GATEWAY:
            self._record(ProxyEvent(api_name, ids, action, forwarded=False))
            return await self._send(writer, build_response("502 Bad Gateway", "text/html", _BAD_GATEWAY))
        try:
            answer = await upstream.exchange(request)
        except Broken:
            return False  # no answer to relay: the client sees the connection end
        self.forwarded += 1
        self._remember_answer(api_name, ids, answer)
        answered_with = None
        if action is ProxyAction.SWAP:
            other = self._other_answer(api_name, ids)
            if other is None:
                self.swap_misses += 1
                action = ProxyAction.PASS
            else:
                answered_with, payload = other
        self._record(ProxyEvent(api_name, ids, action, forwarded=True, answered_with=answered_with))
        if action is ProxyAction.PASS:
            return await self._send(writer, answer.raw) and not answer.close
        if action is ProxyAction.SWAP:
            return await self._send(writer, payload)
        if action is ProxyAction.DROP:
            return False
        if action is ProxyAction.TRUNCATE:
            cut = len(answer.head) + len(answer.body) // 2 if answer.body else len(answer.head) // 2
            await self._send(writer, answer.raw[:cut])
            return False
        if action is ProxyAction.RESET:
            reset_connection(writer)
            return False
        assert rule is not None
        if action is ProxyAction.DELAY:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), rule.delay)
            return not self._closing.is_set() and await self._send(writer, answer.raw) and not answer.close
        if action is ProxyAction.BAD_GATEWAY_AFTER:
            return await self._send(writer, build_response("502 Bad Gateway", "text/html", _BAD_GATEWAY))
        assert action is ProxyAction.UNSIGNED_ERROR, action
        body = json.dumps({"code": rule.code, "msg": rule.msg}, separators=(",", ":")).encode()
        return await self._send(writer, build_response("200 OK", "application/json", body, rule.date))

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> bool:
        try:
            writer.write(data)
            await writer.drain()
        except OSError:
            return False
        return True
