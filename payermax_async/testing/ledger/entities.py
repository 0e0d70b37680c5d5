"""The ledger's records (orders, captures, voids, refunds, payouts) and its two answers:
an :class:`Outcome` to send, or a :class:`Refusal` raised by a rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

SUCCESS_MSG = "Success."

AUTH_VALIDITY_SECONDS = 7 * 86400
DECLINED_CARD = "4000000000000002"

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
    """A capture as the simulator stored it, so a test can count them (``sim.captures_of``)."""

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
    """A void as the simulator stored it, so a test can see that it happened once."""

    cancel_no: str
    request_id: str
    out_trade_no: str
    status: str
    created_at: float
    data: bytes = b""


@dataclass(slots=True)
class Refund:
    """A refund as the simulator stored it, so a test can check its amount and status."""

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
    """A payout as the simulator stored it, so a test can check what would have been paid."""

    out_trade_no: str
    trade_no: str
    amount: str  # as sent: payouts carry the amount as a string
    currency: str
    country: str
    status: str  # SUCCESS / PENDING / FAILED
    created_at: float
    completed_at: float | None = None
    notify_url: str | None = None
