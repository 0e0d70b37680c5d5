"""Orders: ``orderAndPay`` (hosted checkout, direct payment, authorization), ``orderQuery``,
``orderClose``.

An authorization is an ``orderAndPay`` with ``captureMode=MANUAL`` and
``authorizationType=FINAL_AUTH``; it is captured or cancelled later by its ``outTradeNo``.
Request structs mirror PayerMax's field names (camelCase on the wire); anything they do not
cover yet can ride along in ``order_and_pay(extra=...)`` or go through ``client.call``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import msgspec

from ._checks import masked_repr
from .common import AwareDatetime, FinalByStatus, Result, WireModel

__all__ = [
    "AuthorizationType",
    "BillingInfo",
    "BuyerInfo",
    "CaptureMode",
    "CardInfo",
    "CloseStatus",
    "GoodsDetail",
    "Integrate",
    "OrderAndPayRequest",
    "OrderAndPayResult",
    "OrderCloseRequest",
    "OrderCloseResult",
    "OrderQueryRequest",
    "OrderQueryResult",
    "PaymentDetail",
    "PaymentDetailResult",
    "PaymentStatus",
    "ShippingInfo",
]


class PaymentStatus(str, Enum):
    """The state of a payment or an authorization (``orderAndPay`` / ``orderQuery`` / PAYMENT)."""

    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILED = "FAILED"
    CLOSED = "CLOSED"

    @property
    def is_final(self) -> bool:
        return self is not PaymentStatus.PENDING


class Integrate(str, Enum):
    """How the payer pays: on PayerMax's hosted page, or with details your server sends directly."""

    HOSTED_CHECKOUT = "Hosted_Checkout"
    DIRECT_PAYMENT = "Direct_Payment"


class CaptureMode(str, Enum):
    """Whether the payment is taken at once or only authorized, to be captured or cancelled later."""

    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"  # authorize now, capture (or cancel) later


class AuthorizationType(str, Enum):
    """How an authorization holds the funds; PayerMax offers only a final authorization, captured or voided
    later.
    """

    FINAL_AUTH = "FINAL_AUTH"


class CardInfo(WireModel):
    """Raw card data for Direct_Payment (PCI DSS merchants only). Never shown in a repr."""

    card_no: str | None = None
    expiry_year: str | None = None  # as PayerMax takes it: "27"
    expiry_month: str | None = None  # "01".."12"
    cvv: str | None = None
    card_holder_full_name: str | None = None
    card_org: str | None = None  # VISA, MASTERCARD, ...

    def __repr__(self) -> str:
        return masked_repr(self, keep_last4=("card_no",))


class BuyerInfo(WireModel):
    """The payer, for risk checks and 3DS. Personal data: masked in reprs."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_no: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    zip_code: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self)


class PaymentDetail(WireModel):
    """How to pay. Required for Direct_Payment; optional for Hosted_Checkout (pre-selects a method)."""

    payment_method_type: str | None = None  # CARD, APPLEPAY, GOOGLEPAY, WALLET, ...
    target_org: str | None = None
    card_info: CardInfo | None = None
    buyer_info: BuyerInfo | None = None
    payment_token_id: str | None = msgspec.field(default=None, name="paymentTokenID")
    session_key: str | None = None


class GoodsDetail(WireModel):
    """One line of the order's goods, for risk checks and the payer's receipt."""

    goods_id: str
    goods_name: str
    quantity: str  # a string on the wire, as PayerMax documents it
    price: Decimal
    goods_currency: str | None = None
    show_url: str | None = None
    goods_category: str | None = None


class ShippingInfo(WireModel):
    """Where the goods go; some payment methods and risk checks need it."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_no: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    region: str | None = None
    state: str | None = None
    country: str | None = None
    zip_code: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self)


class BillingInfo(ShippingInfo):
    """The card's billing address; same fields as the shipping address."""


class OrderAndPayRequest(WireModel):
    out_trade_no: str
    subject: str
    total_amount: Decimal
    currency: str
    country: str
    user_id: str
    integrate: str
    front_callback_url: str | None = None
    notify_url: str | None = None
    language: str | None = None
    reference: str | None = None
    expire_time: str | None = None
    terminal_type: str | None = None
    os_type: str | None = None
    payment_detail: PaymentDetail | None = None
    goods_details: list[GoodsDetail] | None = None
    shipping_info: ShippingInfo | None = None
    billing_info: BillingInfo | None = None
    capture_mode: str | None = None
    authorization_type: str | None = None


class OrderAndPayResult(Result, FinalByStatus, frozen=True):
    """What ``orderAndPay`` answers: where to send the payer, and the order's state so far.

    ``reconciled`` is True when the answer to the original request was lost and the result was
    rebuilt from ``orderQuery`` (ORDER_REPEAT after a retry); ``redirect_url`` is then None
    because only the original answer carries it.
    """

    out_trade_no: str
    trade_token: str
    # An order just accepted is pending unless the gateway says otherwise.
    status: PaymentStatus = PaymentStatus.PENDING
    redirect_url: str | None = None
    reconciled: bool = False


class OrderQueryRequest(WireModel):
    out_trade_no: str


class PaymentDetailResult(Result, frozen=True):
    """One payment instrument used for the order, as ``orderQuery`` and PAYMENT report it."""

    payment_method_type: str | None = None
    payment_method: str | None = None
    target_org: str | None = None
    card_org: str | None = None
    pay_amount: Decimal | None = None
    pay_currency: str | None = None
    country: str | None = None


class OrderQueryResult(Result, FinalByStatus, frozen=True):
    """A payment or an authorization as the gateway sees it now (PAYMENT notifications carry the same
    fields, more of them optional: :class:`PaymentNotificationData`)."""

    out_trade_no: str
    total_amount: Decimal
    currency: str
    trade_token: str
    status: PaymentStatus
    country: str | None = None
    result_code: str | None = None
    result_msg: str | None = None
    reference: str | None = None
    user_id: str | None = None
    capture_mode: str | None = None
    authorization_type: str | None = None
    payment_details: tuple[PaymentDetailResult, ...] = ()

    @property
    def is_authorization(self) -> bool:
        return self.capture_mode == CaptureMode.MANUAL.value


class OrderCloseRequest(WireModel):
    out_trade_no: str
    reason: str | None = None


class CloseStatus(str, Enum):
    """The outcome of ``orderClose``. PayerMax's answer is read as the close request's result
    (SUCCESS) or as the order's new state (CLOSED); both mean the order can no longer be paid."""

    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    PENDING = "PENDING"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not CloseStatus.PENDING

    @property
    def is_closed(self) -> bool:
        return self in (CloseStatus.SUCCESS, CloseStatus.CLOSED)


class OrderCloseResult(Result, frozen=True):
    """A closed order can no longer be paid, so a late payment cannot surprise you."""

    out_trade_no: str
    # APPLY_SUCCESS without a status: the gateway accepted the close.
    status: CloseStatus = CloseStatus.SUCCESS
    trade_token: str | None = None
    closed_time: AwareDatetime | None = None

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed
