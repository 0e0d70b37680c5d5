"""Which HTTP answer a call's result came from, for ``client.with_raw_response``.

A call made through ``with_raw_response`` runs with a sink in its context; the pipeline keeps the
answer each call's result came from on the call, and a caller with a sink records it there once
its result is in: the one who started a shared flight (same business id in flight) and those who
joined it alike. Nothing is recorded for the callers without one, which is nearly all of them.
Only answers that passed verification, decoding and binding are kept, so a raw response never
shows bytes the client did not believe.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Protocol, TypeVar

from .transport import HttpResponse

__all__ = ["SINK", "Answered", "capture", "recorded"]

T = TypeVar("T")

#: set while a call runs under ``with_raw_response``: where its answer goes
SINK: ContextVar[list[HttpResponse] | None] = ContextVar("payermax_raw_sink", default=None)


class Answered(Protocol):
    """A call, with the verified answer its result was decoded from once it has one."""

    answer: HttpResponse | None


async def recorded(run: Awaitable[T], call: Answered, sink: list[HttpResponse]) -> T:
    """What a caller under ``with_raw_response`` (its ``sink``: ``SINK.get()``) awaits: ``run``,
    then the answer the call's result came from (a shared flight's: the one it got) recorded."""
    result = await run
    if call.answer is not None:
        sink.append(call.answer)
    return result


async def capture(run: Awaitable[T]) -> tuple[T, HttpResponse | None]:
    """Await ``run``; its result and the last verified answer it was decoded from."""
    sink: list[HttpResponse] = []
    token = SINK.set(sink)
    try:
        result = await run
    finally:
        SINK.reset(token)
    return result, (sink[-1] if sink else None)
