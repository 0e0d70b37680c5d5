"""Paying out: paymentOrderPay (its query is in ``simple.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._pipeline import RequestOptions
from ..types.payouts import (
    PayeeInfo,
    PayerInfo,
    PayoutRequest,
    PayoutResult,
    PayoutTrade,
    RiskParams,
)
from ._base import as_amount, check_notify_url
from .simple import SimpleMethods

__all__ = ["PayoutMethods"]


class PayoutMethods(SimpleMethods):
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
        expiry_days: int | str | None = None,
        user_id: str | None = None,
        charge_option: str | None = None,
        clearing_rail: str | None = None,
        payer_info: PayerInfo | None = None,
        risk_params: RiskParams | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutResult:
        """Pay money out (``paymentOrderPay``). ``out_trade_no`` is the idempotency key.

        ``trade.amount`` goes out as a JSON string, as PayerMax types it (exact, never a float).
        When a retry meets ORDER_REPEAT after a lost answer, the result comes from
        :meth:`payout_query` (``reconciled`` is True): this client never pays out twice.
        """
        value = as_amount(amount, "amount")
        check_notify_url(notify_url, "notifyUrl")
        request = PayoutRequest(
            out_trade_no=out_trade_no,
            country=country,
            charge_option=charge_option,
            clearing_rail=clearing_rail,
            user_id=user_id,
            source_account=source_account,
            destination_currency=destination_currency,
            trade=PayoutTrade(amount=value, currency=currency),
            payee_info=payee_info,
            payer_info=payer_info,
            risk_params=risk_params,
            expiry_days=None if expiry_days is None else str(expiry_days),
            remark=remark,
            reference=reference,
            notify_url=notify_url,
            notify_email=notify_email,
            notify_phone=notify_phone,
            purpose=purpose,
        )
        ids = {"out_trade_no": out_trade_no}

        return await self._send(
            "paymentOrderPay",
            request,
            PayoutResult,
            ids,
            RequestOptions(timeout, max_retries, version),
            extra=extra,
        )
