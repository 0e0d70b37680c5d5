"""A blocking PayerMax client for Django views, Celery tasks and scripts.

``payermax_async.sync.PayerMaxClient`` has the async client's methods, flat and per resource, with
the same parameters, returning the result instead of a coroutine. It runs one async client on a
private event loop in a daemon thread, so the pool, retry budget, single flight and clock offset
are shared by every thread that uses it: build one per merchant per process and share it. Each
call blocks its calling thread only; calls from many threads run concurrently on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

import msgspec

from . import client as _client
from ._facades import SyncMethods
from ._telemetry import CallEvent, Instrument
from .config import ClientConfig
from .retry import RetryEvent
from .transport import Transport

if TYPE_CHECKING:
    from os import PathLike

    from typing_extensions import Unpack

    from .bulk import CaptureItem, CaptureOutcome, Journal, RateLimiter
    from .config import ClientOptions

__all__ = ["PayerMaxClient"]

P = ParamSpec("P")
T = TypeVar("T")


class _LoopThread:
    """One event loop in one daemon thread; the only place the async client runs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="payermax-sync", daemon=True)
        self.thread.start()
        self.closed = False
        self.lock = threading.Lock()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a blocking PayerMax call from its own event-loop thread would deadlock")
        if self.closed:
            coro.close()
            raise RuntimeError("PayerMaxClient is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt in the caller: do not leave the call running
            raise

    def stop(self) -> None:
        self.closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class PayerMaxClient(SyncMethods):
    """The blocking client: the options of :class:`payermax_async.PayerMaxClient`, the same methods.

    Use it as a context manager or call :meth:`close`; it is safe to call from several threads
    at once. Never call it from inside a running event loop (use the async client there).
    """

    def __init__(
        self,
        *,
        config: ClientConfig | None = None,
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        on_call: Callable[[CallEvent], None] | None = None,
        instruments: Sequence[Instrument] = (),
        **options: Unpack[ClientOptions],
    ) -> None:
        # Keys and options are checked here, in the caller's thread, before the loop starts.
        self._async = _client.PayerMaxClient(
            config=config,
            transport=transport,
            on_retry=on_retry,
            on_call=on_call,
            instruments=instruments,
            **options,
        )
        self._runner = _LoopThread()
        self._owner = True
        super().__init__(self._async, self._blocking)

    def _blocking(self, method: Callable[P, Coroutine[Any, Any, T]], /) -> Callable[P, T]:
        runner = self._runner

        @functools.wraps(method)
        def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
            return runner.run(method(*args, **kwargs))

        return blocking

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> PayerMaxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool and stop the loop thread; idempotent. A view made by :meth:`with_options`
        leaves both to the client it came from."""
        runner = self._runner
        if not self._owner:
            return
        with runner.lock:
            if runner.closed:
                return
            runner.run(self._async.aclose())
            runner.stop()

    @property
    def closed(self) -> bool:
        return self._runner.closed

    @property
    def config(self) -> ClientConfig:
        return self._async.config

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> PayerMaxClient:
        """See :meth:`payermax_async.PayerMaxClient.with_options`: same loop, pool and budget."""
        view = object.__new__(type(self))
        view._async = self._async.with_options(timeout=timeout, max_retries=max_retries, deadline=deadline)
        view._runner = self._runner
        view._owner = False
        SyncMethods.__init__(view, view._async, view._blocking)
        return view

    def __repr__(self) -> str:
        return f"sync.PayerMaxClient({self._async.config!r})"

    # ------------------------------------------------------------------ the untyped and the bulk

    @overload
    def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: type[T],
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> T: ...

    @overload
    def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any: ...

    def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: type[T] | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """See :meth:`payermax_async.PayerMaxClient.call`."""
        return self._runner.run(
            self._async.call(
                api_name,
                data,
                result_type=result_type,
                idempotency_key=idempotency_key,
                version=version,
                timeout=timeout,
                max_retries=max_retries,
            )
        )

    def capture_many(
        self,
        items: Iterable[CaptureItem],
        *,
        concurrency: int = 32,
        rate_limit: float | RateLimiter | None = None,
        journal: str | PathLike[str] | Journal | None = None,
    ) -> Iterator[CaptureOutcome]:
        """See :meth:`payermax_async.PayerMaxClient.capture_many`; outcomes as they complete.

        The captures run on the client's loop while this thread reads the outcomes; stop reading
        early and the run is closed (captures in flight finish or are journaled for a re-run).
        """
        outcomes: AsyncIterator[CaptureOutcome] = self._async.capture_many(
            items, concurrency=concurrency, rate_limit=rate_limit, journal=journal
        )
        try:
            while True:
                try:
                    yield self._runner.run(_next(outcomes))
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(outcomes, "aclose", None)
            if aclose is not None and not self._runner.closed:
                self._runner.run(aclose())


async def _next(outcomes: AsyncIterator[T]) -> T:
    return await outcomes.__anext__()
