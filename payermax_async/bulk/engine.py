"""Many captures at once: bounded, streamed, rate-limited, one outcome per item, safe to re-run.

The shape is a pipeline of long-lived tasks joined by bounded queues::

    without a journal:  input ─▶ N workers ─▶ outcome queue ─▶ you
    with a journal:     feeder ─▶ journal writer (reserve a batch, commit) ─▶ work queue ─▶ N workers
                              ─▶ outcomes ─▶ you            (outcome rows go back to the one writer)

so memory holds O(concurrency) items whatever the input's length, and a slow consumer slows the
reading instead of piling up results. N long-lived workers cost one task each for the whole run,
where ``gather`` over a semaphore creates (and keeps) one task per item. Without a journal there
is nothing to make durable first, so the workers read the shared input themselves: one hop
fewer per item, which is measurable at low concurrency.

Every capture goes through :meth:`PayerMaxClient.capture`, so it gets the client's retries, its
shared retry budget and its single flight. This module never imports the client: it needs only
an object with that ``capture`` method (:class:`CaptureClient`). Reading and checking the input is
:mod:`.intake`.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from os import PathLike
from typing import Any, Protocol, TypeVar

from ..errors import InvalidRequestError
from ..types.auth_capture import CaptureResult
from ..validation import new_request_id
from .adaptive import AdaptiveLimiter, Aimd, AimdSettings, refusals_back
from .codec import from_entry, to_record
from .guard import identity_of
from .intake import END, EXHAUSTED, End, Job, Source, drain, normalize
from .journal import Claim, Journal, Record, Reservation, Verdict
from .outbox import Outbox
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus, outcome_status, result_status
from .rate import RateLimiter

__all__ = ["CaptureClient", "capture_many"]

T = TypeVar("T")


class CaptureClient(Protocol):
    """What the engine needs from a client: :meth:`PayerMaxClient.capture`."""

    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
    ) -> CaptureResult: ...


# ---------------------------------------------------------------------- the engine


def _nothing() -> None:
    return None


class _JournalThread:
    """Runs a :class:`Journal`'s blocking calls on one dedicated thread, in submission order."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payermax-journal")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        # Shielded: cancelling a caller must not cancel a write still queued behind another one
        # (run_in_executor would drop it, and with it the outcomes it carried).
        return await asyncio.shield(asyncio.get_running_loop().run_in_executor(self._pool, fn, *args))

    async def finish(self, close: bool) -> None:
        """Wait for every call already queued (a cancelled caller's write may still be running), so
        that whoever owns the journal can close it from another thread afterwards."""
        try:
            await self.call(self.journal.close if close else _nothing)
        finally:
            self._pool.shutdown(wait=False)


def capture_many(
    client: CaptureClient,
    items: Iterable[CaptureItem] | AsyncIterable[CaptureItem],
    *,
    concurrency: int = 32,
    rate_limit: float | RateLimiter | None = None,
    journal: str | PathLike[str] | Journal | None = None,
    journal_batch: int = 256,
    flush_interval: float = 0.25,
    run_id: str | None = None,
    adaptive: bool = True,
) -> AsyncGenerator[CaptureOutcome, None]:
    """Capture every item with at most ``concurrency`` in flight; yield each outcome as it completes.

    ``items`` may be any iterable or async iterable; it is read lazily, never held whole. One
    item's failure is its outcome, never an exception that stops the run. Exceptions raised here:
    the input's own (raised after the items already read are finished), and a journal that
    cannot be written (:class:`~payermax_async.journal.JournalError`).

    ``rate_limit`` (captures started per second, or a :class:`RateLimiter`) spaces new captures
    evenly; retries inside ``client.capture`` come on top of it, bounded by the client's shared
    retry budget.

    ``journal`` (a path, or an open :class:`Journal` that stays open) makes the run resumable:
    each item's request_id is committed before it is sent, and a re-run skips orders with a
    definite outcome and replays the rest under their recorded request_id. ``run_id`` names this
    run in the journal (an order claimed twice by one run is a duplicate); leave it to default
    unless several processes share one run.

    Break out early or cancel and the workers are cancelled and the journal flushed; use
    ``contextlib.aclosing`` to make that happen at the break rather than at garbage collection.
    A capture cut off mid-flight stays recorded as sending, and a re-run replays it.

    ``concurrency`` is a ceiling: the run finds the gateway's concurrency limit below it (AIMD,
    :mod:`.adaptive`), growing while answers come back and cutting on ``TOO_MANY_REQUEST`` (handed
    back by the client, not retried, and sent again in a slot). ``adaptive=False`` keeps exactly
    ``concurrency`` in flight, refusals left to the client's retries.
    """
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError("concurrency must be a positive int")
    if journal_batch < 1:
        raise ValueError("journal_batch must be >= 1")
    if not flush_interval > 0:
        raise ValueError("flush_interval must be > 0")
    limiter = RateLimiter(rate_limit) if isinstance(rate_limit, (int, float)) else rate_limit
    run = _Run(client, items, concurrency, limiter, journal, journal_batch, flush_interval, run_id)
    if adaptive and concurrency > 1:  # one at a time, there is no limit to find
        run.adaptive = AdaptiveLimiter(Aimd(AimdSettings(ceiling=concurrency)))
        run.send = refusals_back(client.capture)
    return run.run()


