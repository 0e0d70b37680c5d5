"""What every API family of the ledger shares: its state, ids, events and notifications."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from ...codes import (
    APPLY_SUCCESS,
    ORDER_NOT_EXIST,
)
from ..records import Event
from .checks import _null, _text
from .entities import SUCCESS_MSG, Cancel, Capture, NotifyHook, Order, Payout, Refund, Refusal


class LedgerBase:
    """In-memory state of one merchant at the gateway, shared by every API family.

    ``clock`` is the gateway's clock (skew included); ``notify`` is called for every state change
    PayerMax would notify; ``redirect_url`` builds a hosted-checkout URL from a trade token.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        notify: NotifyHook | None = None,
        redirect_url: Callable[[str], str] = lambda token: f"http://127.0.0.1/checkout/{token}",
    ) -> None:
        self._clock = clock
        self._notify_hook = notify
        self._redirect_url = redirect_url
        self._seq = itertools.count(1)
        self.orders: dict[str, Order] = {}
        self.by_token: dict[str, Order] = {}
        self.captures: dict[str, Capture] = {}  # by requestId
        self.cancels: dict[str, Cancel] = {}  # by requestId
        self.refunds: dict[str, Refund] = {}  # by outRefundNo
        self.refunds_by_trade_no: dict[str, Refund] = {}
        self.payouts: dict[str, Payout] = {}
        self.events: list[Event] = []

    def _id(self, prefix: str) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(self._clock()))
        return f"{prefix}{stamp}{next(self._seq):08d}"

    def _event(self, kind: str, out_trade_no: str, ref: str | None, **detail: Any) -> None:
        self.events.append(Event(kind, out_trade_no, ref, self._clock(), detail))

    def _notify(
        self,
        notify_type: str,
        url: str | None,
        data: bytes,
        code: str = APPLY_SUCCESS,
        msg: str = SUCCESS_MSG,
    ) -> None:
        if self._notify_hook is not None:
            self._notify_hook(notify_type, url, code, msg, data)

    def _find_order(self, data: dict[str, Any]) -> Order:
        out_trade_no = _text(data, "outTradeNo", 64, required=False)
        token = _text(data, "tradeToken", 64, required=False)
        if out_trade_no is None and token is None:
            raise _null("outTradeNo")
        order = self.orders.get(out_trade_no) if out_trade_no else self.by_token.get(token or "")
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        return order
