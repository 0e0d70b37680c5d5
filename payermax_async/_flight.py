"""Single flight: concurrent calls under one business id share one request.

The caller who starts a flight runs it in its own task, inline: no task, future or extra turn of
the event loop on the path nearly every call takes (a duplicate id in flight is rare). Callers who
join wait on a future of their own, which the flight settles in the turn it ends.

A flight outlives a cancelled leader as long as someone else waits for it: the leader's request
may already be at PayerMax, so a task of its own carries on in its place, as a retry that knows
the leader's attempt may have landed (a replay under the same id, reconciled on ORDER_REPEAT).
A leader cancelled with nobody waiting is simply cancelled, like any other awaitable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import msgspec

__all__ = ["Flight", "Flights"]

T = TypeVar("T")
C = TypeVar("C")


class Flight(msgspec.Struct, Generic[C]):
    """One request in flight under a business id. (A Struct: built in C, one per call.)"""

    data: bytes  # the encoded ``data``: a caller with the same id must have sent the same
    call: C  # the leader's call, which the flight runs
    #: one per caller who joined; None until one does (rare: no list made per call)
    waiters: list[asyncio.Future[Any]] | None = None
    task: asyncio.Task[Any] | None = None  # running the flight: the leader's, or its own
    closed: BaseException | None = None  # set by close(): what the leader is told instead


def settle(waiter: asyncio.Future[Any], error: BaseException | None, result: Any = None) -> None:
    """Hand a flight's outcome to one caller's future, unless that caller went away (cancelled)."""
    if waiter.done():
        return
    if error is None:
        waiter.set_result(result)
    elif isinstance(error, asyncio.CancelledError):
        waiter.cancel()
    else:
        waiter.set_exception(error)
        waiter.exception()  # counted as seen: a caller cancelled just now leaves no warning


def _cancelled_from_outside(task: asyncio.Task[Any] | None) -> bool:
    """True unless the CancelledError was raised inside the flight (a transport raising it), which
    ends the flight for everyone."""
    return task is None or task.cancelling() > 0


class Flights(Generic[C]):
    """The flights of one client, by (apiName, business id)."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Flight[C]] = {}

    def get(self, key: tuple[str, str]) -> Flight[C] | None:
        return self._by_key.get(key)

    def start(self, key: tuple[str, str], data: bytes, call: C) -> Flight[C]:
        flight = self._by_key[key] = Flight(data, call)
        return flight

    def join(self, flight: Flight[C]) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if flight.waiters is None:
            flight.waiters = [waiter]
        else:
            flight.waiters.append(waiter)
        return waiter

    async def lead(
        self,
        key: tuple[str, str],
        flight: Flight[C],
        run: Coroutine[Any, Any, T],
        carry_on: Callable[[C], Coroutine[Any, Any, Any]],
        loop: asyncio.AbstractEventLoop,
    ) -> T:
        """``run`` (the leader's retry loop) in the leader's task; ``carry_on(call)`` is the retry
        loop that takes over if the leader is cancelled while others wait."""
        task = flight.task = asyncio.current_task(loop)
        try:
            if flight.closed is not None:  # closed between the call and its first step
                run.close()
                raise asyncio.CancelledError
            result = await run
        except asyncio.CancelledError:
            if flight.closed is not None:
                # uncancel() keeps the count asyncio.timeout reads; 0: close() alone cancelled us
                if task is None or task.uncancel() == 0:
                    self._land(key, flight, flight.closed)
                    raise flight.closed from None
            elif _cancelled_from_outside(task) and any(not w.done() for w in flight.waiters or ()):
                flight.task = loop.create_task(self._carry(key, flight, carry_on(flight.call)))
                raise
            self._land(key, flight, asyncio.CancelledError())
            raise
        except BaseException as exc:
            self._land(key, flight, exc)
            raise
        self._land(key, flight, None, result)
        return result

    async def _carry(self, key: tuple[str, str], flight: Flight[C], run: Coroutine[Any, Any, Any]) -> None:
        try:
            result = await run
        except BaseException as exc:
            self._land(key, flight, exc)
            if not isinstance(exc, Exception):
                raise  # cancelled, or the process is stopping; an error is the callers' alone
        else:
            self._land(key, flight, None, result)

    def _land(
        self, key: tuple[str, str], flight: Flight[C], error: BaseException | None, result: Any = None
    ) -> None:
        """The flight's outcome to every caller still waiting; the id is free again."""
        if self._by_key.get(key) is flight:
            del self._by_key[key]
        for waiter in flight.waiters or ():
            settle(waiter, error, result)

    def close(self, error_for: Callable[[Flight[C]], BaseException]) -> None:
        """Cancel every flight; each caller, leader or joined, gets ``error_for(flight)``."""
        for flight in self._by_key.values():
            error = error_for(flight)
            for waiter in flight.waiters or ():
                settle(waiter, error)
            flight.closed = error
            if flight.task is not None:
                flight.task.cancel()
        self._by_key.clear()
