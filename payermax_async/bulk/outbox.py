"""The outcomes of a run on their way from its workers to the one reader: bounded, in order.

``asyncio.Queue`` does this for any number of readers, and a put and a get run some 150 bytecodes
of Python between them even when nobody waits, on every capture of a bulk run. Here a worker hands
an outcome over without a coroutine while there is room (nearly always), and the reader takes one
without a coroutine while any are there; only a full box or an empty one waits on a future.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Generic, TypeVar

from .._waiters import wake_first

__all__ = ["Outbox"]

T = TypeVar("T")


class Outbox(Generic[T]):
    """Many writers, one reader, at most ``limit`` items held: a writer waits while it is full."""

    __slots__ = ("_limit", "_loop", "_reader", "_writers", "items")

    def __init__(self, limit: int) -> None:
        self.items: deque[T] = deque()  # the reader may look: ``pop()`` while it is not empty
        self._limit = limit
        self._reader: asyncio.Future[None] | None = None
        self._writers: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None  # asked once: 3.11 asks getpid() each time

    def offer(self, item: T) -> bool:
        """Hand ``item`` over if there is room; False (and nothing done) when full."""
        if len(self.items) >= self._limit:
            return False
        self.items.append(item)
        reader = self._reader
        if reader is not None:
            self._reader = None
            if not reader.done():
                reader.set_result(None)
        return True

    async def put(self, item: T) -> None:
        loop = self._loop or self._find_loop()
        while not self.offer(item):
            room: asyncio.Future[None] = loop.create_future()
            self._writers.append(room)
            try:
                await room
            except asyncio.CancelledError:
                if room.done() and not room.cancelled():
                    wake_first(self._writers)  # woken just as we left: the room goes to the next one
                else:
                    with contextlib.suppress(ValueError):
                        self._writers.remove(room)
                raise

    def pop(self) -> T:
        """The oldest item; only while ``items`` is not empty."""
        item = self.items.popleft()
        if self._writers:
            wake_first(self._writers)
        return item

    async def get(self) -> T:
        loop = self._loop or self._find_loop()
        while not self.items:
            self._reader = loop.create_future()
            await self._reader
        return self.pop()

    def _find_loop(self) -> asyncio.AbstractEventLoop:
        self._loop = asyncio.get_running_loop()
        return self._loop
