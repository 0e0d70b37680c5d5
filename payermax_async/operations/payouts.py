"""Payouts: paymentOrderPay, paymentOrderQry."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._pipeline import Operation, RequestOptions
from ..errors import InvalidRequestError
from ..models.payout import (
    PayeeInfo,
    PayoutQueryRequest,
    PayoutQueryResult,
    PayoutRequest,
    PayoutResult,
    PayoutTrade,
)
from ..validation import (
    check_amount,
    check_country,
    check_currency,
    check_id,
    check_optional_text,
    check_url,
)
from ._base import OperationsBase, check_reconciled, with_extra

PAYOUT = Operation("paymentOrderPay", PayoutResult, "out_trade_no")
PAYOUT_QUERY = Operation("paymentOrderQry", PayoutQueryResult, "out_trade_no")

__all__ = ["PayoutMethods"]


class PayoutMethods(OperationsBase):
    async def payout(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        country: str,
        payee_info: PayeeInfo,
        notify_url: str | None = None,
        reference: str | None = None,
        remark: str | None = None,
        purpose: str | None = None,
        source_account: str | None = None,
        destination_currency: str | None = None,
        notify_email: str | None = None,
        notify_phone: str | None = None,
        expiry_days: int | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutResult:
        """Pay money out (``paymentOrderPay``). ``out_trade_no`` is the idempotency key.

        When a retry meets ORDER_REPEAT after a lost answer, the result comes from
        :meth:`payout_query` (``reconciled=True``): a payout is never sent twice by this client.
        """
        check_id(out_trade_no, "out_trade_no", max_length=63)
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        country = check_country(country)
        if not isinstance(payee_info, PayeeInfo):
            raise InvalidRequestError("payee_info must be a PayeeInfo", field="payee_info")
        if notify_url is not None:
            check_url(notify_url, "notify_url")
        if destination_currency is not None:
            destination_currency = check_currency(destination_currency, "destination_currency")
        if expiry_days is not None and (
            isinstance(expiry_days, bool) or not isinstance(expiry_days, int) or not 1 <= expiry_days <= 15
        ):
            raise InvalidRequestError("expiry_days must be an int from 1 to 15", field="expiry_days")
        request = PayoutRequest(
            out_trade_no=out_trade_no,
            country=country,
            # A string on the wire; format() of a Decimal is exact, never through a float.
            trade=PayoutTrade(amount=format(value, "f"), currency=currency),
            payee_info=payee_info,
            source_account=check_optional_text(source_account, "source_account", max_length=64),
            destination_currency=destination_currency,
            remark=check_optional_text(remark, "remark", max_length=256),
            reference=check_optional_text(reference, "reference", max_length=512),
            notify_url=notify_url,
            notify_email=check_optional_text(notify_email, "notify_email", max_length=128),
            notify_phone=check_optional_text(notify_phone, "notify_phone", max_length=32),
            purpose=check_optional_text(purpose, "purpose", max_length=64),
            expiry_days=None if expiry_days is None else str(expiry_days),
        )

        async def reconcile() -> PayoutResult:
            found = await self.payout_query(out_trade_no, timeout=timeout, max_retries=max_retries)
            trade = found.trade
            check_reconciled(
                "paymentOrderPay",
                {"out_trade_no": out_trade_no},
                (None, None) if trade is None else (trade.amount, trade.currency),
                (value, currency),
            )
            return PayoutResult(
                out_trade_no=found.out_trade_no, status=found.status, trade_no=found.trade_no, reconciled=True
            )

        return await self._pipeline.execute(
            PAYOUT,
            with_extra(request, extra),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
            reconcile=reconcile,
        )

    async def payout_query(
        self,
        out_trade_no: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutQueryResult:
        """A payout now (``paymentOrderQry``)."""
        check_id(out_trade_no, "out_trade_no", max_length=63)
        return await self._pipeline.execute(
            PAYOUT_QUERY,
            PayoutQueryRequest(out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )
