"""Which HTTP answer a call's result came from, for ``client.with_raw_response``.

Each attempt that returns a result records its (verified) answer into the sink of the current
context. A call that joined another caller's flight (same business id in flight) reads the
answer that flight recorded. Only answers that passed verification and decoding are recorded,
so a raw response never shows bytes the client did not believe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from .transport import HttpResponse

__all__ = ["capture", "record", "record_flight", "run_flight"]

T = TypeVar("T")

_SINK: ContextVar[list[HttpResponse] | None] = ContextVar("payermax_raw_sink", default=None)
_FLIGHTS: WeakKeyDictionary[asyncio.Future[Any], HttpResponse] = WeakKeyDictionary()


def record(response: HttpResponse | None) -> None:
    """Called by the pipeline with the answer a result was decoded from."""
    sink = _SINK.get()
    if sink is not None and response is not None:
        sink.append(response)


async def _caught(run: Awaitable[T]) -> tuple[T, list[HttpResponse]]:
    """Await ``run`` with a sink of its own: its result and the verified answers it was read from."""
    sink: list[HttpResponse] = []
    token = _SINK.set(sink)
    try:
        return await run, sink
    finally:
        _SINK.reset(token)


async def run_flight(run: Awaitable[T]) -> T:
    """Await a shared flight, remembering its answer for the callers who join it."""
    result, sink = await _caught(run)
    if sink:
        task = asyncio.current_task()
        if task is not None:
            _FLIGHTS[task] = sink[-1]
        record(sink[-1])
    return result


def record_flight(flight: asyncio.Future[Any]) -> None:
    """A caller who joined ``flight`` sees the answer the flight got."""
    record(_FLIGHTS.get(flight))


async def capture(run: Awaitable[T]) -> tuple[T, HttpResponse | None]:
    """Await ``run``; its result and the last verified answer it was decoded from."""
    result, sink = await _caught(run)
    return result, (sink[-1] if sink else None)
