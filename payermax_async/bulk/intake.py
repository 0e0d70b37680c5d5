"""The input side of a bulk run: reading the items, checking them, and handing them on in batches.

What goes in is the caller's iterable, read lazily and by many workers at once; what comes out is a
:class:`Job` holding canonical values (or the item's INVALID outcome), so that nothing unchecked is
journaled or sent. The engine (:mod:`.engine`) wires these pieces into its queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from ..errors import InvalidRequestError
from ..validation import check_amount, check_currency, check_id
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus

__all__ = ["END", "EXHAUSTED", "End", "Job", "Source", "drain", "normalize"]

T = TypeVar("T")


@dataclass(slots=True)
class Job:
    item: CaptureItem
    out_trade_no: str
    amount: Decimal | int | str
    currency: str
    request_id: str | None  # None until the journal assigns one


EXHAUSTED = object()


class Source:
    """The input, shared by the workers; an async iterator is read by one worker at a time."""

    __slots__ = ("_aiter", "_iter", "_lock", "done")

    def __init__(self, items: Iterable[CaptureItem] | AsyncIterable[CaptureItem]) -> None:
        self.done = False
        self._iter: Iterator[object] | None = None
        self._aiter: AsyncIterator[object] | None = None
        if isinstance(items, AsyncIterable):
            self._aiter = items.__aiter__()
        else:
            self._iter = iter(items)
        self._lock = asyncio.Lock()

    @property
    def is_async(self) -> bool:
        return self._aiter is not None

    def take(self) -> object:
        """The next item of a plain iterable, or ``EXHAUSTED``: no coroutine per item."""
        if self.done or self._iter is None:
            return EXHAUSTED
        item = next(self._iter, EXHAUSTED)
        if item is EXHAUSTED:
            self.done = True
        return item

    async def next(self) -> object:
        """The next item, or ``EXHAUSTED``."""
        if self.done:
            return EXHAUSTED
        if self._iter is not None:
            return self.take()
        else:
            assert self._aiter is not None
            async with self._lock:  # an async generator refuses two concurrent __anext__ calls
                if self.done:
                    return EXHAUSTED
                try:
                    item = await self._aiter.__anext__()
                except StopAsyncIteration:
                    item = EXHAUSTED
        if item is EXHAUSTED:
            self.done = True
        return item


class End:
    """Sentinel: the feeder is done (on the intake queue) / a worker is done (on the outcomes)."""


END = End()


def normalize(item: object) -> Job | CaptureOutcome:
    """Validate before anything is journaled or sent; the job carries canonical values."""
    if not isinstance(item, CaptureItem):
        raise TypeError(f"capture_many takes CaptureItem objects, got {type(item).__name__}")
    try:
        out_trade_no = check_id(item.out_trade_no, "out_trade_no")
        currency = check_currency(item.currency)
        amount = check_amount(item.amount, currency)
        request_id = (
            None if item.request_id is None else check_id(item.request_id, "request_id", strict_charset=False)
        )
    except InvalidRequestError as exc:
        exc.operation = "capture"
        return CaptureOutcome(item, OutcomeStatus.INVALID, item.request_id, error=exc)
    return Job(item, out_trade_no, amount, currency, request_id)


def drain(first: T, queue: asyncio.Queue[T], limit: int) -> Iterator[T]:
    """``first`` and whatever else the queue holds right now, up to ``limit`` items."""
    yield first
    for _ in range(limit - 1):
        try:
            yield queue.get_nowait()
        except asyncio.QueueEmpty:
            return
