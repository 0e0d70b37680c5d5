"""Notifications (webhooks) PayerMax POSTs to the merchant: one typed struct per ``notifyType``.

A notification's ``data`` carries the same fields as the matching query or operation response,
but decoding here is more lenient than for responses: a webhook that fails to parse is retried
by PayerMax for half a day and then dropped, so only the ids and the status are required.
``code``/``msg`` describe the notification, not the business outcome: act on ``data.status``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from .cancel import CancelStatus
from .capture import CaptureStatus
from .common import AwareDatetime, FinalByStatus, Result
from .order import PaymentDetailResult, PaymentStatus
from .payout import PayoutQueryResult
from .refund import RefundQueryResult

__all__ = [
    "CancelNotification",
    "CancelNotificationData",
    "CaptureNotification",
    "CaptureNotificationData",
    "GenericNotification",
    "Notification",
    "NotificationBase",
    "NotificationType",
    "PaymentNotification",
    "PaymentNotificationData",
    "PayoutNotification",
    "PayoutNotificationData",
    "RefundNotification",
    "RefundNotificationData",
]


class NotificationType:
    """The ``notifyType`` values with a typed decoding. Others parse as :class:`GenericNotification`."""

    PAYMENT = "PAYMENT"
    CAPTURE = "CAPTURE"
    CANCEL = "CANCEL"
    REFUND = "REFUND"
    PAYOUT = "PAYOUT"


class NotificationBase(Result, frozen=True):
    """The envelope every notification shares. Older notifications say ``merchantAppId``."""

    notify_type: str
    code: str | None = None
    msg: str | None = None
    key_version: str | None = None
    app_id: str | None = None
    merchant_app_id: str | None = None
    merchant_no: str | None = None
    notify_time: AwareDatetime | None = None

    #: the ``data`` fields that identify the business object, in key order
    _id_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def application_id(self) -> str | None:
        return self.app_id or self.merchant_app_id

    @property
    def idempotency_key(self) -> str:
        """Same event, same key: ``notifyType``, the business ids and the status.

        PayerMax re-sends a notification until it is acknowledged; a re-send yields the same key,
        while a real change (a SUCCESS payout turning BOUNCEBACK) yields a new one.
        """
        data = getattr(self, "data", None)
        parts = [self.notify_type]
        if isinstance(data, dict):
            for name in ("outTradeNo", "requestId", "captureNo", "cancelNo", "outRefundNo", "tradeNo"):
                if data.get(name) is not None:
                    parts.append(str(data[name]))
            status = data.get("status")
        else:
            parts.extend(str(getattr(data, name) or "") for name in self._id_fields)
            status = getattr(data, "status", None)
        parts.append(str(getattr(status, "value", status) or ""))
        return ":".join(parts)


class PaymentNotificationData(Result, FinalByStatus, frozen=True):
    """A payment or authorization result (the fields of ``orderQuery``)."""

    out_trade_no: str
    status: PaymentStatus
    trade_token: str | None = None
    total_amount: Decimal | None = None
    currency: str | None = None
    country: str | None = None
    result_code: str | None = None
    result_msg: str | None = None
    reference: str | None = None
    user_id: str | None = None
    capture_mode: str | None = None
    authorization_type: str | None = None
    payment_details: tuple[PaymentDetailResult, ...] = ()


class CaptureNotificationData(Result, FinalByStatus, frozen=True):
    out_trade_no: str
    status: CaptureStatus
    capture_no: str | None = None
    request_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    created_time: AwareDatetime | None = None
    succeeded_time: AwareDatetime | None = None
    failed_time: AwareDatetime | None = None
    error_code: str | None = None
    error_msg: str | None = None


class CancelNotificationData(Result, FinalByStatus, frozen=True):
    out_trade_no: str
    status: CancelStatus
    cancel_no: str | None = None
    request_id: str | None = None
    created_time: AwareDatetime | None = None
    succeeded_time: AwareDatetime | None = None
    failed_time: AwareDatetime | None = None
    error_code: str | None = None
    error_msg: str | None = None


# These notifications carry exactly the fields of the matching query's answer: one type for both.
RefundNotificationData = RefundQueryResult
PayoutNotificationData = PayoutQueryResult


class PaymentNotification(NotificationBase, frozen=True, kw_only=True):
    """PayerMax's word on a payment or authorization; update your order from ``data.status``."""

    data: PaymentNotificationData
    _id_fields: ClassVar[tuple[str, ...]] = ("out_trade_no",)


class CaptureNotification(NotificationBase, frozen=True, kw_only=True):
    """PayerMax's word on a capture that was pending when it answered."""

    data: CaptureNotificationData
    _id_fields: ClassVar[tuple[str, ...]] = ("out_trade_no", "request_id", "capture_no")


class CancelNotification(NotificationBase, frozen=True, kw_only=True):
    """PayerMax's word on a void that was pending when it answered."""

    data: CancelNotificationData
    _id_fields: ClassVar[tuple[str, ...]] = ("out_trade_no", "request_id", "cancel_no")


class RefundNotification(NotificationBase, frozen=True, kw_only=True):
    """PayerMax's word on a refund; refunds usually settle this way rather than at once."""

    data: RefundNotificationData
    _id_fields: ClassVar[tuple[str, ...]] = ("out_trade_no", "out_refund_no")


class PayoutNotification(NotificationBase, frozen=True, kw_only=True):
    """PayerMax's word on a payout; payouts usually settle this way rather than at once."""

    data: PayoutNotificationData
    _id_fields: ClassVar[tuple[str, ...]] = ("out_trade_no",)


class GenericNotification(NotificationBase, frozen=True, kw_only=True):
    """A ``notifyType`` this version does not type: ``data`` as a dict with exact Decimals."""

    data: dict[str, Any] | None = None


Notification = (
    PaymentNotification
    | CaptureNotification
    | CancelNotification
    | RefundNotification
    | PayoutNotification
    | GenericNotification
)

NOTIFICATION_TYPES: dict[str, type[NotificationBase]] = {
    NotificationType.PAYMENT: PaymentNotification,
    NotificationType.CAPTURE: CaptureNotification,
    NotificationType.CANCEL: CancelNotification,
    NotificationType.REFUND: RefundNotification,
    NotificationType.PAYOUT: PayoutNotification,
}
