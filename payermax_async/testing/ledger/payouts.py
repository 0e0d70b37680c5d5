"""The payouts family: paymentOrderPay and paymentOrderQry."""

from __future__ import annotations

from typing import Any

from ...codes import (
    APPLY_SUCCESS,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
)
from ..wire import encode, rfc3339_millis
from .base import LedgerBase
from .checks import _amount, _country, _currency, _obj, _req, _tail, _text
from .entities import SUCCESS_MSG, Outcome, Payout, Refusal


def payout_view(payout: Payout) -> dict[str, Any]:
    view: dict[str, Any] = {
        "outTradeNo": payout.out_trade_no,
        "tradeNo": payout.trade_no,
        "status": payout.status,
        "country": payout.country,
        "trade": {"amount": payout.amount, "currency": payout.currency},
        "createTime": rfc3339_millis(payout.created_at),
    }
    if payout.completed_at is not None:
        view["completeTime"] = rfc3339_millis(payout.completed_at)
    return view


class PayoutsFamily(LedgerBase):
    def _payout(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        country = _country(data)
        trade = _obj(data, "trade")
        assert trade is not None
        currency = _currency(trade, "currency", "trade.currency")
        amount = _amount(trade, "amount", currency, string_only=True, name="trade.amount")
        _obj(data, "payeeInfo")
        notify_url = _text(data, "notifyUrl", 256, required=False)
        if out_trade_no in self.payouts:
            raise Refusal(ORDER_REPEAT, "Order already exists.")
        now = self._clock()
        tail = _tail(amount, currency)
        status = "FAILED" if tail == 51 else "PENDING" if tail == 52 else "SUCCESS"
        payout = Payout(
            out_trade_no=out_trade_no,
            trade_no=self._id("P"),
            amount=str(trade["amount"]),
            currency=currency,
            country=country,
            status=status,
            created_at=now,
            completed_at=None if status == "PENDING" else now,
            notify_url=notify_url,
        )
        self.payouts[out_trade_no] = payout
        self._event(
            {"SUCCESS": "paid_out", "FAILED": "payout_failed", "PENDING": "payout_pending"}[status],
            out_trade_no,
            payout.trade_no,
            amount=amount,
            currency=currency,
        )
        if status != "PENDING":
            self._notify("PAYOUT", notify_url, encode(payout_view(payout)))
        return Outcome(
            APPLY_SUCCESS,
            SUCCESS_MSG,
            encode({"outTradeNo": out_trade_no, "tradeNo": payout.trade_no, "status": status}),
        )

    def settle_payout(self, out_trade_no: str, success: bool = True) -> Payout:
        payout = self.payouts[out_trade_no]
        if payout.status != "PENDING":
            raise ValueError(f"payout {out_trade_no!r} is {payout.status}, not PENDING")
        payout.status = "SUCCESS" if success else "FAILED"
        payout.completed_at = self._clock()
        self._event("paid_out" if success else "payout_failed", out_trade_no, payout.trade_no)
        self._notify("PAYOUT", payout.notify_url, encode(payout_view(payout)))
        return payout

    def _payout_query(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        payout = self.payouts.get(out_trade_no)
        if payout is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(payout_view(payout)))
