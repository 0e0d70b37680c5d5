"""Webhook verification (good, tampered, missing and replayed signatures), typed parsing by
notifyType, freshness, the once-only helper and its store, and the exact acknowledgement."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import (
    ACK_BODY,
    CancelNotification,
    CaptureNotification,
    GenericNotification,
    InMemorySeenStore,
    NotificationDeduplicator,
    NotificationError,
    PaymentNotification,
    PayoutNotification,
    RefundNotification,
    SeenStore,
    SignatureError,
    StaleNotificationError,
    WebhookVerifier,
    parse_notification,
)
from payermax_async.signing import RsaSigner, RsaVerifier, generate_key_pair
from payermax_async.types import CancelStatus, CaptureStatus, PaymentStatus, PayoutStatus, RefundStatus
from payermax_async.webhooks import ACK_CONTENT_TYPE, ack_response, aiohttp_ack, starlette_ack

from ..support import Keys

NOW = datetime(2024, 5, 13, 10, 28, 3, tzinfo=UTC)

DATA: dict[str, dict[str, Any]] = {
    "PAYMENT": {
        "outTradeNo": "O-1",
        "tradeToken": "T-1",
        "totalAmount": 10.5,
        "currency": "USD",
        "status": "SUCCESS",
        "captureMode": "MANUAL",
        "authorizationType": "FINAL_AUTH",
    },
    "CAPTURE": {
        "captureNo": "CP-1",
        "requestId": "REQ-1",
        "outTradeNo": "O-1",
        "amount": 10,
        "currency": "USD",
        "status": "SUCCESS",
        "isFinal": "True",
    },
    "CANCEL": {
        "cancelNo": "CN-1",
        "requestId": "REQ-2",
        "outTradeNo": "O-2",
        "status": "FAILED",
        "errorCode": "AUTH_CAPTURED",
        "failedTime": "2023-08-06T23:50:59 +0000",
    },
    "REFUND": {
        "outRefundNo": "R-1",
        "refundTradeNo": "RT-1",
        "outTradeNo": "O-1",
        "refundAmount": "2.50",
        "refundCurrency": "USD",
        "status": "REFUND_SUCCESS",
    },
    "PAYOUT": {
        "outTradeNo": "PO_1",
        "tradeNo": "TN-1",
        "status": "BOUNCEBACK",
        "trade": {"amount": "100.00", "currency": "EGP"},
    },
}


def body(notify_type: str = "PAYMENT", data: Any = None, when: datetime | None = NOW, **extra: Any) -> bytes:
    envelope: dict[str, Any] = {
        "code": "APPLY_SUCCESS",
        "msg": "Success.",
        "keyVersion": "1",
        "appId": "app-test",
        "merchantNo": "M-TEST-1",
        "notifyType": notify_type,
        "data": DATA.get(notify_type) if data is None else data,
        **extra,
    }
    if when is not None:
        envelope["notifyTime"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(envelope).encode()


@pytest.fixture
def verifier(keys: Keys) -> WebhookVerifier:
    return WebhookVerifier(keys.payermax_public, clock=NOW.timestamp)


@pytest.mark.parametrize(
    ("notify_type", "kind"),
    [
        ("PAYMENT", PaymentNotification),
        ("CAPTURE", CaptureNotification),
        ("CANCEL", CancelNotification),
        ("REFUND", RefundNotification),
        ("PAYOUT", PayoutNotification),
    ],
)
def test_good_signature_parses_into_the_typed_notification(
    verifier: WebhookVerifier, keys: Keys, notify_type: str, kind: type
) -> None:
    raw = body(notify_type)
    notification = verifier.parse(raw, keys.payermax_sign(raw))
    assert isinstance(notification, kind)
    assert notification.notify_type == notify_type and notification.notify_time == NOW


def test_typed_data_is_exact_and_enumerated(verifier: WebhookVerifier, keys: Keys) -> None:
    def parse(notify_type: str) -> Any:
        raw = body(notify_type)
        return verifier.parse(raw, keys.payermax_sign(raw)).data

    assert parse("PAYMENT").status is PaymentStatus.SUCCESS
    assert parse("PAYMENT").total_amount == Decimal("10.5")
    assert parse("CAPTURE").status is CaptureStatus.SUCCESS
    cancel = parse("CANCEL")
    assert cancel.status is CancelStatus.FAILED and cancel.failed_time is not None
    assert parse("REFUND").status is RefundStatus.REFUND_SUCCESS
    assert parse("REFUND").refund_amount == Decimal("2.50")
    payout = parse("PAYOUT")
    assert payout.status is PayoutStatus.BOUNCEBACK and payout.trade.amount == Decimal("100.00")


def test_unknown_type_parses_generically_with_exact_numbers(verifier: WebhookVerifier, keys: Keys) -> None:
    raw = body("SOMETHING_NEW", {"caseId": "D-1", "amount": 0.1, "nested": {"fee": 1.10}})
    notification = verifier.parse(raw, keys.payermax_sign(raw))
    assert isinstance(notification, GenericNotification)
    assert notification.data == {
        "caseId": "D-1",
        "amount": Decimal("0.1"),
        "nested": {"fee": Decimal("1.10")},
    }
    assert isinstance(notification.data["amount"], Decimal)
    # a business id the generic notification recognises still keys the event
    assert notification.idempotency_key == "SOMETHING_NEW:D-1:"


@pytest.mark.parametrize("sign", [None, "", "   ", "not base64 !!", "QUJD"])
def test_missing_or_garbage_signature_fails_closed(verifier: WebhookVerifier, sign: str | None) -> None:
    with pytest.raises(SignatureError):
        verifier.parse(body(), sign)


def test_tampered_body_or_signature_fails_closed(verifier: WebhookVerifier, keys: Keys) -> None:
    raw = body()
    sign = keys.payermax_sign(raw)
    tampered = raw.replace(b'"SUCCESS"', b'"FAILED"')
    with pytest.raises(SignatureError):
        verifier.parse(tampered, sign)
    flipped = sign[:10] + ("A" if sign[10] != "A" else "B") + sign[11:]
    with pytest.raises(SignatureError):
        verifier.parse(raw, flipped)
    assert verifier.verify(raw, sign) and not verifier.verify(tampered, sign)


def test_signature_by_another_key_fails_closed(verifier: WebhookVerifier) -> None:
    other_private, _ = generate_key_pair()
    raw = body()
    forged = base64.b64encode(RsaSigner(other_private).sign(raw)).decode()
    with pytest.raises(SignatureError):
        verifier.parse(raw, forged)


def test_unverified_bytes_are_never_decoded(keys: Keys) -> None:
    class Refusing:
        def __init__(self) -> None:
            self.seen: list[bytes] = []

        def verify(self, message: bytes, signature: bytes) -> bool:
            self.seen.append(message)
            return False

    refusing = Refusing()
    # Not JSON at all: a decode attempt would raise NotificationError; the signature check comes first.
    with pytest.raises(SignatureError) as info:
        parse_notification(b"\xff not json", "QUJD", refusing)
    assert refusing.seen == [b"\xff not json"]
    assert "not json" not in str(info.value) and "QUJD" not in str(info.value)


def test_signed_but_malformed_bodies_are_notification_errors(verifier: WebhookVerifier, keys: Keys) -> None:
    for raw in (
        b"not json",
        # every notification field is optional (a webhook that fails to parse is re-sent for half a
        # day, then dropped), but a field of the wrong JSON type is not accepted
        body("REFUND", {"outRefundNo": ["R-1"]}),
        body("PAYMENT", {"totalAmount": {"value": 1}}),
        body("PAYMENT", {"outTradeNo": "O", "status": 7}),
        b'{"data": {}}',
    ):
        with pytest.raises(NotificationError):
            verifier.parse(raw, keys.payermax_sign(raw))


def test_parse_notification_takes_a_key_or_a_verifier(keys: Keys) -> None:
    raw = body("REFUND", when=datetime.now(UTC))  # fresh: the default window applies
    sign = keys.payermax_sign(raw)
    assert isinstance(parse_notification(raw, sign, keys.payermax_public), RefundNotification)
    assert isinstance(
        parse_notification(bytearray(raw), sign, RsaVerifier(keys.payermax_public)), RefundNotification
    )
    with pytest.raises(TypeError):
        parse_notification(raw.decode(), sign, keys.payermax_public)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_notification(raw, sign, 42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- replays


def test_replayed_old_notification_is_refused_when_max_age_is_set(keys: Keys) -> None:
    clock = [NOW.timestamp()]
    fresh = WebhookVerifier(keys.payermax_public, max_age=300, clock=lambda: clock[0])
    raw = body()
    sign = keys.payermax_sign(raw)
    assert fresh.parse(raw, sign).notify_time == NOW
    clock[0] += 301  # the same signed bytes, replayed five minutes later
    with pytest.raises(StaleNotificationError):
        fresh.parse(raw, sign)
    future = body(when=NOW + timedelta(hours=1))
    clock[0] = NOW.timestamp()
    with pytest.raises(StaleNotificationError):
        fresh.parse(future, keys.payermax_sign(future))
    undated = body(when=None)
    with pytest.raises(StaleNotificationError, match="notifyTime"):
        fresh.parse(undated, keys.payermax_sign(undated))
    assert isinstance(StaleNotificationError("x"), SignatureError)


def test_without_max_age_old_notifications_still_parse(keys: Keys) -> None:
    raw = body(when=datetime(2020, 1, 1, tzinfo=UTC))
    unchecked = WebhookVerifier(keys.payermax_public, max_age=None)
    assert unchecked.parse(raw, keys.payermax_sign(raw)).notify_time is not None


def test_notification_for_another_merchant_is_refused(keys: Keys) -> None:
    mine = WebhookVerifier(
        keys.payermax_public, app_id="app-test", merchant_no="M-TEST-1", clock=NOW.timestamp
    )
    ours = body()
    assert mine.parse(ours, keys.payermax_sign(ours)).merchant_no == "M-TEST-1"
    for theirs in (body(merchantNo="M-OTHER"), body(appId="app-other"), body(merchantNo=None)):
        with pytest.raises(NotificationError):
            mine.parse(theirs, keys.payermax_sign(theirs))
    # no app id: accepted (PayerMax's own TOKENIZATION example carries none), the merchant still checked
    no_app = body(appId=None)
    assert mine.parse(no_app, keys.payermax_sign(no_app)).merchant_no == "M-TEST-1"


def test_verifier_construction_rules(keys: Keys) -> None:
    with pytest.raises(TypeError):
        WebhookVerifier()
    with pytest.raises(TypeError):
        WebhookVerifier(keys.payermax_public, verifier=RsaVerifier(keys.payermax_public))
    with pytest.raises(ValueError, match="max_age"):
        WebhookVerifier(keys.payermax_public, max_age=0)
    assert "fingerprint=" in repr(WebhookVerifier(verifier=RsaVerifier(keys.payermax_public)))


async def test_redelivered_notification_is_processed_once(verifier: WebhookVerifier, keys: Keys) -> None:
    dedup = NotificationDeduplicator()
    handled: list[str] = []

    async def handler(n: PaymentNotification) -> None:
        assert n.data is not None and n.data.out_trade_no is not None
        handled.append(n.data.out_trade_no)

    raw = body()
    ran = []
    for _ in range(6):  # PayerMax's whole re-send schedule
        n = verifier.parse(raw, keys.payermax_sign(raw))
        assert isinstance(n, PaymentNotification)
        ran.append(await dedup.process_once(n, handler))
    assert ran == [True, False, False, False, False, False] and handled == ["O-1"]
    # A new notifyTime on a re-send does not make it a new event; a new status does.
    later = body(when=NOW + timedelta(minutes=5))
    closed = body(data={**DATA["PAYMENT"], "status": "CLOSED"})
    n_later = verifier.parse(later, keys.payermax_sign(later))
    n_closed = verifier.parse(closed, keys.payermax_sign(closed))
    assert isinstance(n_later, PaymentNotification) and isinstance(n_closed, PaymentNotification)
    assert not await dedup.process_once(n_later, handler)
    assert await dedup.process_once(n_closed, handler)


async def test_failed_handler_releases_the_key_for_the_resend(verifier: WebhookVerifier, keys: Keys) -> None:
    dedup = NotificationDeduplicator()
    raw = body("REFUND")
    n = verifier.parse(raw, keys.payermax_sign(raw))
    calls = 0

    async def flaky(_: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        await dedup.process_once(n, flaky)
    assert await dedup.process_once(n, flaky) and calls == 2
    assert not await dedup.process_once(n, flaky)


async def test_concurrent_deliveries_run_the_handler_once(verifier: WebhookVerifier, keys: Keys) -> None:
    dedup = NotificationDeduplicator()
    raw = body("CAPTURE")
    n = verifier.parse(raw, keys.payermax_sign(raw))
    started = 0

    async def slow(_: Any) -> None:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)

    results = await asyncio.gather(*(dedup.process_once(n, slow) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True] and started == 1


async def test_in_memory_store_expires_and_stays_bounded() -> None:
    now = [1000.0]
    store = InMemorySeenStore(max_keys=3, clock=lambda: now[0])
    assert isinstance(store, SeenStore)
    assert await store.add("a", 10) and not await store.add("a", 10) and "a" in store
    now[0] += 11
    assert "a" not in store and await store.add("a", 10)  # expired, so new again
    for key in "bcd":
        assert await store.add(key, 100)
    assert len(store) == 3 and "a" not in store  # the oldest was dropped at the bound
    await store.discard("b")
    assert await store.add("b", 100)
    with pytest.raises(ValueError, match="max_keys"):
        InMemorySeenStore(max_keys=0)
    with pytest.raises(ValueError, match="ttl"):
        NotificationDeduplicator(ttl=0)


async def test_a_custom_store_gets_the_key_and_ttl(verifier: WebhookVerifier, keys: Keys) -> None:
    class Recording:
        def __init__(self) -> None:
            self.calls: list[tuple[str, float]] = []

        async def add(self, key: str, ttl: float) -> bool:
            self.calls.append((key, ttl))
            return True

        async def discard(self, key: str) -> None:
            raise AssertionError("not expected")

    store = Recording()
    raw = body("CANCEL")
    n = verifier.parse(raw, keys.payermax_sign(raw))
    assert await NotificationDeduplicator(store, ttl=60).claim(n)
    assert store.calls == [("CANCEL:O-2:REQ-2:CN-1:FAILED", 60)]


# ---------------------------------------------------------------------------- acknowledgement


def test_ack_body_is_exactly_what_payermax_expects() -> None:
    assert ACK_BODY == b'{"code":"SUCCESS","msg":"Success"}'
    assert json.loads(ACK_BODY) == {"code": "SUCCESS", "msg": "Success"}
    assert ack_response() == (ACK_BODY, 200, "application/json")


def test_framework_responses_carry_the_ack() -> None:
    aio = aiohttp_ack()
    assert aio.status == 200 and aio.body == ACK_BODY and aio.content_type == ACK_CONTENT_TYPE
    assert aiohttp_ack() is not aio  # a Response is single-use; each call makes a new one
    star = starlette_ack()
    assert star.status_code == 200 and star.body == ACK_BODY
    assert star.headers["content-type"].startswith("application/json")