class _Run:
    """One capture_many call: its queues, tasks and journal."""

    def __init__(
        self,
        client: CaptureClient,
        items: Iterable[CaptureItem] | AsyncIterable[CaptureItem],
        concurrency: int,
        limiter: RateLimiter | None,
        journal: str | PathLike[str] | Journal | None,
        journal_batch: int,
        flush_interval: float,
        run_id: str | None,
    ) -> None:
        self.client = client
        self.items = items
        self.concurrency = concurrency
        self.limiter = limiter
        self.journal_arg = journal
        self.batch = journal_batch
        self.flush_interval = flush_interval
        self.run_id = run_id or uuid.uuid4().hex
        self.records: list[Record] = []
        self.failure: BaseException | None = None  # the input's or the journal's: raised at the end
        self.adaptive: AdaptiveLimiter | None = None  # set by capture_many(adaptive=True)
        self.send: Callable[..., Awaitable[CaptureResult]] = client.capture

    async def run(self) -> AsyncGenerator[CaptureOutcome, None]:
        jt: _JournalThread | None = None
        owns_journal = False
        if self.journal_arg is not None:
            if isinstance(self.journal_arg, Journal):
                journal = self.journal_arg
            else:
                journal = await asyncio.to_thread(
                    functools.partial(Journal, self.journal_arg, identity=identity_of(self.client))
                )
                owns_journal = True
            jt = _JournalThread(journal)
        self.outcomes: Outbox[CaptureOutcome | End] = Outbox(self.concurrency * 2)
        self.work: asyncio.Queue[Job | End] = asyncio.Queue(max(self.concurrency, self.batch))
        tasks: list[asyncio.Task[None]] = []
        try:
            if jt is None:
                # Nothing to make durable first: workers read the input themselves, one hop fewer.
                source = Source(self.items)
                tasks.extend(asyncio.create_task(self._work_direct(source)) for _ in range(self.concurrency))
            else:
                intake: asyncio.Queue[Job | End] = asyncio.Queue(self.batch)
                tasks.append(asyncio.create_task(self._feed(intake)))
                tasks.append(asyncio.create_task(self._write_journal(jt, intake)))
                tasks.extend(asyncio.create_task(self._work()) for _ in range(self.concurrency))
            running = self.concurrency
            while running:
                outcomes = self.outcomes
                outcome = outcomes.pop() if outcomes.items else await outcomes.get()
                if isinstance(outcome, End):
                    running -= 1
                    continue
                yield outcome
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if jt is not None:
                try:
                    await self._write_records(jt)  # the writer task is gone: nothing races this
                finally:
                    await jt.finish(close=owns_journal)
        if self.failure is not None:
            raise self.failure

    # -- stages

    async def _feed(self, out: asyncio.Queue[Job | End]) -> None:
        """Read the input lazily; invalid items become outcomes here and are never journaled."""
        try:
            if isinstance(self.items, AsyncIterable):
                async for item in self.items:
                    await self._admit(item, out)
            else:
                for item in self.items:
                    await self._admit(item, out)
        except Exception as exc:
            self.failure = exc
        await out.put(END)  # not in a finally: a cancelled feeder must not wait on a full queue

    async def _admit(self, item: CaptureItem, out: asyncio.Queue[Job | End]) -> None:
        job = normalize(item)
        if isinstance(job, CaptureOutcome):
            await self.outcomes.put(job)
        else:
            await out.put(job)

    async def _write_journal(self, jt: _JournalThread, intake: asyncio.Queue[Job | End]) -> None:
        """The one task that writes the journal.

        Group commit: take what the feeder has ready, make it durable, only then release it to
        the workers; outcome rows ride along, and are written at least every ``flush_interval``
        so that a long tail is journaled as it goes.
        """
        try:
            ended = False
            while not ended:
                try:
                    first = await asyncio.wait_for(intake.get(), self.flush_interval)
                except TimeoutError:
                    await self._write_records(jt)
                    continue
                batch: list[Job] = []
                for job in drain(first, intake, self.batch):
                    if isinstance(job, End):
                        ended = True
                    else:
                        batch.append(job)
                await self._write_records(jt)
                if batch:
                    claims = [Claim(j.out_trade_no, str(j.amount), j.currency, j.request_id) for j in batch]
                    reservations = await jt.call(jt.journal.reserve, claims, self.run_id)
                    for job, reservation in zip(batch, reservations, strict=True):
                        await self._dispatch(job, reservation)
        except Exception as exc:
            self.failure = exc
        for _ in range(self.concurrency):
            await self.work.put(END)
        try:
            while True:  # until the run ends: the last rows are written after the workers stop
                await asyncio.sleep(self.flush_interval)
                await self._write_records(jt)
        except Exception as exc:
            self.failure = self.failure or exc

    async def _write_records(self, jt: _JournalThread) -> None:
        if self.records:
            await jt.call(jt.journal.record, self._take_records())

    async def _dispatch(self, job: Job, reservation: Reservation) -> None:
        verdict, entry = reservation.verdict, reservation.entry
        if verdict in (Verdict.SEND, Verdict.RESEND):
            job.request_id = reservation.request_id
            await self.work.put(job)
        elif verdict is Verdict.DONE:
            assert entry is not None
            await self.outcomes.put(from_entry(job.item, entry))
        else:
            rid = reservation.request_id
            ids = {"out_trade_no": job.out_trade_no, "request_id": rid}
            if verdict is Verdict.CONFLICT:
                assert entry is not None
                message = (
                    f"the journal holds this order as {entry.amount} {entry.currency} under request_id "
                    f"{rid}; not sent with different parameters"
                )
                status = OutcomeStatus.CONFLICT
            else:
                message = "this order came earlier in the same run; not sent twice"
                status = OutcomeStatus.DUPLICATE
            error = InvalidRequestError(message, field="out_trade_no", operation="capture", ids=ids)
            await self.outcomes.put(CaptureOutcome(job.item, status, rid, error=error))

    async def _work(self) -> None:
        """A worker fed by the journal stage: every job's request_id is already on disk."""
        work, outcomes, records = self.work, self.outcomes, self.records
        while True:
            job = await work.get()
            if isinstance(job, End):
                await outcomes.put(END)
                return
            rid = job.request_id
            assert rid is not None  # the journal stage assigned it
            outcome = await self._capture(job.item, job.out_trade_no, job.amount, job.currency, rid)
            record = to_record(outcome)
            if record is not None:
                records.append(record)
            if not outcomes.offer(outcome):
                await outcomes.put(outcome)

    async def _work_direct(self, source: Source) -> None:
        """A worker that reads the shared input itself (no journal).

        The client validates the item, so a bad one comes back as its INVALID outcome.
        """
        outcomes = self.outcomes
        while True:
            try:
                item = await source.next() if source.is_async else source.take()
                if item is not EXHAUSTED and not isinstance(item, CaptureItem):
                    raise TypeError(f"capture_many takes CaptureItem objects, got {type(item).__name__}")
            except Exception as exc:
                self.failure = self.failure or exc
                source.done = True
                item = EXHAUSTED
            if not isinstance(item, CaptureItem):
                await outcomes.put(END)
                return
            request_id = item.request_id or new_request_id()
            outcome = await self._capture(item, item.out_trade_no, item.amount, item.currency, request_id)
            if not outcomes.offer(outcome):
                await outcomes.put(outcome)

    async def _capture(
        self,
        item: CaptureItem,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str,
    ) -> CaptureOutcome:
        if self.limiter is not None:
            await self.limiter.acquire()
        try:
            if self.adaptive is None:
                result = await self.send(out_trade_no, amount, currency, request_id)
            else:
                result = await self.adaptive.run(self.send, out_trade_no, amount, currency, request_id)
            # inside the try: a result that cannot be read (a stand-in client's) is this item's
            # UNKNOWN outcome, not a worker that dies and leaves the run waiting for it for ever
            status = result_status(result)
        except Exception as exc:
            return CaptureOutcome(item, outcome_status(exc), request_id, error=exc)
        return CaptureOutcome(item, status, request_id, result=result)

    def _take_records(self) -> list[Record]:
        taken = self.records[:]
        self.records.clear()  # the workers hold this same list
        return taken
