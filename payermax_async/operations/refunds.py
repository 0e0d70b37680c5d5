"""Refunds: refund, refundQuery."""

from __future__ import annotations

from decimal import Decimal

from .._pipeline import Operation, RequestOptions
from ..errors import InvalidRequestError
from ..models.refund import RefundQueryRequest, RefundQueryResult, RefundRequest, RefundResult
from ..validation import (
    check_amount,
    check_currency,
    check_id,
    check_optional_text,
    check_url,
)
from ._base import OperationsBase, check_reconciled

REFUND = Operation("refund", RefundResult, "out_refund_no")

__all__ = ["RefundMethods"]


class RefundMethods(OperationsBase):
    async def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        comments: str | None = None,
        refund_notify_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RefundResult:
        """Refund (part of) a paid order. ``out_refund_no`` is the refund's idempotency key.

        The outcome usually arrives later: a REFUND notification or :meth:`refund_query`. When a
        retry meets ORDER_REPEAT after a lost answer, the result comes from ``refund_query``.
        """
        check_id(out_trade_no, "out_trade_no")
        check_id(out_refund_no, "out_refund_no")
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        if refund_notify_url is not None:
            check_url(refund_notify_url, "refund_notify_url")
        data = RefundRequest(
            out_refund_no=out_refund_no,
            refund_amount=value,
            refund_currency=currency,
            out_trade_no=out_trade_no,
            comments=check_optional_text(comments, "comments", max_length=256),
            refund_notify_url=refund_notify_url,
        )
        refund_ids = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no}

        async def reconcile() -> RefundResult:
            found = await self.refund_query(
                out_refund_no=out_refund_no, timeout=timeout, max_retries=max_retries
            )
            check_reconciled(
                "refund",
                refund_ids,
                (found.out_trade_no or out_trade_no, found.refund_amount, found.refund_currency),
                (out_trade_no, value, currency),
            )
            return RefundResult(
                out_refund_no=found.out_refund_no,
                status=found.status,
                refund_trade_no=found.refund_trade_no,
                out_trade_no=found.out_trade_no or out_trade_no,
                reconciled=True,
            )

        return await self._pipeline.execute(
            REFUND,
            data,
            refund_ids,
            RequestOptions(timeout, max_retries, version),
            reconcile=reconcile,
        )

    async def refund_query(
        self,
        *,
        out_refund_no: str | None = None,
        refund_trade_no: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RefundQueryResult:
        """A refund now, by your ``out_refund_no`` or PayerMax's ``refund_trade_no`` (exactly one)."""
        if (out_refund_no is None) == (refund_trade_no is None):
            raise InvalidRequestError(
                "pass exactly one of out_refund_no or refund_trade_no", field="out_refund_no"
            )
        if out_refund_no is not None:
            field, value = "out_refund_no", check_id(out_refund_no, "out_refund_no")
        else:
            field = "refund_trade_no"
            value = check_id(refund_trade_no, "refund_trade_no", strict_charset=False)
        return await self._pipeline.execute(
            Operation("refundQuery", RefundQueryResult, field),
            RefundQueryRequest(out_refund_no=out_refund_no, refund_trade_no=refund_trade_no),
            {field: value},
            RequestOptions(timeout, max_retries, version),
        )
