"""Payouts (``paymentOrderPay``) and their query (``paymentOrderQry``).

Unlike collection amounts, the payout ``trade.amount`` is a string on the wire, as PayerMax
documents it; the builder formats the validated Decimal exactly, never through a float.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from ._checks import masked_repr
from .common import AwareDatetime, FinalByStatus, Result, WireModel

__all__ = [
    "PayeeAccountInfo",
    "PayeeAddress",
    "PayeeBankInfo",
    "PayeeDocument",
    "PayeeInfo",
    "PayeeName",
    "PayoutAmount",
    "PayoutQueryRequest",
    "PayoutQueryResult",
    "PayoutRequest",
    "PayoutResult",
    "PayoutStatus",
    "PayoutTrade",
]


class PayoutStatus(str, Enum):
    """Where a payout stands; a pending payout is settled by notification or query."""

    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILED = "FAILED"
    BOUNCEBACK = "BOUNCEBACK"  # paid out, then returned by the receiving bank

    @property
    def is_final(self) -> bool:
        """PENDING is the only state that is still moving. A SUCCESS can still turn into a
        BOUNCEBACK later (announced by a PAYOUT notification), but there is nothing to wait for."""
        return self is not PayoutStatus.PENDING


class PayoutTrade(WireModel):
    amount: str
    currency: str


class PayeeName(WireModel):
    """The payee's name as the receiving bank or wallet checks it."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self)


class PayeeAccountInfo(WireModel):
    """The account the payout is credited to."""

    account_no: str
    account_type: str | None = None
    check_digit: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self, keep_last4=("account_no",))


class PayeeBankInfo(WireModel):
    """The payee's bank, for the payout methods that route by bank."""

    bank_code: str | None = None
    bank_name: str | None = None
    bank_branch: str | None = None
    bank_city: str | None = None
    cor_account_no: str | None = None


class PayeeDocument(WireModel):
    """An identity document, for the countries whose payouts require one."""

    document_type: str
    document_id: str
    document_issue_date: str | None = None
    document_expire_date: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self)


class PayeeAddress(WireModel):
    """The payee's address, for the payout methods that require one."""

    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self)


class PayeeInfo(WireModel):
    """Who receives the money and through which rail (``payment_method`` + ``target_org``)."""

    payment_method: str
    target_org: str | None = None
    payee_type: str | None = None  # PERSONAL (default) or CORPORATION
    account_info: PayeeAccountInfo | None = None
    bank_info: PayeeBankInfo | None = None
    name: PayeeName | None = None
    document: PayeeDocument | None = None
    address: PayeeAddress | None = None
    payee_phone: str | None = None
    birth_date: str | None = None
    email: str | None = None

    def __repr__(self) -> str:
        return (
            f"PayeeInfo(payment_method={self.payment_method!r}, target_org={self.target_org!r}, "
            f"payee_type={self.payee_type!r}, account_info={self.account_info!r}, ...)"
        )


class PayoutRequest(WireModel):
    out_trade_no: str
    country: str
    trade: PayoutTrade
    payee_info: PayeeInfo
    source_account: str | None = None
    destination_currency: str | None = None
    remark: str | None = None
    reference: str | None = None
    notify_url: str | None = None
    notify_email: str | None = None
    notify_phone: str | None = None
    purpose: str | None = None
    expiry_days: str | None = None


class PayoutResult(Result, FinalByStatus, frozen=True):
    """The payout as accepted. ``reconciled``: rebuilt from ``paymentOrderQry`` after ORDER_REPEAT."""

    out_trade_no: str
    status: PayoutStatus
    trade_no: str | None = None
    reconciled: bool = False


class PayoutQueryRequest(WireModel):
    out_trade_no: str


class PayoutAmount(Result, frozen=True):
    """An amount block of a payout (``trade``, ``source``, ``destination``): strings on the wire."""

    amount: Decimal | None = None
    currency: str | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    tax: Decimal | None = None
    tax_currency: str | None = None
    exchange_rate: Decimal | None = None


class PayoutQueryResult(Result, FinalByStatus, frozen=True):
    """A payout as the gateway sees it now (also the PAYOUT notification's data)."""

    out_trade_no: str
    status: PayoutStatus
    trade_no: str | None = None
    sub_status: str | None = None
    trade: PayoutAmount | None = None
    source: PayoutAmount | None = None
    destination: PayoutAmount | None = None
    response_code: str | None = None
    response_msg: str | None = None
    reference: str | None = None
    redeem_code: str | None = None
    notify_email: str | None = None
    notify_phone: str | None = None
    transaction_utc_time: AwareDatetime | None = None
    pay_finish_time: AwareDatetime | None = None
    bounce_back_time: AwareDatetime | None = None
    expiry_time: AwareDatetime | None = None

    def __repr__(self) -> str:
        # A redeem code is cash in hand for whoever reads it.
        return masked_repr(self, hidden=frozenset({"redeem_code"}))
