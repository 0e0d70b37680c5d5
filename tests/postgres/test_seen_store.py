"""The PostgreSQL webhook seen-store: two replicas racing on one event, leases, the deduplicator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from payermax_async.dedup import Claim, LeasingSeenStore, NotificationDeduplicator
from payermax_async.dedup_postgres import PostgresSeenStore
from payermax_async.errors import NotificationInFlightError
from payermax_async.webhooks import Notification, WebhookVerifier

from ..support import Keys

NOW = datetime(2024, 5, 13, 10, 28, 3, tzinfo=UTC)


@pytest_asyncio.fixture
async def replicas(dsn: str) -> AsyncIterator[tuple[PostgresSeenStore, PostgresSeenStore]]:
    a = await PostgresSeenStore.connect(dsn)
    b = await PostgresSeenStore.connect(dsn)  # another replica: its own pool, the same table
    yield a, b
    await a.close()
    await b.close()


async def test_two_replicas_racing_on_one_event_one_takes_it(
    replicas: tuple[PostgresSeenStore, PostgresSeenStore],
) -> None:
    a, b = replicas
    assert isinstance(a, LeasingSeenStore)
    for i in range(20):
        key = f"evt-{i}"
        claims = await asyncio.gather(a.begin(key, 60), b.begin(key, 60), a.begin(key, 60), b.begin(key, 60))
        assert sorted(c.value for c in claims) == ["in_flight", "in_flight", "in_flight", "new"]
        await a.finish(key, 3600)
        assert await b.begin(key, 60) is Claim.DONE
    adds = await asyncio.gather(*(s.add("plain", 60) for s in (a, b, a, b)))
    assert sorted(adds) == [False, False, False, True]


async def test_a_released_or_expired_event_is_taken_again(
    replicas: tuple[PostgresSeenStore, PostgresSeenStore],
) -> None:
    a, b = replicas
    assert await a.begin("evt", 60) is Claim.NEW
    await a.discard("evt")  # the handler failed
    assert await b.begin("evt", 0.05) is Claim.NEW
    await asyncio.sleep(0.2)  # b crashed holding it: its lease runs out
    assert await a.begin("evt", 60) is Claim.NEW
    await a.finish("evt", 0.05)
    await asyncio.sleep(0.2)  # remembered for the ttl only
    assert await b.add("evt", 60) is True
    assert repr(a) == "PostgresSeenStore()"


async def test_deduplicators_on_two_replicas_run_the_handler_once(
    replicas: tuple[PostgresSeenStore, PostgresSeenStore], keys: Keys
) -> None:
    raw = json.dumps(
        {
            "code": "APPLY_SUCCESS",
            "msg": "Success.",
            "keyVersion": "1",
            "appId": "app-test",
            "merchantNo": "M-TEST-1",
            "notifyType": "CAPTURE",
            "notifyTime": "2024-05-13T10:28:03.000Z",
            "data": {
                "captureNo": "CP-1",
                "requestId": "REQ-1",
                "outTradeNo": "O-1",
                "amount": "10.00",
                "currency": "USD",
                "status": "SUCCESS",
            },
        }
    ).encode()
    note: Notification = WebhookVerifier(keys.payermax_public, clock=NOW.timestamp).parse(
        raw, keys.payermax_sign(raw)
    )
    a, b = replicas
    first, second = NotificationDeduplicator(a), NotificationDeduplicator(b)
    calls = 0
    gate = asyncio.Event()

    async def handler(_: Notification) -> None:
        nonlocal calls
        calls += 1
        await gate.wait()

    running = asyncio.create_task(first.process_once(note, handler))
    while calls == 0:  # noqa: ASYNC110 - waiting for the first replica to be inside its handler
        await asyncio.sleep(0.01)
    with pytest.raises(NotificationInFlightError):
        await second.process_once(note, handler)  # answered with an error: PayerMax re-sends
    gate.set()
    assert await running is True
    assert await second.process_once(note, handler) is False  # the re-send: handled already
    assert calls == 1
