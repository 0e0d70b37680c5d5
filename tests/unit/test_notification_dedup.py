"""Once-only notification handling that loses nothing: a duplicate is never acknowledged while
the first delivery is still running, a failed first delivery is taken over, the SQLite store
survives a restart and is shared between processes, and the freshness window is on by default."""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from payermax_async.errors import NotificationInFlightError
from payermax_async.webhooks import (
    DEFAULT_MAX_AGE,
    Claim,
    InMemorySeenStore,
    LeasingSeenStore,
    Notification,
    NotificationDeduplicator,
    SqliteSeenStore,
    StaleNotificationError,
    WebhookVerifier,
)

from ..support import Keys

NOW = datetime(2024, 5, 13, 10, 28, 3, tzinfo=UTC)


def signed(keys: Keys, when: datetime = NOW, status: str = "SUCCESS") -> tuple[bytes, str]:
    raw = json.dumps(
        {
            "code": "APPLY_SUCCESS",
            "msg": "Success.",
            "keyVersion": "1",
            "appId": "app-test",
            "merchantNo": "M-TEST-1",
            "notifyType": "CAPTURE",
            "notifyTime": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "data": {
                "captureNo": "CP-1",
                "requestId": "REQ-1",
                "outTradeNo": "O-1",
                "amount": "10.00",
                "currency": "USD",
                "status": status,
            },
        }
    ).encode()
    return raw, keys.payermax_sign(raw)


@pytest.fixture
def notification(keys: Keys) -> Notification:
    return WebhookVerifier(keys.payermax_public, clock=NOW.timestamp).parse(*signed(keys))


class Handler:
    """Counts calls; the calls listed in ``fail_on`` raise, and every call first waits for ``gate``."""

    def __init__(self, fail_on: tuple[int, ...] = ()) -> None:
        self.calls = 0
        self.fail_on = fail_on
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self, _: Any) -> None:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        if self.calls in self.fail_on:
            raise RuntimeError("database down")


async def settle() -> None:
    for _ in range(20):  # let every ready task run as far as it can
        await asyncio.sleep(0)


async def test_a_duplicate_is_not_acknowledged_while_the_first_runs(notification: Notification) -> None:
    dedup = NotificationDeduplicator()
    handler = Handler()
    first = asyncio.ensure_future(dedup.process_once(notification, handler))
    await handler.started.wait()
    duplicate = asyncio.ensure_future(dedup.process_once(notification, handler))
    await settle()
    assert not duplicate.done()  # no answer (so no ack) while the first is in flight
    handler.gate.set()
    assert await first is True and await duplicate is False
    assert handler.calls == 1


async def test_when_the_first_fails_the_duplicate_takes_over(notification: Notification) -> None:
    dedup = NotificationDeduplicator()
    handler = Handler(fail_on=(1,))
    first = asyncio.ensure_future(dedup.process_once(notification, handler))
    await handler.started.wait()
    duplicates = [asyncio.ensure_future(dedup.process_once(notification, handler)) for _ in range(4)]
    await settle()
    assert not any(d.done() for d in duplicates)
    handler.gate.set()
    with pytest.raises(RuntimeError):
        await first
    results = await asyncio.gather(*duplicates)
    assert sorted(results) == [False, False, False, True]  # exactly one ran it again
    assert handler.calls == 2
    assert await dedup.process_once(notification, handler) is False  # and now it is done


async def test_a_cancelled_first_delivery_is_taken_over(notification: Notification) -> None:
    dedup = NotificationDeduplicator()
    handler = Handler()
    first = asyncio.ensure_future(dedup.process_once(notification, handler))
    await handler.started.wait()
    duplicate = asyncio.ensure_future(dedup.process_once(notification, handler))
    await settle()
    first.cancel()  # e.g. the first request's connection went away
    handler.gate.set()
    assert await duplicate is True and handler.calls == 2
    assert first.cancelled()


async def test_sqlite_store_survives_a_restart(tmp_path: Path, notification: Notification) -> None:
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    handler = Handler()
    handler.gate.set()
    assert await NotificationDeduplicator(store).process_once(notification, handler)
    store.close()
    restarted = SqliteSeenStore(path)  # a new process, same file
    try:
        assert await NotificationDeduplicator(restarted).process_once(notification, handler) is False
        assert handler.calls == 1
    finally:
        restarted.close()


