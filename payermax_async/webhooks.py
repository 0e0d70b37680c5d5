"""Receiving PayerMax notifications safely: verify, then parse, then process once, then acknowledge.

The order matters. The ``sign`` header is checked over the raw request bytes before anything
reads them (fail closed: a missing or wrong signature is a :class:`SignatureError` and the body
is never decoded). Only then is the JSON decoded into a typed notification by ``notifyType``.
PayerMax re-sends a notification until it sees exactly :data:`ACK_BODY` (at 0 s, 30 s, 5 min,
10 min, 1 h and 12 h), so handlers must be idempotent; :class:`NotificationDeduplicator` helps.

A service builds one :class:`WebhookVerifier` at startup (the key is parsed once) and calls
``verifier.parse(await request.read(), request.headers.get("sign"))`` per request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

import msgspec
from aiohttp import web

from .errors import NotificationError, SignatureError, StaleNotificationError
from .models.common import decode_exact, decode_model
from .models.notification import (
    NOTIFICATION_TYPES,
    CancelNotification,
    CaptureNotification,
    GenericNotification,
    Notification,
    NotificationBase,
    NotificationType,
    PaymentNotification,
    PayoutNotification,
    RefundNotification,
)
from .signing import Backend, PublicKey, RsaVerifier, Verifier, verify_sign_header

if TYPE_CHECKING:
    from starlette.responses import Response as StarletteResponse

__all__ = [
    "ACK_BODY",
    "ACK_CONTENT_TYPE",
    "ACK_STATUS",
    "DEFAULT_DEDUP_TTL",
    "CancelNotification",
    "CaptureNotification",
    "GenericNotification",
    "InMemorySeenStore",
    "Notification",
    "NotificationBase",
    "NotificationDeduplicator",
    "NotificationError",
    "NotificationType",
    "PaymentNotification",
    "PayoutNotification",
    "RefundNotification",
    "SeenStore",
    "StaleNotificationError",
    "WebhookVerifier",
    "ack_response",
    "aiohttp_ack",
    "parse_notification",
    "starlette_ack",
]

#: The one answer PayerMax accepts as "received"; anything else is re-sent later.
ACK_BODY = b'{"code":"SUCCESS","msg":"Success"}'
ACK_STATUS = 200
ACK_CONTENT_TYPE = "application/json"

#: PayerMax's last re-send comes about 13 h after the first; a day covers the whole schedule.
DEFAULT_DEDUP_TTL = 24 * 3600.0

N = TypeVar("N", bound=NotificationBase)


class _Probe(msgspec.Struct):
    notifyType: str  # the wire name, decoded as is


_PROBE = msgspec.json.Decoder(_Probe)


def _as_verifier(key: str | bytes | PublicKey | Verifier, backend: Backend | None) -> Verifier:
    if isinstance(key, (str, bytes, PublicKey)):
        return RsaVerifier(key, backend=backend)
    if callable(getattr(key, "verify", None)):
        return key
    raise TypeError("expected a PayerMax public key (str, bytes, PublicKey) or a Verifier")


def _decode(raw: bytes) -> Notification:
    """Decode an already verified body; every failure is a NotificationError."""
    try:
        notify_type = _PROBE.decode(raw).notifyType
        typed = NOTIFICATION_TYPES.get(notify_type)
        if typed is not None:
            return cast(Notification, decode_model(raw, typed))
        generic = decode_model(raw, GenericNotification)
        # The data of an unknown type comes back as a dict; its numbers as exact Decimals.
        exact = decode_exact(raw)
        return msgspec.structs.replace(generic, data=exact.get("data"))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NotificationError(f"signed notification does not parse: {exc}") from None


class WebhookVerifier:
    """Verifies and parses notifications for one merchant; build it once, share it.

    ``max_age`` (seconds) rejects notifications whose ``notifyTime`` is further than that from
    now, in either direction: it bounds how long a captured notification can be replayed.
    Leave it None unless your clock is synchronised; PayerMax's last re-send is ~13 h after the
    first, and a re-send carries a new ``notifyTime``. ``app_id`` / ``merchant_no``, when given,
    must match the notification's: PayerMax signs notifications for every merchant with the same
    platform key, so a signature alone does not say the notification is meant for you.
    """

    __slots__ = ("_clock", "_verifier", "app_id", "max_age", "merchant_no")

    def __init__(
        self,
        payermax_public_key: str | bytes | PublicKey | None = None,
        *,
        verifier: Verifier | None = None,
        backend: Backend | None = None,
        max_age: float | None = None,
        app_id: str | None = None,
        merchant_no: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (payermax_public_key is None) == (verifier is None):
            raise TypeError("pass exactly one of payermax_public_key or verifier")
        source: str | bytes | PublicKey | Verifier
        if verifier is not None:
            source = verifier
        else:
            assert payermax_public_key is not None
            source = payermax_public_key
        self._verifier = _as_verifier(source, backend)
        if max_age is not None and not max_age > 0:
            raise ValueError("max_age must be > 0 seconds")
        self.max_age = max_age
        self.app_id = app_id
        self.merchant_no = merchant_no
        self._clock = clock

    def verify(self, raw_body: bytes | bytearray | memoryview, sign: str | None) -> bool:
        """True when ``sign`` is PayerMax's signature over exactly ``raw_body``."""
        return verify_sign_header(self._verifier, _raw(raw_body), sign)

    def parse(self, raw_body: bytes | bytearray | memoryview, sign: str | None) -> Notification:
        """Verify, then decode. Raises SignatureError (incl. stale) or NotificationError."""
        raw = _raw(raw_body)
        if not sign:
            raise SignatureError("notification carries no sign header")
        if not verify_sign_header(self._verifier, raw, sign):
            raise SignatureError("notification signature does not verify")
        notification = _decode(raw)
        self._check_freshness(notification)
        self._check_recipient(notification)
        return notification

    def _check_freshness(self, notification: NotificationBase) -> None:
        if self.max_age is None:
            return
        if notification.notify_time is None:
            raise StaleNotificationError("notification carries no notifyTime; cannot check freshness")
        now = datetime.fromtimestamp(self._clock(), tz=timezone.utc)
        age = (now - notification.notify_time).total_seconds()
        if abs(age) > self.max_age:
            raise StaleNotificationError(
                f"notifyTime is {age:+.0f}s from now; at most {self.max_age:.0f}s accepted"
            )

    def _check_recipient(self, notification: NotificationBase) -> None:
        if self.merchant_no is not None and notification.merchant_no not in (None, self.merchant_no):
            raise NotificationError(f"notification is for merchant {notification.merchant_no!r}")
        app = notification.application_id
        if self.app_id is not None and app not in (None, self.app_id):
            raise NotificationError(f"notification is for app {app!r}")

    def __repr__(self) -> str:
        return f"WebhookVerifier(verifier={self._verifier!r}, max_age={self.max_age})"


