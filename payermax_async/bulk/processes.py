"""A bulk capture run spread over worker processes: one event loop per core, one shared journal.

RSA signing is most of a capture's CPU and holds the GIL, so one event loop tops out at one core.
This runner starts ``processes`` workers (``spawn``: no inherited loop, threads or sockets), each
running :func:`~payermax_async.bulk.engine.capture_many` on its own loop and client. Items are routed by
a stable hash of ``out_trade_no``, so one authorization only ever goes to one process (the
client's single flight and the journal's duplicate check stay meaningful), and the same input
always splits the same way. The processes share the SQLite journal: WAL lets them write in turn.

The parent reads the input on a thread, ships items in batches and yields the outcomes as they
come back. Outcomes cross the process boundary in a flat form, so ``outcome.item`` is a rebuilt
:class:`CaptureItem` (equal to, not the same object as, the one given) and ``outcome.error`` is
rebuilt with the original class, code and message but without its traceback or ``__cause__``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import multiprocessing
import os
import queue
import signal
import threading
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from os import PathLike
from typing import Any

from ..errors import WorkerProcessError
from ..signing_thread import CPUS_ENV, usable_cpus
from .codec import EncodedOutcome, decode_outcome, encode_outcome
from .engine import capture_many
from .guard import identity_of
from .journal import Journal
from .orphans import die_with_parent, stop_hooks
from .outcomes import CaptureItem, CaptureOutcome

__all__ = ["WorkerProcessError", "capture_many_processes", "partition"]

_BATCH = 256
_OUT_BATCH = 64
_OUT_INTERVAL = 0.1
_POLL = 0.2


def partition(out_trade_no: object, processes: int) -> int:
    """The process an order goes to: stable across runs, machines and Python's hash seed."""
    text = out_trade_no if isinstance(out_trade_no, str) else repr(out_trade_no)
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) % processes


#: one outcome on the pipe: the item's fields, whether it was skipped, and the outcome's encoding
Flat = tuple[tuple[Any, ...], bool, EncodedOutcome]


def _flatten(outcome: CaptureOutcome) -> Flat:
    item = outcome.item
    return (
        (item.out_trade_no, item.amount, item.currency, item.request_id),
        outcome.skipped,
        encode_outcome(outcome),
    )


def _unflatten(flat: Flat) -> CaptureOutcome:
    item_t, skipped, encoded = flat
    return decode_outcome(CaptureItem(*item_t), encoded, skipped=skipped)


def capture_many_processes(
    client: Callable[[], Any],
    items: Iterable[CaptureItem],
    *,
    processes: int,
    concurrency: int = 32,
    rate_limit: float | None = None,
    journal: str | PathLike[str] | None = None,
    run_id: str | None = None,
) -> Generator[CaptureOutcome, None, None]:
    """Like :func:`~payermax_async.bulk.engine.capture_many`, over ``processes`` worker processes.

    ``client`` is any picklable zero-argument callable returning a client to use as
    ``async with`` (:class:`~payermax_async.client.ClientSpec` is one). ``concurrency`` is per
    process; ``rate_limit`` is the total, split evenly. A synchronous generator: iterate it from
    plain code (it starts no event loop in this process). Close it early (``break`` then garbage
    collection, or ``.close()``) and the workers are stopped, flushing their journal writes first.

    Raises :class:`WorkerProcessError` at the end when a worker failed or died, and the input's
    own exception, if reading it failed, once the items read before are finished.
    """
    if not isinstance(processes, int) or processes < 1:
        raise ValueError("processes must be a positive int")
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    if rate_limit is not None and not rate_limit > 0:
        raise ValueError("rate_limit must be > 0")
    plan = WorkerPlan(
        client,
        concurrency,
        None if rate_limit is None else rate_limit / processes,
        None if journal is None else os.fspath(journal),
        run_id or uuid.uuid4().hex,
        os.getpid(),
        usable_cpus() / processes,
    )
    return _run_processes(plan, items, processes)


