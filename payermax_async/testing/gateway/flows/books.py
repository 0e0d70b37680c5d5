"""The gateway's books: every business object it keeps, and the notices it owes the merchant.

Plain data and a few helpers shared by the family modules; no rule of any one family lives here.
Keys are case-folded where PayerMax treats ids case-insensitively (``outTradeNo``: ``AAA`` and
``AAa`` are one order). Times come from an injected clock, so a test moves time instead of waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..facts import Facts
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Refusal, encode_body, rfc3339_millis

__all__ = [
    "Books",
    "Capture",
    "Happening",
    "Notice",
    "Order",
    "Payout",
    "Refund",
    "key_of",
    "money",
]

ORDER_NOT_EXIST = "ORDER_NOT_EXIST"
ORDER_REPEAT = "ORDER_REPEAT"
ORDER_STATUS_INVALID = "ORDER_STATUS_INVALID"
AMOUNT_INVALID = "AMOUNT_INVALID"
CURRENCY_INVALID = "CURRENCY_INVALID"


def key_of(out_trade_no: str) -> str:
    """The identity of an ``outTradeNo``: case-insensitive, as PayerMax documents."""
    return out_trade_no.casefold()


def money(value: object) -> Decimal:
    """An amount that the request checks already proved numeric."""
    return Decimal(str(value).strip())


@dataclass(frozen=True, slots=True)
class Happening:
    """One thing the gateway did, for a test's assertions: the same fields, kinds and meaning as the
    current simulator's ``Event`` (``created``, ``paid``, ``authorized``, ``declined``, ``closed``,
    ``captured``, ``capture_pending``, ``capture_failed``, ``cancelled``, ``refund_pending``,
    ``refunded``, ``refund_failed``, ``payout_pending``, ``paid_out``, ``payout_failed``,
    ``bounced_back``)."""

    kind: str
    out_trade_no: str
    ref: str | None
    at: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Notice:
    """A notification the merchant is owed: ``body`` is unsigned; a notifier signs and sends it on
    ``schedule`` (seconds after the event, PayerMax's re-send schedule) until it is acknowledged."""

    callback: str
    url: str | None
    body: dict[str, Any]
    schedule: tuple[float, ...]

    @property
    def notify_type(self) -> str:
        return str(self.body["notifyType"])

    def payload(self) -> bytes:
        """The body as sent: the bytes a notifier signs."""
        return encode_body(self.body)


@dataclass(slots=True)
class Capture:
    """One capture as the gateway recorded it; a test reads it through ``sim.captures_of``."""

    capture_no: str
    request_id: str
    amount: Decimal
    currency: str
    is_final: bool
    created: float
    status: str = "PENDING"
    finished: float | None = None
    error: tuple[str, str] | None = None
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Cancel:
    """One cancel (void) of an authorization as the gateway recorded it."""

    cancel_no: str
    request_id: str
    created: float
    status: str = "SUCCESS"
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Refund:
    """One refund as the gateway recorded it; ``sim.settle_refund`` moves it on from REFUND_PENDING."""

    out_refund_no: str
    refund_trade_no: str
    out_trade_no: str
    amount: Decimal
    currency: str
    created: float
    notify_url: str | None
    status: str = "REFUND_PENDING"
    finished: float | None = None
    answer: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Order:
    """A payment or an authorization, whichever orderAndPay shape created it."""

    out_trade_no: str
    trade_token: str
    variant: str
    integrate: str
    amount: Decimal
    currency: str
    country: str | None
    user_id: str
    created: float
    manual: bool
    authorization_type: str | None
    method: str | None
    target_org: str | None
    notify_url: str | None
    reference: str | None
    status: str = "PENDING"
    completed: float | None = None
    result_msg: str = ""
    card: dict[str, str] | None = None
    token_id: str | None = None
    subscription_no: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)
    captures: list[Capture] = field(default_factory=list)
    cancel: Cancel | None = None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def hosted(self) -> bool:
        return self.integrate == "Hosted_Checkout"

    def captured(self) -> Decimal:
        return sum((c.amount for c in self.captures if c.status != "FAILED"), Decimal(0))

    def refundable(self) -> Decimal:
        """Paid (or captured) and not yet refunded or being refunded."""
        base = self.captured() if self.manual else self.amount
        held = sum((r.amount for r in self.refunds if r.status != "REFUND_FAILED"), Decimal(0))
        return base - held


@dataclass(slots=True)
class Payout:
    """One payout as the gateway recorded it; ``sim.settle_payout`` moves it on from PENDING."""

    out_trade_no: str
    trade_no: str
    amount: str
    currency: str
    country: str
    created: float
    notify_url: str | None
    reference: str | None
    status: str = "PENDING"
    finished: float | None = None
    bounced: float | None = None
    answer: dict[str, Any] = field(default_factory=dict)


class Books:
    """Everything the gateway remembers for one merchant app."""

    def __init__(
        self,
        facts: Facts,
        *,
        app_id: str,
        merchant_no: str,
        clock: Callable[[], float],
        cashier_base: str = "http://127.0.0.1/cashier",
        on_notice: Callable[[Notice], None] | None = None,
    ) -> None:
        self.facts = facts
        #: where notices go as they happen; without one they wait in ``outbox``
        self.on_notice = on_notice
        self.app_id = app_id
        self.merchant_no = merchant_no
        self.clock = clock
        self.cashier_base = cashier_base.rstrip("/")
        self.orders: dict[str, Order] = {}
        self.by_token: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}
        self.refunds_by_trade_no: dict[str, Refund] = {}
        self.payouts: dict[str, Payout] = {}
        self.outbox: list[Notice] = []
        self.happenings: list[Happening] = []
        #: family-owned books (tokens, sessions, links, subscriptions...), keyed by family name
        self.extra: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def now(self) -> float:
        return self.clock()

    def stamp(self) -> str:
        return rfc3339_millis(self.now())

    def new_id(self, prefix: str) -> str:
        """Unique, letters and digits only, at most 32 characters (every id field allows 32)."""
        return f"{prefix}{int(self.now()):010d}{next(self._ids):08d}"

    def happened(self, kind: str, out_trade_no: str, ref: str | None, **detail: Any) -> None:
        self.happenings.append(Happening(kind, out_trade_no, ref, self.now(), detail))

    def family(self, name: str) -> dict[str, Any]:
        return self.extra.setdefault(name, {})

    def found(self, family: str, key: str, what: str) -> Any:
        """A family's record under ``key``, or PayerMax's ORDER_NOT_EXIST naming ``what``."""
        record = self.family(family).get(key)
        if record is None:
            raise Refusal(ORDER_NOT_EXIST, f"The {what} does not exist.")
        return record

    def order(self, out_trade_no: object) -> Order:
        order = self.orders.get(key_of(out_trade_no)) if isinstance(out_trade_no, str) else None
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "The order does not exist.")
        return order

    def notify(self, callback: str, data: dict[str, Any], url: str | None) -> Notice:
        """Queue a notification through the merchant's ``callback`` URL setting (or ``url`` from the
        request); the envelope fields are the callback schema's, in PayerMax's order."""
        body: dict[str, Any] = {
            "code": APPLY_SUCCESS,
            "msg": SUCCESS_MSG,
            "keyVersion": "1",
            "appId": self.app_id,
            "merchantNo": self.merchant_no,
            "notifyTime": self.stamp(),
            "notifyType": self.facts.notify_types()[callback],
            "data": data,
        }
        notice = Notice(callback, url, body, self.facts.resend_schedule())
        self.outbox.append(notice)
        if self.on_notice is not None:
            self.on_notice(notice)
            self.outbox.remove(notice)
        return notice
