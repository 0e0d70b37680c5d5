"""The simulator's ledger: orders, authorizations, captures, voids, refunds, payouts, and the rules.

Everything here is protocol-free: ``handle(api_name, data)`` takes the parsed ``data`` of an
already authenticated request and returns the ``code``, ``msg`` and encoded ``data`` to answer.
Each result's ``data`` is encoded once and kept, so that a replayed business id gets the very
bytes it got the first time.

Refusal codes (PayerMax documents the names, not always when each is used; these are the
simulator's choices):

=======================  ==========================================================================
``PARAMS_INVALID``        a required field is missing, of the wrong JSON type or too long
``AMOUNT_INVALID``        amount <= 0, more decimals than the currency has, a capture above the
                          authorized amount, or a refund above what was paid/captured and not yet
                          refunded
``CURRENCY_INVALID``      not an ISO 4217 code, or not the currency of the order
``COUNTRY_INVALID``       not an ISO 3166 alpha-2 code
``ORDER_NOT_EXIST``       unknown ``outTradeNo`` / ``tradeToken`` / ``outRefundNo``
``ORDER_REPEAT``          ``orderAndPay`` / ``paymentOrderPay`` with an ``outTradeNo`` already used
                          (even with identical data), or a ``requestId`` (capture, cancel) or
                          ``outRefundNo`` replayed with *different* parameters
``ORDER_STATUS_INVALID``  the order's state forbids it: capturing a payment (not an
                          authorization), an authorization that failed or is pending, or one
                          already captured; voiding a captured authorization; refunding
                          something not paid; closing something already paid
``ORDER_CLOSED``          capturing an authorization that was voided (``cancel``) or closed, or
                          voiding it again under a new ``requestId``
``AUTH_EXPIRED``          capturing an authorization older than 7 days
=======================  ==========================================================================
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..codes import (
    AMOUNT_INVALID,
    APPLY_SUCCESS,
    AUTH_EXPIRED,
    COUNTRY_INVALID,
    CURRENCY_INVALID,
    ORDER_CLOSED,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
    PARAMS_INVALID,
)
from ..validation import ISO_4217, currency_exponent
from .records import Event
from .wire import capture_time, encode, rfc3339_millis

__all__ = [
    "APPLY_SUCCESS",
    "AUTH_VALIDITY_SECONDS",
    "Cancel",
    "Capture",
    "Ledger",
    "Order",
    "Outcome",
    "Payout",
    "Refund",
    "Refusal",
]

SUCCESS_MSG = "Success."

AUTH_VALIDITY_SECONDS = 7 * 86400
DECLINED_CARD = "4000000000000002"

_COUNTRY = re.compile(r"[A-Z]{2}")
_INTEGRATIONS = ("Hosted_Checkout", "Direct_Payment")

#: (notify_type, url from the request or None, code, msg, data bytes)
NotifyHook = Callable[[str, "str | None", str, str, bytes], None]


class Refusal(Exception):
    """A request the gateway answers with an error code and no ``data``."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


@dataclass(frozen=True, slots=True)
class Outcome:
    code: str
    msg: str
    data: bytes | None = None


@dataclass(slots=True)
class Capture:
    capture_no: str
    request_id: str
    out_trade_no: str
    amount: Decimal
    currency: str
    status: str  # SUCCESS / PENDING / FAILED
    created_at: float
    finished_at: float | None = None
    error_code: str | None = None
    error_msg: str | None = None
    data: bytes = b""  # the current answer for this requestId

    @property
    def is_final(self) -> bool:
        return self.status != "PENDING"


@dataclass(slots=True)
class Cancel:
    cancel_no: str
    request_id: str
    out_trade_no: str
    status: str
    created_at: float
    data: bytes = b""


@dataclass(slots=True)
class Refund:
    out_refund_no: str
    refund_trade_no: str
    out_trade_no: str
    amount: Decimal
    currency: str
    status: str  # REFUND_SUCCESS / REFUND_PENDING / REFUND_FAILED
    created_at: float
    finished_at: float | None = None
    comments: str | None = None
    notify_url: str | None = None
    data: bytes = b""  # the refund call's answer, replayed for the same outRefundNo