async def test_sqlite_store_is_shared_between_processes(tmp_path: Path, notification: Notification) -> None:
    path = tmp_path / "seen.sqlite"
    one, two = SqliteSeenStore(path), SqliteSeenStore(path)  # two connections, as two workers have
    try:
        here, there = NotificationDeduplicator(one), NotificationDeduplicator(two)
        handler = Handler(fail_on=(1,))
        first = asyncio.ensure_future(here.process_once(notification, handler))
        await handler.started.wait()
        with pytest.raises(NotificationInFlightError):  # answer non-ack: PayerMax re-sends
            await there.process_once(notification, handler)
        handler.gate.set()
        with pytest.raises(RuntimeError):
            await first
        assert await there.process_once(notification, handler) is True  # the re-send is processed
        assert await here.process_once(notification, handler) is False
        assert handler.calls == 2
    finally:
        one.close()
        two.close()


async def test_sqlite_lease_and_ttl_expire(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SqliteSeenStore(tmp_path / "seen.sqlite", clock=lambda: now[0])
    store._PURGE_EVERY = 3  # purge often, to see it keep only live keys
    try:
        assert isinstance(store, LeasingSeenStore)
        assert await store.begin("k", lease=60) is Claim.NEW
        assert await store.begin("k", lease=60) is Claim.IN_FLIGHT
        now[0] += 61  # the holder crashed: its lease ran out
        assert await store.begin("k", lease=60) is Claim.NEW
        await store.finish("k", ttl=3600)
        assert await store.begin("k", lease=60) is Claim.DONE
        assert await store.add("k", 10) is False
        now[0] += 3601
        assert await store.add("k", 10) is True
        await store.discard("k")
        assert await store.begin("k", lease=60) is Claim.NEW
        for i in range(6):
            await store.add(f"old{i}", 1)
        now[0] += 2
        await store.add("x", 10)
        await store.add("y", 10)
        await store.add("z", 10)
        assert repr(store) == "SqliteSeenStore(open=True)"
        with contextlib.closing(sqlite3.connect(tmp_path / "seen.sqlite")) as look:  # `with` never closes
            left = [row[0] for row in look.execute("SELECT key FROM payermax_seen ORDER BY key")]
        assert left == ["k", "x", "y", "z"]  # the expired old* keys were purged
    finally:
        store.close()
    store.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await store.add("k", 1)


async def test_in_memory_store_tells_in_flight_from_done() -> None:
    now = [0.0]
    store = InMemorySeenStore(clock=lambda: now[0])
    assert isinstance(store, LeasingSeenStore)
    assert await store.begin("k", 5) is Claim.NEW and "k" in store
    assert await store.begin("k", 5) is Claim.IN_FLIGHT
    await store.finish("k", 100)
    assert await store.begin("k", 5) is Claim.DONE
    now[0] += 101
    assert await store.begin("k", 5) is Claim.NEW


async def test_a_store_that_only_adds_still_works(notification: Notification) -> None:
    class AddOnly:
        def __init__(self) -> None:
            self.keys: set[str] = set()

        async def add(self, key: str, ttl: float) -> bool:
            fresh = key not in self.keys
            self.keys.add(key)
            return fresh

        async def discard(self, key: str) -> None:
            self.keys.discard(key)

    dedup = NotificationDeduplicator(AddOnly())
    handler = Handler(fail_on=(1,))
    handler.gate.set()
    with pytest.raises(RuntimeError):
        await dedup.process_once(notification, handler)
    assert await dedup.process_once(notification, handler) is True
    assert await dedup.process_once(notification, handler) is False


def test_lease_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lease"):
        NotificationDeduplicator(lease=0)


def test_in_flight_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(NotificationInFlightError("busy", ids={"out_trade_no": "O"})))
    assert isinstance(error, NotificationInFlightError) and error.out_trade_no == "O"


# ---------------------------------------------------------------------------- freshness


def test_freshness_is_checked_by_default(keys: Keys) -> None:
    raw, sign = signed(keys)
    at = [NOW.timestamp()]
    verifier = WebhookVerifier(keys.payermax_public, clock=lambda: at[0])
    assert verifier.max_age == DEFAULT_MAX_AGE
    at[0] += timedelta(hours=13, minutes=30).total_seconds()  # PayerMax's last re-send
    assert verifier.parse(raw, sign).notify_type == "CAPTURE"
    at[0] = (NOW + timedelta(days=365)).timestamp()  # a year-old notification, replayed
    with pytest.raises(StaleNotificationError):
        verifier.parse(raw, sign)
    unchecked = WebhookVerifier(keys.payermax_public, max_age=None, clock=lambda: at[0])
    assert unchecked.parse(raw, sign).notify_type == "CAPTURE"
    assert timedelta(hours=13, minutes=16).total_seconds() <= DEFAULT_MAX_AGE