def _run_processes(
    plan: WorkerPlan, items: Iterable[CaptureItem], processes: int
) -> Generator[CaptureOutcome, None, None]:
    # The parent owns the run: it creates the schema before the writers race for it, and holds the
    # run lock (and the copy check's token) until every worker is done.
    owned = None if plan.journal is None else Journal(plan.journal)
    try:
        yield from _run_workers(plan, items, processes)
    finally:
        if owned is not None:
            owned.close()


def _run_workers(
    plan: WorkerPlan, items: Iterable[CaptureItem], processes: int
) -> Generator[CaptureOutcome, None, None]:
    ctx = multiprocessing.get_context("spawn")
    inboxes = [ctx.Queue(maxsize=4) for _ in range(processes)]
    outbox = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker_main,
            args=(i, plan, inboxes[i], outbox),
            name=f"payermax-capture-{i}",
            daemon=True,
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    stop = threading.Event()
    feed_error: list[BaseException] = []
    feeder = threading.Thread(
        target=_feed, args=(items, inboxes, workers, stop, feed_error), name="payermax-feed", daemon=True
    )
    feeder.start()
    failures: list[str] = []
    finished = False
    try:
        done: set[int] = set()
        dead_since: dict[int, float] = {}
        while len(done) < processes:
            try:
                message = outbox.get(timeout=_POLL)
            except queue.Empty:
                now = time.monotonic()
                for i, worker in enumerate(workers):
                    if i in done or worker.is_alive():
                        continue
                    # Its last message may still be in the pipe: give it a moment before calling it dead.
                    if now - dead_since.setdefault(i, now) > 1.0:
                        done.add(i)
                        failures.append(f"worker {i} died (exit code {worker.exitcode})")
                continue
            kind = message[0]
            if kind == "outcomes":
                for flat in message[1]:
                    yield _unflatten(flat)
            elif kind == "done":
                done.add(message[1])
                if message[2] is not None:
                    failures.append(f"worker {message[1]}: {message[2]}")
        finished = True
    finally:
        stop.set()
        _shutdown(workers, inboxes, outbox, graceful=finished)
        feeder.join(timeout=5)
    if feed_error:
        raise feed_error[0]
    if failures:
        raise WorkerProcessError("; ".join(failures))


def _feed(
    items: Iterable[CaptureItem],
    inboxes: list[Any],
    workers: Sequence[BaseProcess],
    stop: threading.Event,
    feed_error: list[BaseException],
) -> None:
    """Route items to their process in batches; a full inbox waits (backpressure), a dead one drops."""
    n = len(inboxes)
    buffers: list[list[tuple[Any, ...]]] = [[] for _ in range(n)]

    def send(i: int, payload: list[tuple[Any, ...]] | None) -> None:
        while not stop.is_set():
            try:
                inboxes[i].put(payload, timeout=_POLL)
                return
            except queue.Full:
                if not workers[i].is_alive():
                    return

    try:
        for item in items:
            if stop.is_set():
                return
            if not isinstance(item, CaptureItem):
                raise TypeError(f"capture_many takes CaptureItem objects, got {type(item).__name__}")
            i = partition(item.out_trade_no, n)
            buffers[i].append((item.out_trade_no, item.amount, item.currency, item.request_id))
            if len(buffers[i]) >= _BATCH:
                send(i, buffers[i])
                buffers[i] = []
    except BaseException as exc:
        feed_error.append(exc)
    for i in range(n):
        if buffers[i]:
            send(i, buffers[i])
        send(i, None)


def _shutdown(workers: Sequence[BaseProcess], inboxes: list[Any], outbox: Any, *, graceful: bool) -> None:
    """Stop the workers (SIGTERM flushes their journal), draining the outbox so none blocks on it."""
    if not graceful:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
    deadline = time.monotonic() + 30
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            outbox.get(timeout=0.05)  # a worker exits only once its queued messages are read
    for worker in workers:
        if worker.is_alive():
            worker.kill()
        worker.join(timeout=5)
    for q in [*inboxes, outbox]:
        q.cancel_join_thread()  # what was queued for a worker that is gone stays unsent
        q.close()


