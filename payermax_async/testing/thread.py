"""A simulator on its own event loop in a background thread.

For synchronous test suites (the gateway keeps serving while the test blocks) and for throughput
runs: with the client on the main loop and the gateway on another, one thread's RSA work (which
releases the GIL) overlaps the other's Python work, and both sides go faster than on one loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from .simulator import GatewaySimulator

__all__ = ["SimulatorThread"]

T = TypeVar("T")


class SimulatorThread:
    """``with SimulatorThread() as sim:`` runs a :class:`GatewaySimulator` until the block ends.

    Keyword arguments go to the simulator (``signing_threads`` defaults to 0 here: the thread is
    the parallelism). Read ``sim.requests`` and the like freely once traffic has stopped; to change
    state while it may be serving, go through HTTP or :meth:`call`. Clients for it come from
    ``sim.client_options()``: a client lives on the caller's loop, not the simulator's.
    """

    def __init__(self, **simulator_kwargs: Any) -> None:
        simulator_kwargs.setdefault("signing_threads", 0)
        self._kwargs = simulator_kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._sim: GatewaySimulator | None = None
        self._thread: threading.Thread | None = None
        self._started: Future[GatewaySimulator] = Future()

    @property
    def sim(self) -> GatewaySimulator:
        if self._sim is None:
            raise RuntimeError("the simulator thread is not started")
        return self._sim

    def start(self, timeout: float = 30.0) -> GatewaySimulator:
        """Start the thread and return once the simulator listens (or raise what stopped it)."""
        if self._thread is not None:
            raise RuntimeError("the simulator thread was already started")
        self._thread = threading.Thread(target=self._run, name="payermax-simulator", daemon=True)
        self._thread.start()
        self._sim = self._started.result(timeout)
        return self._sim

    def stop(self, timeout: float = 30.0) -> None:
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the simulator's loop (e.g. ``lambda: sim.authorize(...)``) and return its result."""
        if self._loop is None:
            raise RuntimeError("the simulator thread is not started")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # startup failed: hand it to start()
            if not self._started.done():
                self._started.set_exception(exc)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with GatewaySimulator(**self._kwargs) as sim:
            self._started.set_result(sim)
            await self._stop.wait()
