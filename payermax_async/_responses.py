"""Which HTTP answer a call's result came from, for ``client.with_raw_response``.

Each attempt that returns a result records its (verified) answer into the sink of the current
context, if there is one: a call made through ``with_raw_response`` sets it. A shared flight (same
business id in flight) runs with a sink of its own, so that every caller who awaited it, the one
who started it or one who joined it, records the answer it got. Only answers that passed
verification and decoding are recorded, so a raw response never shows bytes the client did not
believe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

from .transport import HttpResponse

__all__ = ["capture", "record", "recorded", "start_flight"]

T = TypeVar("T")

_SINK: ContextVar[list[HttpResponse] | None] = ContextVar("payermax_raw_sink", default=None)


def record(response: HttpResponse | None) -> None:
    """Called by the pipeline with the answer a result was decoded from."""
    sink = _SINK.get()
    if sink is not None and response is not None:
        sink.append(response)


def start_flight(run: Coroutine[Any, Any, T], sink: list[HttpResponse]) -> asyncio.Task[T]:
    """``run`` as a task of its own, whose attempts record their answers into ``sink``."""
    token = _SINK.set(sink)  # the new task copies the current context, sink included
    try:
        return asyncio.get_running_loop().create_task(run)
    finally:
        _SINK.reset(token)


def recorded(waiter: Awaitable[T], answers: list[HttpResponse]) -> Awaitable[T]:
    """What a caller of a shared flight awaits: ``waiter`` itself, or under ``with_raw_response``
    ``waiter`` followed by recording the last answer the flight got."""
    sink = _SINK.get()
    return waiter if sink is None else _then_record(waiter, answers, sink)


async def _then_record(waiter: Awaitable[T], answers: list[HttpResponse], sink: list[HttpResponse]) -> T:
    result = await waiter
    if answers:
        sink.append(answers[-1])
    return result


async def capture(run: Awaitable[T]) -> tuple[T, HttpResponse | None]:
    """Await ``run``; its result and the last verified answer it was decoded from."""
    sink: list[HttpResponse] = []
    token = _SINK.set(sink)
    try:
        result = await run
    finally:
        _SINK.reset(token)
    return result, (sink[-1] if sink else None)
