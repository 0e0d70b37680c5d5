"""The worker side of the PostgreSQL queue: claim, capture under the stored request_id, record.

Claiming is pgqueuer's (``FOR UPDATE SKIP LOCKED``, heartbeats, re-claim of a dead worker's jobs
after ``heartbeat_timeout``). The fleet-wide limit is a :class:`FleetSemaphore` seat held around
each capture only, not pgqueuer's per-entrypoint limit, which holds its slot from claim until the
completion is flushed and so ran at about two thirds of the limit in our measurements.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import asyncpg
import psycopg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager
from pgqueuer.errors import RetryRequested
from pgqueuer.types import QueueExecutionMode
from psycopg_pool import AsyncConnectionPool

from ..codes import TOO_MANY_REQUEST as RATE_LIMIT_CODE
from ..errors import ApiError
from .adaptive import refusals_back
from .codec import encode_outcome
from .engine import CaptureClient
from .fleet import FleetLimit, FleetSemaphore
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus, outcome_status, result_status
from .postgres import ENTRYPOINT, FINAL, CaptureQueue

__all__ = ["WorkerStats", "run_worker"]

_STATE = {
    OutcomeStatus.CAPTURED: "captured",
    OutcomeStatus.PENDING: "pending",
    OutcomeStatus.FAILED: "failed",
    OutcomeStatus.UNKNOWN: "unknown",
    OutcomeStatus.NOT_PROCESSED: "not_processed",
    OutcomeStatus.INVALID: "not_processed",  # refused by the client before sending
}


@dataclass(slots=True)
class WorkerStats:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0  # claimed, but already final (a re-claim after the outcome was written)
    rate_limited: int = 0
    retried: int = 0
    states: dict[str, int] = field(default_factory=dict)


async def run_worker(
    dsn: str,
    client: CaptureClient,
    *,
    concurrency: int = 20,
    limit: int | FleetLimit = 0,
    heartbeat_timeout: float = 30.0,
    max_sends: int = 5,
    retry_delay: float = 1.0,
    until_empty: bool = True,
    entrypoint: str = ENTRYPOINT,
    batch_size: int | None = None,
) -> WorkerStats:
    """Claim and capture until the queue is empty (or forever, ``until_empty=False``; cancel to stop).

    ``limit`` is the fleet-wide number of captures in flight: an int (0 = none) or a
    :class:`FleetLimit`, whose value this worker keeps applying to its claims. ``concurrency``
    caps this worker alone. A capture that was certainly not processed, or whose outcome is
    unknown, goes back to the queue after ``retry_delay`` (doubling), at most ``max_sends`` sends.
    """
    me = f"{socket.gethostname()}:{os.getpid()}"
    stats = WorkerStats()
    if batch_size is None:
        batch_size = max(1, min(10, concurrency // 2))
    fleet = limit if isinstance(limit, FleetLimit) else None
    seats_conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True) if limit else None
    seats: FleetSemaphore | None = None
    if seats_conn is not None:
        if fleet is not None:
            seats = FleetSemaphore(
                seats_conn,
                fleet.name,
                lambda: fleet.permits,
                ceiling=fleet.settings.ceiling,
                lease=heartbeat_timeout,
            )
        else:
            assert isinstance(limit, int)
            seats = FleetSemaphore(seats_conn, entrypoint, limit, lease=heartbeat_timeout)
    send = refusals_back(client.capture) if fleet is not None else client.capture
    # pgqueuer's psycopg driver holds its connection while waiting for NOTIFY (up to 1 s), which
    # stalls every dequeue behind it; its asyncpg driver does not, so the claim loop uses asyncpg.
    qconn = await asyncpg.connect(dsn)
    async with (
        AsyncConnectionPool(
            dsn, min_size=1, max_size=max(2, min(concurrency, 10)), open=False, kwargs={"autocommit": True}
        ) as pool,
    ):
        qm = QueueManager(Queries(AsyncpgDriver(qconn)))

        async def capture(job: Job) -> None:
            assert job.payload is not None
            otn = job.payload.decode()
            stats.claimed += 1
            async with pool.connection() as conn:
                cur = await conn.execute(
                    "UPDATE payermax_captures SET state = 'sending', sends = sends + 1, worker = %s, "
                    "updated_at = now() WHERE out_trade_no = %s AND state <> ALL(%s) "
                    "RETURNING request_id, amount, currency, sends",
                    (me, otn, list(FINAL)),
                )
                row = await cur.fetchone()
            if row is None:
                stats.skipped += 1
                return
            rid, amount, currency, sends = row
            result = error = None
            async with seats.seat() if seats is not None else contextlib.nullcontext(0):
                stamp = fleet.stamp() if fleet is not None else None  # the limit's epoch it is sent in
                started = time.monotonic()
                try:
                    result = await send(otn, Decimal(str(amount)), str(currency), request_id=str(rid))
                except Exception as exc:  # every failure becomes an outcome; nothing escapes to pgqueuer
                    error = exc
                finished = time.monotonic()
                refused = isinstance(error, ApiError) and error.code == RATE_LIMIT_CODE
                if fleet is not None and result is not None:
                    fleet.success(stamp, finished - started)
                elif fleet is not None and refused:
                    fleet.rate_limited(stamp)
                    # The gateway is full, so the next capture in this seat would be refused too: the
                    # seat rests one round trip, or it cycles a refusal every few ms (measured: 20 per
                    # episode) until every worker has heard of the cut.
                    await asyncio.sleep(fleet.round_trip)
            stats.sent += 1
            if result is not None:
                status = result_status(result)
            else:
                assert error is not None
                status = outcome_status(error)
                stats.rate_limited += refused
            state = _STATE.get(status, "unknown")
            item = CaptureItem(otn, str(amount), str(currency), str(rid))
            enc = encode_outcome(CaptureOutcome(item, status, str(rid), result=result, error=error))
            async with pool.connection() as conn:
                await conn.execute(
                    "UPDATE payermax_captures SET state = %s, capture_no = %s, result = %s, "
                    "error_class = %s, error_code = %s, error_message = %s, updated_at = now() "
                    "WHERE out_trade_no = %s AND request_id = %s AND state <> ALL(%s)",
                    (
                        state,
                        enc.capture_no,
                        None if enc.result is None else enc.result.decode(),
                        enc.error_class,
                        enc.error_code,
                        enc.error_message,
                        otn,
                        rid,
                        list(FINAL),
                    ),
                )
            stats.states[state] = stats.states.get(state, 0) + 1
            # a refusal was certainly not processed: it goes back whatever the count of sends
            if state in ("unknown", "not_processed") and (refused or int(sends) < max_sends):
                stats.retried += 1
                delay = 0.0 if refused else retry_delay * 2 ** (int(sends) - 1)
                raise RetryRequested(timedelta(seconds=delay), reason=state)

        qm.entrypoint(entrypoint, on_failure="hold")(capture)

        async def watch_empty() -> None:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as wconn:
                q = CaptureQueue(wconn, entrypoint=entrypoint)
                while await q.pending_jobs() > 0:  # noqa: ASYNC110 - other machines' jobs: nothing to wait on
                    await asyncio.sleep(0.2)
            qm.shutdown.set()

        async with contextlib.AsyncExitStack() as stack:
            tasks = []
            if fleet is not None:
                tasks.append(asyncio.create_task(fleet.run()))
            if seats is not None:
                await seats.setup()
                tasks.append(asyncio.create_task(seats.run()))
                stack.push_async_callback(seats.close)
            if until_empty:
                tasks.append(asyncio.create_task(watch_empty()))
            stack.push_async_callback(_cancel, tasks)
            await qm.run(
                mode=QueueExecutionMode.continuous,
                batch_size=batch_size,
                max_concurrent_tasks=max(concurrency, 2 * batch_size),
                dequeue_timeout=timedelta(seconds=min(1.0, heartbeat_timeout / 4)),
                heartbeat_timeout=timedelta(seconds=heartbeat_timeout),
                log_aggregation_interval=timedelta(0),
            )
    if not qconn.is_closed():
        await qconn.close()
    if seats_conn is not None:
        await seats_conn.close()
    return stats


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await t