@dataclass(slots=True)
class Order:
    """A payment or an authorization (``captureMode=MANUAL``, ``authorizationType=FINAL_AUTH``)."""

    out_trade_no: str
    trade_token: str
    is_authorization: bool
    amount: Decimal
    currency: str
    country: str
    status: str  # SUCCESS / PENDING / FAILED / CLOSED
    created_at: float
    integrate: str = "Direct_Payment"
    subject: str = ""
    user_id: str = ""
    notify_url: str | None = None
    redirect_url: str | None = None
    card_no: str | None = field(default=None, repr=False)  # a test card, but still a card number
    completed_at: float | None = None
    closed_at: float | None = None
    result_code: str | None = None
    result_msg: str | None = None
    captures: list[Capture] = field(default_factory=list)
    cancel: Cancel | None = None
    refunds: list[Refund] = field(default_factory=list)
    close_data: bytes | None = None

    @property
    def captured_amount(self) -> Decimal:
        return sum((c.amount for c in self.captures if c.status == "SUCCESS"), Decimal(0))

    @property
    def live_capture(self) -> Capture | None:
        """The capture that holds this authorization (SUCCESS or PENDING); failed ones do not."""
        return next((c for c in self.captures if c.status != "FAILED"), None)


@dataclass(slots=True)
class Payout:
    out_trade_no: str
    trade_no: str
    amount: str  # as sent: payouts carry the amount as a string
    currency: str
    country: str
    status: str  # SUCCESS / PENDING / FAILED
    created_at: float
    completed_at: float | None = None
    notify_url: str | None = None


# ---------------------------------------------------------------- request field checks


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _null(name: str) -> Refusal:
    return Refusal(PARAMS_INVALID, f"{name} is invalid,because {name} is null.")


def _text(
    data: dict[str, Any], key: str, max_len: int, *, required: bool = True, name: str = ""
) -> str | None:
    name = name or key
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise _null(name)
        return None
    if not isinstance(value, str):
        raise Refusal(PARAMS_INVALID, f"{name} must be string , but your input is {_json_type(value)}.")
    if len(value) > max_len:
        raise Refusal(
            PARAMS_INVALID,
            f"{name} length must be between 1 and {max_len},but your input value length is {len(value)}.",
        )
    return value


def _req(data: dict[str, Any], key: str, max_len: int, name: str = "") -> str:
    value = _text(data, key, max_len, name=name)
    assert value is not None
    return value


def _obj(data: dict[str, Any], key: str, *, required: bool = True, name: str = "") -> dict[str, Any] | None:
    name = name or key
    value = data.get(key)
    if value is None:
        if required:
            raise _null(name)
        return None
    if not isinstance(value, dict):
        raise Refusal(PARAMS_INVALID, f"{name} must be object , but your input is {_json_type(value)}.")
    return value


def _currency(data: dict[str, Any], key: str, name: str = "") -> str:
    value = _req(data, key, 3, name)
    if value not in ISO_4217:
        raise Refusal(CURRENCY_INVALID, f"{name or key} is invalid,because {name or key} is not defined.")
    return value


def _country(data: dict[str, Any], key: str = "country") -> str:
    value = _req(data, key, 2)
    if not _COUNTRY.fullmatch(value):
        raise Refusal(COUNTRY_INVALID, "No country support, pls re-pay.")
    return value


def _amount(
    data: dict[str, Any], key: str, currency: str, *, string_only: bool = False, name: str = ""
) -> Decimal:
    """Numbers or numeric strings (a Java gateway coerces both), unless the field is a string field."""
    name = name or key
    value = data.get(key)
    if value is None or value == "":
        raise _null(name)
    if string_only and not isinstance(value, str):
        raise Refusal(PARAMS_INVALID, f"{name} must be string , but your input is {_json_type(value)}.")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise Refusal(PARAMS_INVALID, f"{name} must be number , but your input is {_json_type(value)}.")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise Refusal(PARAMS_INVALID, f"{name} must be number , but your input is string.") from None
    if not amount.is_finite() or amount <= 0:
        raise Refusal(AMOUNT_INVALID, "Amount is incorrect.")
    decimals = currency_exponent(currency)
    try:
        exact = amount == amount.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:
        exact = False
    if not exact:
        raise Refusal(AMOUNT_INVALID, f"Amount is incorrect: {currency} takes {decimals} decimal places.")
    return amount


