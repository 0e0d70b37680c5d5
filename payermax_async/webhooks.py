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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar, cast

import msgspec
from aiohttp import web

from ._envelope import decode_exact
from .dedup import (
    DEFAULT_DEDUP_LEASE,
    DEFAULT_DEDUP_TTL,
    Claim,
    InMemorySeenStore,
    LeasingSeenStore,
    NotificationDeduplicator,
    SeenStore,
    SqliteSeenStore,
)
from .errors import NotificationError, NotificationInFlightError, SignatureError, StaleNotificationError
from .keys import PublicKeys, verifier_for
from .signing import Backend, PublicKey, RsaVerifier, Verifier, verify_sign_header
from .types._base import NotificationEnvelope, WireResult, decode_data
from .types.common import NotificationType
from .types.notifications import (
    BY_NOTIFY_TYPE,
    BalanceNotification,
    BillPaymentNotification,
    CancelNotification,
    CaptureNotification,
    FraudNotification,
    GenericNotification,
    PaymentNotification,
    PayoutNotification,
    RefundNotification,
    TokenizationNotification,
    VirtualAccountReceiptNotification,
)

if TYPE_CHECKING:
    from starlette.responses import Response as StarletteResponse

__all__ = [
    "ACK_BODY",
    "ACK_CONTENT_TYPE",
    "ACK_STATUS",
    "DEFAULT_DEDUP_LEASE",
    "DEFAULT_DEDUP_TTL",
    "DEFAULT_MAX_AGE",
    "CancelNotification",
    "CaptureNotification",
    "Claim",
    "GenericNotification",
    "InMemorySeenStore",
    "LeasingSeenStore",
    "Notification",
    "NotificationBase",
    "NotificationDeduplicator",
    "NotificationEnvelope",
    "NotificationError",
    "NotificationInFlightError",
    "NotificationType",
    "PaymentNotification",
    "PayoutNotification",
    "RefundNotification",
    "SeenStore",
    "SqliteSeenStore",
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

#: How far ``notifyTime`` may be from now. PayerMax re-sends at 0 s, 30 s, 5 min, 10 min, 1 h and
#: 12 h; should a re-send keep the first ``notifyTime``, the last arrives some 13 h after it. A day
#: covers that with room for clock error, and still refuses a notification replayed days later.
DEFAULT_MAX_AGE = 24 * 3600.0


#: What :meth:`WebhookVerifier.parse` returns: a typed notification for each ``notifyType`` the
#: schema names (``types.notifications.BY_NOTIFY_TYPE``); any other (PayerMax documents some
#: callbacks without one) parses as :class:`GenericNotification` with ``data`` as a dict.
Notification = (
    PaymentNotification
    | CaptureNotification
    | CancelNotification
    | RefundNotification
    | PayoutNotification
    | TokenizationNotification
    | BillPaymentNotification
    | VirtualAccountReceiptNotification
    | FraudNotification
    | BalanceNotification
    | GenericNotification
)

#: Kept for code written against 0.1: the base every typed notification shares.
NotificationBase = NotificationEnvelope

NOTIFICATION_TYPES: dict[str, type[NotificationEnvelope]] = {
    k: v for k, v in BY_NOTIFY_TYPE.items() if issubclass(v, NotificationEnvelope)
}


W = TypeVar("W", bound=WireResult)


class _Probe(msgspec.Struct):
    notifyType: str  # the wire name, decoded as is


_PROBE = msgspec.json.Decoder(_Probe)


def _as_verifier(key: PublicKeys | Verifier, backend: Backend | None) -> Verifier:
    if isinstance(key, (str, bytes, PublicKey)):
        return RsaVerifier(key, backend=backend)
    if callable(getattr(key, "verify", None)):
        return cast(Verifier, key)
    if isinstance(key, Sequence):  # several keys during a rotation: any of them may have signed
        return verifier_for(key, backend=backend)
    raise TypeError("expected a PayerMax public key (str, bytes, PublicKey), a list of them, or a Verifier")


def _decode(raw: bytes) -> Notification:
    """Decode an already verified body; every failure is a NotificationError."""
    try:
        notify_type = _PROBE.decode(raw).notifyType
        typed = NOTIFICATION_TYPES.get(notify_type)
        if typed is not None:
            return cast(Notification, decode_data(raw, typed))
        generic = decode_data(raw, GenericNotification)
        # The data of an unknown type comes back as a dict; its numbers as exact Decimals.
        exact = decode_exact(raw)
        return msgspec.structs.replace(generic, data=exact.get("data"))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NotificationError(f"signed notification does not parse: {exc}") from None


class WebhookVerifier:
    """Verifies and parses notifications for one merchant; build it once, share it.

    ``max_age`` (seconds, default :data:`DEFAULT_MAX_AGE`, a day) rejects notifications whose
    ``notifyTime`` is further than that from now, in either direction: it bounds how long a
    captured notification can be replayed, while covering PayerMax's whole re-send schedule.
    ``max_age=None`` turns the check off. ``app_id`` / ``merchant_no``, when given,
    must match the notification's: PayerMax signs notifications for every merchant with the same
    platform key, so a signature alone does not say the notification is meant for you. A notification
    without ``merchantNo`` is refused then (every one PayerMax documents carries it); one without an
    app id is not (PayerMax's TOKENIZATION example has none).
    During a key rotation pass a list of public keys: a notification verifies if any of them does.
    """

    __slots__ = ("_clock", "_verifier", "app_id", "max_age", "merchant_no")

    def __init__(
        self,
        payermax_public_key: PublicKeys | None = None,
        *,
        verifier: Verifier | None = None,
        backend: Backend | None = None,
        max_age: float | None = DEFAULT_MAX_AGE,
        app_id: str | None = None,
        merchant_no: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (payermax_public_key is None) == (verifier is None):
            raise TypeError("pass exactly one of payermax_public_key or verifier")
        source: PublicKeys | Verifier
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

    def parse_as(self, raw_body: bytes | bytearray | memoryview, sign: str | None, type_: type[W]) -> W:
        """Verify, then decode into ``type_``: for the callbacks whose body names no ``notifyType``
        (the RFI request, bill payment validation), which arrive at a URL of their own, so the
        caller knows what they are. Freshness is checked where the type carries ``notifyTime``."""
        raw = _raw(raw_body)
        if not sign:
            raise SignatureError("notification carries no sign header")
        if not verify_sign_header(self._verifier, raw, sign):
            raise SignatureError("notification signature does not verify")
        try:
            notification = decode_data(raw, type_)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise NotificationError(f"signed notification does not parse: {exc}") from None
        if "notify_time" in type_.__struct_fields__:
            self._check_freshness(notification)
        self._check_recipient(notification)
        return notification

    def _check_freshness(self, notification: WireResult) -> None:
        if self.max_age is None:
            return
        notify_time: datetime | None = getattr(notification, "notify_time", None)
        if notify_time is None:
            raise StaleNotificationError("notification carries no notifyTime; cannot check freshness")
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        age = (now - notify_time).total_seconds()
        if abs(age) > self.max_age:
            raise StaleNotificationError(
                f"notifyTime is {age:+.0f}s from now; at most {self.max_age:.0f}s accepted"
            )

    def _check_recipient(self, notification: WireResult) -> None:
        merchant_no = getattr(notification, "merchant_no", None)
        if self.merchant_no is not None and merchant_no != self.merchant_no:
            raise NotificationError(f"notification is for merchant {merchant_no!r}")
        app = getattr(notification, "app_id", None) or getattr(notification, "merchant_app_id", None)
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
    max_age: float | None = DEFAULT_MAX_AGE,
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