def _raw(raw_body: bytes | bytearray | memoryview) -> bytes:
    if isinstance(raw_body, (bytearray, memoryview)):
        return bytes(raw_body)
    if not isinstance(raw_body, bytes):
        # A str was already decoded; re-encoding it need not give the signed bytes back.
        raise TypeError("raw_body must be the request's raw bytes")
    return raw_body


def parse_notification(
    raw_body: bytes | bytearray | memoryview,
    sign: str | None,
    payermax_public_key: str | bytes | PublicKey | Verifier,
    *,
    max_age: float | None = None,
    app_id: str | None = None,
    merchant_no: str | None = None,
    backend: Backend | None = None,
) -> Notification:
    """Verify ``sign`` over ``raw_body`` with PayerMax's key (or a Verifier), then decode.

    A one-off convenience: it parses the key on every call. Services should build a
    :class:`WebhookVerifier` once and call its ``parse``.
    """
    return WebhookVerifier(
        verifier=_as_verifier(payermax_public_key, backend),
        max_age=max_age,
        app_id=app_id,
        merchant_no=merchant_no,
    ).parse(raw_body, sign)


# ---------------------------------------------------------------------------- idempotency


@runtime_checkable
class SeenStore(Protocol):
    """Where processed notification keys are remembered, e.g. Redis ``SET key 1 NX EX ttl``.

    ``add`` must be atomic: two concurrent deliveries of one notification may both arrive.
    """

    async def add(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; True when it was not already remembered."""
        ...

    async def discard(self, key: str) -> None:
        """Forget ``key`` (its processing failed, so a re-send must be processed again)."""
        ...


class InMemorySeenStore:
    """A bounded, expiring in-process store: right for one process, lost on restart.

    At ``max_keys`` the oldest keys are dropped first, so memory stays bounded under any load;
    a duplicate of a dropped key is processed again, which idempotent handlers tolerate.
    """

    __slots__ = ("_clock", "_expiry", "max_keys")

    def __init__(self, max_keys: int = 100_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    async def add(self, key: str, ttl: float) -> bool:
        now = self._clock()
        self._purge(now)
        expires = self._expiry.get(key)
        if expires is not None and expires > now:
            return False
        self._expiry[key] = now + ttl
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.max_keys:
            self._expiry.popitem(last=False)
        return True

    async def discard(self, key: str) -> None:
        self._expiry.pop(key, None)

    def _purge(self, now: float) -> None:
        # Insertion order is close to expiry order (one ttl per deduplicator), so stop early.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]

    def __len__(self) -> int:
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._expiry.get(key, 0.0) > self._clock()


class NotificationDeduplicator:
    """Runs a handler at most once per notification (by its ``idempotency_key``).

    A handler that raises releases the key, so PayerMax's re-send is processed again; answer
    such a delivery with an error status (not the ack) so that PayerMax does re-send it.
    """

    __slots__ = ("store", "ttl")

    def __init__(self, store: SeenStore | None = None, *, ttl: float = DEFAULT_DEDUP_TTL) -> None:
        if not ttl > 0:
            raise ValueError("ttl must be > 0 seconds")
        self.store: SeenStore = store if store is not None else InMemorySeenStore()
        self.ttl = ttl

    async def claim(self, notification: NotificationBase) -> bool:
        """True for the first delivery of this event; False for a duplicate."""
        return await self.store.add(notification.idempotency_key, self.ttl)

    async def release(self, notification: NotificationBase) -> None:
        await self.store.discard(notification.idempotency_key)

    async def process_once(self, notification: N, handler: Callable[[N], Awaitable[Any]]) -> bool:
        """Run ``handler(notification)`` unless this event was already handled; True if it ran."""
        if not await self.claim(notification):
            return False
        try:
            await handler(notification)
        except BaseException:
            await self.release(notification)
            raise
        return True


# ---------------------------------------------------------------------------- responses


def ack_response() -> tuple[bytes, int, str]:
    """(body, HTTP status, content type) of the acknowledgement, for any framework."""
    return ACK_BODY, ACK_STATUS, ACK_CONTENT_TYPE


def aiohttp_ack() -> web.Response:
    """The acknowledgement as an aiohttp.web response (a new object each call)."""
    return web.Response(body=ACK_BODY, status=ACK_STATUS, content_type=ACK_CONTENT_TYPE)


def starlette_ack() -> StarletteResponse:
    """The acknowledgement as a Starlette/FastAPI response. Starlette is not a dependency of
    this library; it is imported here, when a FastAPI service asks for it."""
    try:
        from starlette.responses import Response
    except ImportError:  # pragma: no cover - exercised only without starlette
        raise ImportError("starlette_ack needs starlette (FastAPI); use ack_response() otherwise") from None
    return Response(content=ACK_BODY, status_code=ACK_STATUS, media_type=ACK_CONTENT_TYPE)
