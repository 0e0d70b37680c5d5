"""Refunds: accepted as ``REFUND_PENDING``, settled later (``settle_refund``), notified (REFUND).

Never more than was paid (or, for an authorization, captured) in total, counting refunds still
pending. ``outRefundNo`` names one refund: the same again gives the original answer, other
parameters are ``ORDER_REPEAT``. The answer names the payment by ``tradeOrderNo``.
"""

from __future__ import annotations

from typing import Any

from ..requests import refuse
from ..schema import Violation
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal, rfc3339_millis
from .books import (
    AMOUNT_INVALID,
    CURRENCY_INVALID,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
    Books,
    Order,
    Refund,
    money,
)

__all__ = ["HANDLERS", "settle_refund"]


def _payment(books: Books, data: dict[str, Any]) -> Order:
    if data.get("outTradeNo") is not None:
        return books.order(data["outTradeNo"])
    token = data.get("tradeToken")
    if token is None:
        raise refuse(Violation("outTradeNo", "is required when tradeToken is not sent"))
    order = books.by_token.get(token)
    if order is None:
        raise Refusal(ORDER_NOT_EXIST, "The order does not exist.")
    return order


def refund(books: Books, key: str, data: dict[str, Any]) -> Answer:
    amount = money(data["refundAmount"])
    existing = books.refunds.get(data["outRefundNo"])
    order = _payment(books, data)
    if existing is not None:
        if (existing.out_trade_no, existing.amount, existing.currency) != (
            order.out_trade_no,
            amount,
            data["refundCurrency"],
        ):
            raise Refusal(ORDER_REPEAT, "The outRefundNo has been used with other parameters.")
        return Answer(APPLY_SUCCESS, SUCCESS_MSG, existing.answer)
    if order.status != "SUCCESS" or (order.manual and order.captured() <= 0):
        raise Refusal(ORDER_STATUS_INVALID, "Only a paid or captured order can be refunded.")
    if data["refundCurrency"] != order.currency:
        raise Refusal(CURRENCY_INVALID, "refundCurrency is not the payment's.")
    if amount <= 0 or amount > order.refundable():
        raise Refusal(AMOUNT_INVALID, "refundAmount is above what is left to refund.")
    made = Refund(
        out_refund_no=data["outRefundNo"],
        refund_trade_no=books.new_id("R"),
        out_trade_no=order.out_trade_no,
        amount=amount,
        currency=order.currency,
        created=books.now(),
        notify_url=data.get("refundNotifyUrl") or order.notify_url,
    )
    made.answer = {
        "outRefundNo": made.out_refund_no,
        "tradeOrderNo": order.trade_token,
        "refundTradeNo": made.refund_trade_no,
        "status": made.status,
    }
    order.refunds.append(made)
    books.happened("refund_pending", order.out_trade_no, made.refund_trade_no, amount=amount)
    books.refunds[made.out_refund_no] = made
    books.refunds_by_trade_no[made.refund_trade_no] = made
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, made.answer)


def _view(made: Refund, *, notice: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "outRefundNo": made.out_refund_no,
        "refundTradeNo": made.refund_trade_no,
        "outTradeNo": made.out_trade_no,
        "refundAmount": made.amount,
        "refundCurrency": made.currency,
        "status": made.status,
        # PayerMax sends "" for a time that has no value yet
        "refundFinishTime": rfc3339_millis(made.finished) if made.finished is not None else "",
    }
    if not notice and made.status == "REFUND_FAILED":
        view["resultMsg"] = "The refund was refused by the payment channel."
    return view


def settle_refund(books: Books, out_refund_no: str, success: bool = True) -> Refund:
    """PayerMax finishes a pending refund and notifies it."""
    made = books.refunds.get(out_refund_no)
    if made is None:
        raise Refusal(ORDER_NOT_EXIST, "The refund does not exist.")
    if made.status != "REFUND_PENDING":
        raise Refusal(ORDER_STATUS_INVALID, f"The refund is {made.status}.")
    made.status = "REFUND_SUCCESS" if success else "REFUND_FAILED"
    made.finished = books.now()
    kind = "refunded" if success else "refund_failed"
    books.happened(kind, made.out_trade_no, made.refund_trade_no, amount=made.amount)
    books.notify("RefundResultNotifyUrl", _view(made, notice=True), made.notify_url)
    return made


def refund_query(books: Books, key: str, data: dict[str, Any]) -> Answer:
    made = None
    if data.get("outRefundNo") is not None:
        made = books.refunds.get(data["outRefundNo"])
    elif data.get("refundTradeNo") is not None:
        made = books.refunds_by_trade_no.get(data["refundTradeNo"])
    else:
        raise refuse(Violation("outRefundNo", "is required when refundTradeNo is not sent"))
    if made is None:
        raise Refusal(ORDER_NOT_EXIST, "The refund does not exist.")
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _view(made, notice=False))


HANDLERS = {"refund": refund, "refundQuery": refund_query}
