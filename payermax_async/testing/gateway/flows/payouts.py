"""Payouts: accepted as ``PENDING``, settled later to SUCCESS, FAILED or BOUNCEBACK (money that
reached the payee's bank and came back), each notified (PAYOUT).

``outTradeNo`` is unique case-insensitively; a repeat is ``ORDER_REPEAT``, as a payout is never
sent twice. Times without a value are ``""``, as PayerMax's own examples send them.
"""

from __future__ import annotations

from typing import Any

from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal
from .auth_capture import capture_time
from .books import (
    AMOUNT_INVALID,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
    Books,
    Payout,
    key_of,
    money,
)

__all__ = ["HANDLERS", "OUTCOMES", "settle_payout"]

OUTCOMES = ("SUCCESS", "FAILED", "BOUNCEBACK")


def payout(books: Books, key: str, data: dict[str, Any]) -> Answer:
    if key_of(data["outTradeNo"]) in books.payouts:
        raise Refusal(ORDER_REPEAT, "The outTradeNo has been used.")
    trade = data["trade"]
    if money(trade["amount"]) <= 0:
        raise Refusal(AMOUNT_INVALID, "trade.amount must be greater than 0.")
    made = Payout(
        out_trade_no=data["outTradeNo"],
        trade_no=books.new_id("PO"),
        amount=str(trade["amount"]),
        currency=trade["currency"],
        country=data["country"],
        created=books.now(),
        notify_url=data.get("notifyUrl"),
        reference=data.get("reference"),
    )
    made.answer = {"outTradeNo": made.out_trade_no, "tradeNo": made.trade_no, "status": made.status}
    books.payouts[key_of(made.out_trade_no)] = made
    books.happened("payout_pending", made.out_trade_no, made.trade_no, amount=made.amount)
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, made.answer)


def _when(epoch: float | None) -> str:
    return capture_time(epoch) if epoch is not None else ""


def payout_view(made: Payout) -> dict[str, Any]:
    """The paymentOrderQry answer's and the PAYOUT notification's ``data`` (the same fields)."""
    money_leg = {"amount": made.amount, "currency": made.currency}
    view: dict[str, Any] = {
        "outTradeNo": made.out_trade_no,
        "tradeNo": made.trade_no,
        "status": made.status,
        "transactionUtcTime": capture_time(made.created),
        "payFinishTime": _when(made.finished if made.status != "FAILED" else None),
        "expiryTime": "",
        "bounceBackTime": _when(made.bounced),
        "trade": dict(money_leg),
        "source": {**money_leg, "fee": "0.00", "feeCurrency": made.currency},
        "destination": {**money_leg, "exchangeRate": "1"},
    }
    if made.reference:
        view["reference"] = made.reference
    if made.status == "FAILED":
        view["responseCode"] = "PAYEE_ACCOUNT_INVALID"
        view["responseMsg"] = "The payee account was refused by the receiving bank."
    return view


def settle_payout(books: Books, out_trade_no: str, outcome: str = "SUCCESS") -> Payout:
    """PayerMax finishes a payout: SUCCESS or FAILED from PENDING, BOUNCEBACK from SUCCESS."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    made = books.payouts.get(key_of(out_trade_no))
    if made is None:
        raise Refusal(ORDER_NOT_EXIST, "The payout does not exist.")
    allowed_from = "SUCCESS" if outcome == "BOUNCEBACK" else "PENDING"
    if made.status != allowed_from:
        raise Refusal(ORDER_STATUS_INVALID, f"A {made.status} payout cannot become {outcome}.")
    if outcome == "BOUNCEBACK":
        made.bounced = books.now()
    else:
        made.finished = books.now()
    made.status = outcome
    kind = {"SUCCESS": "paid_out", "FAILED": "payout_failed", "BOUNCEBACK": "bounced_back"}[outcome]
    books.happened(kind, made.out_trade_no, made.trade_no, amount=made.amount)
    books.notify("disbursementResultNotifyUrl", payout_view(made), made.notify_url)
    return made


def payout_query(books: Books, key: str, data: dict[str, Any]) -> Answer:
    made = books.payouts.get(key_of(data["outTradeNo"]))
    if made is None:
        raise Refusal(ORDER_NOT_EXIST, "The order does not exist.")
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, payout_view(made))


HANDLERS = {"paymentOrderPay": payout, "paymentOrderQry": payout_query}
