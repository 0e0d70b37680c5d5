"""The HTTP layer: bytes in, (status, headers, bytes) out. It knows nothing of PayerMax.

Its one piece of judgement is the line the retry policy depends on: a failure *before* the request
could have left (connect refused, DNS, TLS, waiting for a pooled connection) is a
:class:`TransportError`; anything after that point is a :class:`ResponseLostError`, because the
gateway may have processed the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy

from ._waiters import wake_first
from .errors import ClientClosedError, ResponseLostError, TransportError

__all__ = ["AiohttpTransport", "HttpResponse", "MockRequest", "MockTransport", "Transport"]


class HttpResponse(msgspec.Struct, frozen=True, gc=False):
    """One HTTP answer. (A Struct: built once per request, in C; untracked by the collector,
    since nothing in it can lead back to it.)"""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups are expected by the client
    body: bytes


class Transport(Protocol):
    """What the client needs from HTTP. Swap it to add tracing, a proxy, or a test double."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> HttpResponse:
        """A transport may also take ``deadline=`` (an absolute ``loop.time()``) to bound its wait
        for a connection; the pipeline passes it to those whose ``post`` names it."""
        ...

    async def aclose(self) -> None: ...


# aiohttp >= 3.10 tells connect timeouts (incl. waiting for the pool) apart from read timeouts.
_CONNECT_TIMEOUT_ERRORS: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(aiohttp, "ConnectionTimeoutError", None),) if t is not None
)


class AiohttpTransport:
    """One pooled ``aiohttp.ClientSession``, created lazily inside the running loop.

    Requests queue for a connection slot *before* their timeout starts: in a bulk run of
    thousands of calls over a pool of 100, time spent waiting in line is not time the gateway
    took, and must neither time the request out nor count as "maybe sent". The call's overall
    deadline still bounds the wait.

    A session passed in by the caller is used as is and left open on close: its owner closes it.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        connect_timeout: float = 5.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        self._max_connections = max_connections
        self._connect_timeout = connect_timeout
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None  # its session's, once known
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._slots = _Slots(max_connections)
        #: seconds each request waited for a connection slot (telemetry sets it)
        self.on_pool_wait: Callable[[float], None] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("transport is closed; nothing was sent")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            # No skip_auto_headers: the pipeline names its own User-Agent, and a skip list costs
            # aiohttp a sorted copy of the headers on every request.
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    def _timeout(self, total: float) -> aiohttp.ClientTimeout:
        t = self._timeouts.get(total)
        if t is None:
            if len(self._timeouts) > 64:
                self._timeouts.clear()
            t = self._timeouts[total] = aiohttp.ClientTimeout(
                total=total, connect=min(self._connect_timeout, total)
            )
        return t

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float,
        deadline: float | None = None,
    ) -> HttpResponse:
        """``deadline`` (absolute ``loop.time()``) bounds the wait for a slot as well: a call that
        runs out of time in the queue was never sent, and gets only the time left once it is."""
        session = self._session
        if session is None or self._closed:
            session = self._get_session()
        on_pool_wait = self.on_pool_wait
        queued = 0.0 if on_pool_wait is None else time.perf_counter()
        if not self._slots.try_take():  # a free slot is taken at once, without a coroutine
            await self._slots.take(deadline)
        try:
            if on_pool_wait is not None:
                on_pool_wait(time.perf_counter() - queued)
            if deadline is not None:
                if self._loop is None:  # asked once: on 3.11 each ask is a getpid() syscall
                    self._loop = asyncio.get_running_loop()
                left = deadline - self._loop.time()
                if left <= 0:
                    raise TransportError(
                        "the deadline passed while waiting for a pooled connection; not sent"
                    )
                timeout = min(timeout, left)
            async with session.post(
                url,
                data=body,
                headers=headers,
                timeout=self._timeouts.get(timeout) or self._timeout(timeout),
                allow_redirects=False,
            ) as resp:
                payload = await resp.read()
                return HttpResponse(resp.status, resp.headers, payload)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"could not connect: {exc.__class__.__name__}: {exc}") from exc
        except _CONNECT_TIMEOUT_ERRORS as exc:
            raise TransportError(
                f"timed out connecting or waiting for a pooled connection ({timeout}s)"
            ) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise ResponseLostError(f"no response within {timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise ResponseLostError(
                f"connection failed mid-request: {exc.__class__.__name__}: {exc}"
            ) from exc
        finally:
            self._slots.give()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()


class _Slots:
    """Connection slots, handed out in arrival order; a free one is taken without a coroutine.

    (``asyncio.Semaphore`` costs a coroutine and two scans of its waiters per request even when
    a slot is free, and bounding its wait by a deadline took a task and ``asyncio.wait``.)
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self, deadline: float | None) -> None:
        """Wait for a slot, at most until ``deadline`` (``loop.time()``): then it was never sent."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if deadline is None else loop.call_at(deadline, _expire, waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.give()  # handed a slot just as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def give(self) -> None:
        """A slot back: straight to the first caller still waiting, else to the pool."""
        if not (self._waiters and wake_first(self._waiters)):
            self._free += 1


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TransportError("no pooled connection came free before the deadline; not sent"))


@dataclass(frozen=True, slots=True)
class MockRequest:
    """One request as a :class:`MockTransport` saw it: the exact bytes that would have been sent."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    timeout: float


#: answers a request: an :class:`HttpResponse` (or an awaitable of one), or raises
MockHandler = Callable[[MockRequest], "HttpResponse | Awaitable[HttpResponse]"]


class MockTransport:
    """A :class:`Transport` that hands every request to ``handler`` instead of a socket.

    For unit tests of everything above HTTP: the handler sees the signed bytes and returns the
    answer, or raises :class:`TransportError` (not sent) or :class:`ResponseLostError` (maybe
    sent) as :class:`AiohttpTransport` would. Its answer is bounded by the attempt's timeout like a
    real one. Every request is kept in :attr:`requests`, in order.
    """

    def __init__(self, handler: MockHandler) -> None:
        self.handler = handler
        self.requests: list[MockRequest] = []
        self.closed = False

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float,
        deadline: float | None = None,
    ) -> HttpResponse:
        if self.closed:
            raise ClientClosedError("transport is closed; nothing was sent")
        request = MockRequest(url, bytes(body), dict(headers), timeout)
        self.requests.append(request)
        answer = self.handler(request)
        if inspect.isawaitable(answer):
            try:
                answer = await asyncio.wait_for(answer, timeout)
            except TimeoutError as exc:
                raise ResponseLostError(f"no response within {timeout}s") from exc
        # Header lookups are case-insensitive, as aiohttp's are.
        return HttpResponse(answer.status, CIMultiDictProxy(CIMultiDict(answer.headers)), answer.body)

    async def aclose(self) -> None:
        self.closed = True
