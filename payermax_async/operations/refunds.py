"""Refunding: refund (its query is in ``simple.py``)."""

from __future__ import annotations

from decimal import Decimal

from .._pipeline import RequestOptions
from ..types.refunds import RefundRequest, RefundResult
from ._base import as_amount, check_notify_url
from .simple import SimpleMethods

__all__ = ["RefundMethods"]


class RefundMethods(SimpleMethods):
    async def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        comments: str | None = None,
        refund_notify_url: str | None = None,
        trade_token: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RefundResult:
        """Refund (part of) a paid order. ``out_refund_no`` is the refund's idempotency key.

        The answer names the payment by PayerMax's ``trade_order_no``; the outcome usually arrives
        later (a REFUND notification or :meth:`refund_query`). When a retry meets ORDER_REPEAT
        after a lost answer, the result comes from ``refund_query`` (``reconciled`` is True).
        """
        value = as_amount(amount, "amount")
        check_notify_url(refund_notify_url, "refundNotifyUrl")
        request = RefundRequest(
            out_refund_no=out_refund_no,
            refund_amount=value,
            refund_currency=currency,
            out_trade_no=out_trade_no,
            trade_token=trade_token,
            comments=comments,
            refund_notify_url=refund_notify_url,
        )
        refund_ids = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no}

        return await self._send(
            "refund",
            request,
            RefundResult,
            refund_ids,
            RequestOptions(timeout, max_retries, version),
        )