def _tail(amount: Decimal, currency: str) -> int:
    """The last two digits of the amount in minor units: what picks a scripted outcome."""
    return int(amount.scaleb(currency_exponent(currency))) % 100


# ---------------------------------------------------------------- the ledger


class Ledger:
    """In-memory state of one merchant at the gateway, and the operations on it.

    ``clock`` is the gateway's clock (skew included); ``notify`` is called for every state change
    PayerMax would notify; ``redirect_url`` builds a hosted-checkout URL from a trade token.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        notify: NotifyHook | None = None,
        redirect_url: Callable[[str], str] = lambda token: f"http://127.0.0.1/checkout/{token}",
    ) -> None:
        self._clock = clock
        self._notify_hook = notify
        self._redirect_url = redirect_url
        self._seq = itertools.count(1)
        self.orders: dict[str, Order] = {}
        self.by_token: dict[str, Order] = {}
        self.captures: dict[str, Capture] = {}  # by requestId
        self.cancels: dict[str, Cancel] = {}  # by requestId
        self.refunds: dict[str, Refund] = {}  # by outRefundNo
        self.refunds_by_trade_no: dict[str, Refund] = {}
        self.payouts: dict[str, Payout] = {}
        self.events: list[Event] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], Outcome]] = {
            "orderAndPay": self._order_and_pay,
            "orderQuery": self._order_query,
            "capture": self._capture,
            "cancel": self._cancel,
            "refund": self._refund,
            "refundQuery": self._refund_query,
            "orderClose": self._order_close,
            "paymentOrderPay": self._payout,
            "paymentOrderQry": self._payout_query,
        }

    # ------------------------------------------------------------ plumbing

    @property
    def api_names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def supports(self, api_name: str) -> bool:
        return api_name in self._handlers

    def handle(self, api_name: str, data: dict[str, Any]) -> Outcome:
        try:
            return self._handlers[api_name](data)
        except Refusal as refusal:
            return Outcome(refusal.code, refusal.msg)

    def _id(self, prefix: str) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(self._clock()))
        return f"{prefix}{stamp}{next(self._seq):08d}"

    def _event(self, kind: str, out_trade_no: str, ref: str | None, **detail: Any) -> None:
        self.events.append(Event(kind, out_trade_no, ref, self._clock(), detail))

    def _notify(
        self,
        notify_type: str,
        url: str | None,
        data: bytes,
        code: str = APPLY_SUCCESS,
        msg: str = SUCCESS_MSG,
    ) -> None:
        if self._notify_hook is not None:
            self._notify_hook(notify_type, url, code, msg, data)

    def _find_order(self, data: dict[str, Any]) -> Order:
        out_trade_no = _text(data, "outTradeNo", 64, required=False)
        token = _text(data, "tradeToken", 64, required=False)
        if out_trade_no is None and token is None:
            raise _null("outTradeNo")
        order = self.orders.get(out_trade_no) if out_trade_no else self.by_token.get(token or "")
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        return order

    # ------------------------------------------------------------ views (the wire shapes)

    def _order_view(self, order: Order) -> dict[str, Any]:
        view: dict[str, Any] = {
            "outTradeNo": order.out_trade_no,
            "tradeToken": order.trade_token,
            "totalAmount": order.amount,
            "currency": order.currency,
            "country": order.country,
            "status": order.status,
        }
        if order.result_code:
            view["resultCode"] = order.result_code
            view["resultMsg"] = order.result_msg or ""
        details: list[dict[str, Any]] = []
        if order.card_no and order.status != "PENDING":
            details.append(
                {
                    "paymentMethodType": "CARD",
                    "targetOrg": "VISA" if order.card_no.startswith("4") else "MASTERCARD",
                    "cardInfo": {
                        "cardOrg": "VISA" if order.card_no.startswith("4") else "MASTERCARD",
                        "cardIdentifierNo": f"{order.card_no[:6]}******{order.card_no[-4:]}",
                    },
                }
            )
        view["paymentDetails"] = details
        if order.is_authorization:
            view["captureMode"] = "MANUAL"
            view["authorizationType"] = "FINAL_AUTH"
            view["captureDetails"] = [self._capture_view(c) for c in order.captures]
        view["createTime"] = rfc3339_millis(order.created_at)
        if order.completed_at is not None:
            view["completeTime"] = rfc3339_millis(order.completed_at)
        if order.closed_at is not None:
            view["closeTime"] = rfc3339_millis(order.closed_at)
        return view

    @staticmethod
    def _capture_view(capture: Capture) -> dict[str, Any]:
        view: dict[str, Any] = {
            "captureNo": capture.capture_no,
            "requestId": capture.request_id,
            "outTradeNo": capture.out_trade_no,
            "amount": capture.amount,
            "currency": capture.currency,
            "status": capture.status,
            "isFinal": capture.is_final,
            "createdTime": capture_time(capture.created_at),
        }
        if capture.status == "SUCCESS" and capture.finished_at is not None:
            view["succeededTime"] = rfc3339_millis(capture.finished_at)
        if capture.status == "FAILED":
            if capture.finished_at is not None:
                view["failedTime"] = rfc3339_millis(capture.finished_at)
            view["errorCode"] = capture.error_code
            view["errorMsg"] = capture.error_msg
        return view

    @staticmethod
    def _refund_view(refund: Refund) -> dict[str, Any]:
        view: dict[str, Any] = {
            "outRefundNo": refund.out_refund_no,
            "refundTradeNo": refund.refund_trade_no,
            "refundAmount": refund.amount,
            "refundCurrency": refund.currency,
            "outTradeNo": refund.out_trade_no,
            "status": refund.status,
        }
        if refund.status == "REFUND_FAILED":
            view["resultMsg"] = "Refund failed (simulated)."
        if refund.finished_at is not None:
            view["refundFinishTime"] = rfc3339_millis(refund.finished_at)
        return view

    @staticmethod
    def _payout_view(payout: Payout) -> dict[str, Any]:
        view: dict[str, Any] = {
            "outTradeNo": payout.out_trade_no,
            "tradeNo": payout.trade_no,
            "status": payout.status,
            "country": payout.country,
            "trade": {"amount": payout.amount, "currency": payout.currency},
            "createTime": rfc3339_millis(payout.created_at),
        }
        if payout.completed_at is not None:
            view["completeTime"] = rfc3339_millis(payout.completed_at)
        return view

    # ------------------------------------------------------------ orders and authorizations

    def _order_and_pay(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        subject = _req(data, "subject", 256)
        currency = _currency(data, "currency")
        amount = _amount(data, "totalAmount", currency)
        country = _country(data)
        user_id = _req(data, "userId", 64)
        integrate = _req(data, "integrate", 32)
        if integrate not in _INTEGRATIONS:
            raise Refusal(PARAMS_INVALID, f"integrate must be one of {', '.join(_INTEGRATIONS)}.")
        _text(data, "frontCallbackUrl", 256, required=False)
        notify_url = _text(data, "notifyUrl", 256, required=False)
        capture_mode = _text(data, "captureMode", 16, required=False) or "AUTOMATIC"
        auth_type = _text(data, "authorizationType", 16, required=False)
        if capture_mode not in ("AUTOMATIC", "MANUAL"):
            raise Refusal(PARAMS_INVALID, "captureMode must be AUTOMATIC or MANUAL.")
        if auth_type not in (None, "FINAL_AUTH"):
            raise Refusal(PARAMS_INVALID, "authorizationType must be FINAL_AUTH.")
        if capture_mode == "MANUAL" and auth_type != "FINAL_AUTH":
            raise Refusal(PARAMS_INVALID, "captureMode MANUAL requires authorizationType FINAL_AUTH.")
        is_auth = capture_mode == "MANUAL"
        card_no: str | None = None
        detail = _obj(data, "paymentDetail", required=False)
        if detail is not None:
            card = _obj(detail, "cardInfo", required=False, name="paymentDetail.cardInfo")
            if card is not None:
                card_no = _req(card, "cardNo", 19, "paymentDetail.cardInfo.cardNo")
                if not card_no.isdigit() or len(card_no) < 12:
                    raise Refusal(PARAMS_INVALID, "paymentDetail.cardInfo.cardNo is invalid.")
        if integrate == "Direct_Payment" and card_no is None and not (detail or {}).get("paymentToken"):
            raise _null("paymentDetail.cardInfo")
        if out_trade_no in self.orders:
            raise Refusal(ORDER_REPEAT, "Order already exists, please do not pay repeatedly.")

        now = self._clock()
        order = self._open(
            out_trade_no=out_trade_no,
            is_authorization=is_auth,
            amount=amount,
            currency=currency,
            country=country,
            status="PENDING",
            created_at=now,
            integrate=integrate,
            subject=subject,
            user_id=user_id,
            notify_url=notify_url,
            card_no=card_no,
        )
        token = order.trade_token
        self._event("created", out_trade_no, token, authorization=is_auth, amount=amount, currency=currency)
        tail = _tail(amount, currency)
        if integrate == "Hosted_Checkout" and not is_auth:
            order.redirect_url = self._redirect_url(token)  # PENDING until complete_payment()
        elif tail == 51 or card_no == DECLINED_CARD:
            self._finish(order, "FAILED", now)
        elif tail != 52:
            self._finish(order, "SUCCESS", now)
        answer: dict[str, Any] = {"outTradeNo": out_trade_no, "tradeToken": token, "status": order.status}
        if order.redirect_url:
            answer["redirectUrl"] = order.redirect_url
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(answer))

    def _finish(self, order: Order, status: str, now: float) -> None:
        """Move a payment/authorization to a final status, log it and notify."""
        order.status = status
        order.completed_at = now
        if status == "FAILED":
            order.result_code, order.result_msg = "PAYMENT_FAILED", "The card was declined (simulated)."
        kind = ("authorized" if order.is_authorization else "paid") if status == "SUCCESS" else "declined"
        self._event(kind, order.out_trade_no, order.trade_token, amount=order.amount, currency=order.currency)
        code, msg = (
            (APPLY_SUCCESS, SUCCESS_MSG)
            if status == "SUCCESS"
            else (
                order.result_code or "PAYMENT_FAILED",
                order.result_msg or "",
            )
        )
        self._notify("PAYMENT", order.notify_url, encode(self._order_view(order)), code, msg)

    def authorize(self, out_trade_no: str, amount: Decimal, currency: str, country: str = "US") -> Order:
        """A SUCCESS authorization put straight into the ledger (no request, no notification)."""
        if out_trade_no in self.orders:
            raise ValueError(f"order {out_trade_no!r} already exists")
        try:
            currency = _currency({"currency": currency}, "currency")
            amount = _amount({"amount": amount}, "amount", currency)
            country = _country({"country": country})
        except Refusal as refusal:
            raise ValueError(refusal.msg) from None
        now = self._clock()
        order = self._open(
            out_trade_no=out_trade_no,
            is_authorization=True,
            amount=amount,
            currency=currency,
            country=country,
            status="SUCCESS",
            created_at=now,
            completed_at=now,
            subject="simulated authorization",
            user_id="sim-user",
            card_no="4111111111111111",
        )
        self._event("authorized", out_trade_no, order.trade_token, amount=amount, currency=currency)
        return order

    def _open(self, **fields: Any) -> Order:
        """A new order with a fresh trade token, findable by out_trade_no and by token."""
        order = Order(trade_token=self._id("T"), **fields)
        self.orders[order.out_trade_no] = order
        self.by_token[order.trade_token] = order
        return order

    def complete_payment(self, out_trade_no: str, success: bool = True) -> Order:
        """The shopper finished (or abandoned) a PENDING payment or authorization."""
        order = self.orders[out_trade_no]
        if order.status != "PENDING":
            raise ValueError(f"order {out_trade_no!r} is {order.status}, not PENDING")
        self._finish(order, "SUCCESS" if success else "FAILED", self._clock())
        return order

    def age(self, out_trade_no: str, days: float) -> None:
        """Pretend the order was created ``days`` earlier (authorizations expire after 7)."""
        order = self.orders[out_trade_no]
        shift = days * 86400
        order.created_at -= shift
        if order.completed_at is not None:
            order.completed_at -= shift

    def _order_query(self, data: dict[str, Any]) -> Outcome:
        order = self._find_order(data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(self._order_view(order)))

    def _order_close(self, data: dict[str, Any]) -> Outcome:
        order = self._find_order(data)
        _text(data, "reason", 256, required=False)
        if order.close_data is not None:
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, order.close_data)
        if order.status != "PENDING":
            raise Refusal(ORDER_STATUS_INVALID, f"Order status {order.status} cannot be closed.")
        now = self._clock()
        order.status = "CLOSED"
        order.closed_at = now
        order.result_code, order.result_msg = ORDER_CLOSED, "Order closed by the merchant."
        order.close_data = encode(
            {"outTradeNo": order.out_trade_no, "closedTime": rfc3339_millis(now), "status": "SUCCESS"}
        )
        self._event("closed", order.out_trade_no, order.trade_token)
        self._notify(
            "PAYMENT", order.notify_url, encode(self._order_view(order)), ORDER_CLOSED, "Order closed."
        )
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, order.close_data)

    # ------------------------------------------------------------ capture and void

    def _capture(self, data: dict[str, Any]) -> Outcome:
        request_id = _req(data, "requestId", 64)
        out_trade_no = _req(data, "outTradeNo", 64)
        currency = _currency(data, "currency")
        amount = _amount(data, "amount", currency)
        earlier = self.captures.get(request_id)
        if earlier is not None:
            if (earlier.out_trade_no, earlier.currency, earlier.amount) != (out_trade_no, currency, amount):
                raise Refusal(ORDER_REPEAT, "requestId was already used with different parameters.")
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, earlier.data)
        order = self.orders.get(out_trade_no)
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        if not order.is_authorization:
            raise Refusal(ORDER_STATUS_INVALID, "The order is not an authorization (captureMode MANUAL).")
        if order.cancel is not None or order.status == "CLOSED":
            raise Refusal(ORDER_CLOSED, "The authorization was voided or closed.")
        if order.status != "SUCCESS":
            raise Refusal(ORDER_STATUS_INVALID, f"The authorization is {order.status}.")
        if order.live_capture is not None:
            raise Refusal(ORDER_STATUS_INVALID, "The authorization has already been captured.")
        now = self._clock()
        if now - order.created_at > AUTH_VALIDITY_SECONDS:
            raise Refusal(AUTH_EXPIRED, "The authorization expired (7 days).")
        if currency != order.currency:
            raise Refusal(CURRENCY_INVALID, f"Capture currency must be {order.currency}.")
        if amount > order.amount:
            raise Refusal(AMOUNT_INVALID, "Capture amount exceeds the authorized amount.")
        tail = _tail(amount, currency)
        status = "FAILED" if tail == 53 else "PENDING" if tail == 54 else "SUCCESS"
        capture = Capture(
            capture_no=self._id("C"),
            request_id=request_id,
            out_trade_no=out_trade_no,
            amount=amount,
            currency=currency,
            status=status,
            created_at=now,
        )
        if status != "PENDING":
            capture.finished_at = now
        if status == "FAILED":
            capture.error_code, capture.error_msg = (
                "CAPTURE_FAILED",
                "The issuer refused the capture (simulated).",
            )
        capture.data = encode(self._capture_view(capture))
        order.captures.append(capture)
        self.captures[request_id] = capture
        self._event(
            {"SUCCESS": "captured", "FAILED": "capture_failed", "PENDING": "capture_pending"}[status],
            out_trade_no,
            capture.capture_no,
            amount=amount,
            request_id=request_id,
        )
        if status != "PENDING":
            self._notify("CAPTURE", order.notify_url, capture.data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, capture.data)

    def settle_capture(self, out_trade_no: str, success: bool = True) -> Capture:
        """Resolve the PENDING capture of an authorization; its replay answer changes with it."""
        order = self.orders[out_trade_no]
        capture = next((c for c in order.captures if c.status == "PENDING"), None)
        if capture is None:
            raise ValueError(f"order {out_trade_no!r} has no PENDING capture")
        capture.status = "SUCCESS" if success else "FAILED"
        capture.finished_at = self._clock()
        if not success:
            capture.error_code, capture.error_msg = (
                "CAPTURE_FAILED",
                "The issuer refused the capture (simulated).",
            )
        capture.data = encode(self._capture_view(capture))
        self._event(
            "captured" if success else "capture_failed",
            out_trade_no,
            capture.capture_no,
            amount=capture.amount,
            request_id=capture.request_id,
        )
        self._notify("CAPTURE", order.notify_url, capture.data)
        return capture

    def _cancel(self, data: dict[str, Any]) -> Outcome:
        request_id = _req(data, "requestId", 64)
        out_trade_no = _req(data, "outTradeNo", 64)
        earlier = self.cancels.get(request_id)
        if earlier is not None:
            if earlier.out_trade_no != out_trade_no:
                raise Refusal(ORDER_REPEAT, "requestId was already used with different parameters.")
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, earlier.data)
        order = self.orders.get(out_trade_no)
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        if not order.is_authorization:
            raise Refusal(ORDER_STATUS_INVALID, "The order is not an authorization (captureMode MANUAL).")
        if order.cancel is not None or order.status == "CLOSED":
            raise Refusal(ORDER_CLOSED, "The authorization was already voided or closed.")
        if order.status == "FAILED":
            raise Refusal(ORDER_STATUS_INVALID, "The authorization failed; there is nothing to void.")
        if order.live_capture is not None:
            raise Refusal(ORDER_STATUS_INVALID, "The authorization has been captured; refund it instead.")
        now = self._clock()
        cancel = Cancel(self._id("V"), request_id, out_trade_no, "SUCCESS", now)
        cancel.data = encode(
            {
                "cancelNo": cancel.cancel_no,
                "requestId": request_id,
                "outTradeNo": out_trade_no,
                "status": "SUCCESS",
                "createdTime": rfc3339_millis(now),
                "succeededTime": rfc3339_millis(now),
            }
        )
        order.cancel = cancel
        order.status = "CLOSED"
        order.closed_at = now
        self.cancels[request_id] = cancel
        self._event("cancelled", out_trade_no, cancel.cancel_no, request_id=request_id)
        self._notify("CANCEL", order.notify_url, cancel.data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, cancel.data)

    # ------------------------------------------------------------ refunds

    def _refund(self, data: dict[str, Any]) -> Outcome:
        out_refund_no = _req(data, "outRefundNo", 64)
        currency = _currency(data, "refundCurrency")
        amount = _amount(data, "refundAmount", currency)
        comments = _text(data, "comments", 256, required=False)
        notify_url = _text(data, "refundNotifyUrl", 256, required=False)
        earlier = self.refunds.get(out_refund_no)
        if earlier is not None:
            named = data.get("outTradeNo")
            if named is None and isinstance(data.get("tradeToken"), str):
                token_order = self.by_token.get(data["tradeToken"])
                named = token_order.out_trade_no if token_order else None
            if (earlier.out_trade_no, earlier.currency, earlier.amount) != (named, currency, amount):
                raise Refusal(ORDER_REPEAT, "outRefundNo was already used with different parameters.")
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, earlier.data)
        order = self._find_order(data)
        if order.is_authorization:
            refundable = order.captured_amount
        else:
            refundable = order.amount if order.status == "SUCCESS" else Decimal(0)
        if refundable <= 0:
            raise Refusal(ORDER_STATUS_INVALID, "Nothing was paid or captured on this order.")
        if currency != order.currency:
            raise Refusal(CURRENCY_INVALID, f"Refund currency must be {order.currency}.")
        refunded = sum((r.amount for r in order.refunds if r.status != "REFUND_FAILED"), Decimal(0))
        if refunded + amount > refundable:
            raise Refusal(AMOUNT_INVALID, "Refund amount exceeds the refundable amount.")
        now = self._clock()
        tail = _tail(amount, currency)
        status = "REFUND_FAILED" if tail == 51 else "REFUND_PENDING" if tail == 52 else "REFUND_SUCCESS"
        refund = Refund(
            out_refund_no=out_refund_no,
            refund_trade_no=self._id("R"),
            out_trade_no=order.out_trade_no,
            amount=amount,
            currency=currency,
            status=status,
            created_at=now,
            finished_at=None if status == "REFUND_PENDING" else now,
            comments=comments,
            notify_url=notify_url,
        )
        refund.data = encode(
            {"outRefundNo": out_refund_no, "refundTradeNo": refund.refund_trade_no, "status": status}
        )
        order.refunds.append(refund)
        self.refunds[out_refund_no] = refund
        self.refunds_by_trade_no[refund.refund_trade_no] = refund
        self._event(
            {
                "REFUND_SUCCESS": "refunded",
                "REFUND_FAILED": "refund_failed",
                "REFUND_PENDING": "refund_pending",
            }[status],
            order.out_trade_no,
            refund.refund_trade_no,
            amount=amount,
            out_refund_no=out_refund_no,
        )
        if status != "REFUND_PENDING":
            self._notify("REFUND", notify_url or order.notify_url, encode(self._refund_view(refund)))
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, refund.data)

    def settle_refund(self, out_refund_no: str, success: bool = True) -> Refund:
        refund = self.refunds[out_refund_no]
        if refund.status != "REFUND_PENDING":
            raise ValueError(f"refund {out_refund_no!r} is {refund.status}, not REFUND_PENDING")
        refund.status = "REFUND_SUCCESS" if success else "REFUND_FAILED"
        refund.finished_at = self._clock()
        self._event(
            "refunded" if success else "refund_failed",
            refund.out_trade_no,
            refund.refund_trade_no,
            amount=refund.amount,
            out_refund_no=out_refund_no,
        )
        order = self.orders[refund.out_trade_no]
        self._notify("REFUND", refund.notify_url or order.notify_url, encode(self._refund_view(refund)))
        return refund

    def _refund_query(self, data: dict[str, Any]) -> Outcome:
        out_refund_no = _text(data, "outRefundNo", 64, required=False)
        trade_no = _text(data, "refundTradeNo", 64, required=False)
        if out_refund_no is None and trade_no is None:
            raise _null("outRefundNo")
        refund = (
            self.refunds.get(out_refund_no) if out_refund_no else self.refunds_by_trade_no.get(trade_no or "")
        )
        if refund is None:
            raise Refusal(ORDER_NOT_EXIST, "Refund order does not exist.")
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(self._refund_view(refund)))

    # ------------------------------------------------------------ payouts

    def _payout(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        country = _country(data)
        trade = _obj(data, "trade")
        assert trade is not None
        currency = _currency(trade, "currency", "trade.currency")
        amount = _amount(trade, "amount", currency, string_only=True, name="trade.amount")
        _obj(data, "payeeInfo")
        notify_url = _text(data, "notifyUrl", 256, required=False)
        if out_trade_no in self.payouts:
            raise Refusal(ORDER_REPEAT, "Order already exists.")
        now = self._clock()
        tail = _tail(amount, currency)
        status = "FAILED" if tail == 51 else "PENDING" if tail == 52 else "SUCCESS"
        payout = Payout(
            out_trade_no=out_trade_no,
            trade_no=self._id("P"),
            amount=str(trade["amount"]),
            currency=currency,
            country=country,
            status=status,
            created_at=now,
            completed_at=None if status == "PENDING" else now,
            notify_url=notify_url,
        )
        self.payouts[out_trade_no] = payout
        self._event(
            {"SUCCESS": "paid_out", "FAILED": "payout_failed", "PENDING": "payout_pending"}[status],
            out_trade_no,
            payout.trade_no,
            amount=amount,
            currency=currency,
        )
        if status != "PENDING":
            self._notify("PAYOUT", notify_url, encode(self._payout_view(payout)))
        return Outcome(
            APPLY_SUCCESS,
            SUCCESS_MSG,
            encode({"outTradeNo": out_trade_no, "tradeNo": payout.trade_no, "status": status}),
        )

    def settle_payout(self, out_trade_no: str, success: bool = True) -> Payout:
        payout = self.payouts[out_trade_no]
        if payout.status != "PENDING":
            raise ValueError(f"payout {out_trade_no!r} is {payout.status}, not PENDING")
        payout.status = "SUCCESS" if success else "FAILED"
        payout.completed_at = self._clock()
        self._event("paid_out" if success else "payout_failed", out_trade_no, payout.trade_no)
        self._notify("PAYOUT", payout.notify_url, encode(self._payout_view(payout)))
        return payout

    def _payout_query(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        payout = self.payouts.get(out_trade_no)
        if payout is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(self._payout_view(payout)))