# ---------------------------------------------------------------------- in the worker process


@dataclass(frozen=True)
class WorkerPlan:
    """What one worker process is told to do; it crosses the process boundary, so it pickles."""

    factory: Callable[[], Any]
    concurrency: int
    rate: float | None
    journal: str | None
    run_id: str
    parent_pid: int
    #: this worker's share of the CPUs: with one or less, its client signs on the loop (the
    #: workers already fill the CPUs, and a signing thread would only add its hop's cost)
    cpus: float = 1.0


def _take_cpu_share(plan: WorkerPlan) -> None:
    os.environ.setdefault(CPUS_ENV, f"{plan.cpus:g}")  # the user's own setting wins


def _worker_main(index: int, plan: WorkerPlan, inbox: Any, outbox: Any) -> None:
    error: str | None = None
    die_with_parent(plan.parent_pid, outbox)
    _take_cpu_share(plan)
    try:
        asyncio.run(_worker(plan, inbox, outbox))
    except (KeyboardInterrupt, asyncio.CancelledError):
        outbox.cancel_join_thread()  # stopped on purpose: the journal has everything, exit now
        return
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
    outbox.put(("done", index, error))


async def _worker(plan: WorkerPlan, inbox: Any, outbox: Any) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None

    def stop() -> None:
        with contextlib.suppress(RuntimeError):  # the loop already closed
            loop.call_soon_threadsafe(main.cancel)

    stop_hooks.append(stop)
    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
        handled = True
    client = plan.factory()
    journal = None
    try:
        if plan.journal is not None:  # the parent holds the run lock; this worker shares the file
            journal = await asyncio.to_thread(
                functools.partial(Journal, plan.journal, owner=False, identity=identity_of(client))
            )
        async with client:
            pending: list[Flat] = []
            last = time.monotonic()
            source = _inbox_items(inbox, plan.parent_pid, main.cancel)
            outcomes = capture_many(
                client,
                source,
                concurrency=plan.concurrency,
                rate_limit=plan.rate,
                journal=journal,
                run_id=plan.run_id,
                adaptive=False,  # each process has a share of one limit; adaptive control is one loop's
            )
            async for outcome in outcomes:
                pending.append(_flatten(outcome))
                now = time.monotonic()
                if len(pending) >= _OUT_BATCH or now - last >= _OUT_INTERVAL:
                    outbox.put(("outcomes", pending))
                    pending, last = [], now
            if pending:
                outbox.put(("outcomes", pending))
    finally:
        stop_hooks.remove(stop)
        if journal is not None:
            journal.close()
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)


async def _inbox_items(
    inbox: Any, parent_pid: int, on_orphaned: Callable[[], object]
) -> AsyncIterator[CaptureItem]:
    """The inbox as an async iterator; a thread waits on the pipe so the loop never blocks."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[list[tuple[Any, ...]] | None] = asyncio.Queue(maxsize=2)

    def pump() -> None:
        while True:
            try:
                batch = inbox.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the parent died: stop, the journal keeps the rest
                    loop.call_soon_threadsafe(on_orphaned)
                    return
                continue
            except (EOFError, OSError):
                loop.call_soon_threadsafe(on_orphaned)
                return
            try:
                asyncio.run_coroutine_threadsafe(ready.put(batch), loop).result()
            except (RuntimeError, concurrent.futures.CancelledError):  # the loop is gone or going
                return
            if batch is None:
                return

    threading.Thread(target=pump, name="payermax-inbox", daemon=True).start()
    while True:
        batch = await ready.get()
        if batch is None:
            return
        for fields in batch:
            yield CaptureItem(*fields)
