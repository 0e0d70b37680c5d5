"""The refunds family: refund and refundQuery."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...codes import (
    AMOUNT_INVALID,
    APPLY_SUCCESS,
    CURRENCY_INVALID,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
)
from ..wire import encode, rfc3339_millis
from .base import LedgerBase
from .checks import _amount, _currency, _null, _req, _tail, _text
from .entities import SUCCESS_MSG, Outcome, Refund, Refusal


def refund_view(refund: Refund) -> dict[str, Any]:
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


class RefundsFamily(LedgerBase):
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
            self._notify("REFUND", notify_url or order.notify_url, encode(refund_view(refund)))
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
        self._notify("REFUND", refund.notify_url or order.notify_url, encode(refund_view(refund)))
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
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(refund_view(refund)))
