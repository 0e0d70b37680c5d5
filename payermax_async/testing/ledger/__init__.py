"""The simulator's ledger, one module per API family: orders and authorizations, captures and
voids, refunds, payouts; and the rules.

Everything here is protocol-free: ``handle(api_name, data)`` takes the parsed ``data`` of an
already authenticated request and returns the ``code``, ``msg`` and encoded ``data`` to answer.
Each result's ``data`` is encoded once and kept, so that a replayed business id gets the very
bytes it got the first time.

Refusal codes (PayerMax documents the names, not always when each is used; these are the
simulator's choices):

=======================  ==========================================================================
``PARAMS_INVALID``        a required field is missing, of the wrong JSON type or too long
``AMOUNT_INVALID``        amount <= 0, more decimals than the currency has, a capture above the
                          authorized amount, or a refund above what was paid/captured and not yet
                          refunded
``CURRENCY_INVALID``      not an ISO 4217 code, or not the currency of the order
``COUNTRY_INVALID``       not an ISO 3166 alpha-2 code
``ORDER_NOT_EXIST``       unknown ``outTradeNo`` / ``tradeToken`` / ``outRefundNo``
``ORDER_REPEAT``          ``orderAndPay`` / ``paymentOrderPay`` with an ``outTradeNo`` already used
                          (even with identical data), or a ``requestId`` (capture, cancel) or
                          ``outRefundNo`` replayed with *different* parameters
``ORDER_STATUS_INVALID``  the order's state forbids it: capturing a payment (not an
                          authorization), an authorization that failed or is pending, or one
                          already captured; voiding a captured authorization; refunding
                          something not paid; closing something already paid
``ORDER_CLOSED``          capturing an authorization that was voided (``cancel``) or closed, or
                          voiding it again under a new ``requestId``
``AUTH_EXPIRED``          capturing an authorization older than 7 days
=======================  ==========================================================================
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .auth_capture import AuthCaptureFamily
from .entities import (
    AUTH_VALIDITY_SECONDS,
    Cancel,
    Capture,
    NotifyHook,
    Order,
    Outcome,
    Payout,
    Refund,
    Refusal,
)
from .orders import OrdersFamily
from .payouts import PayoutsFamily
from .refunds import RefundsFamily

__all__ = [
    "AUTH_VALIDITY_SECONDS",
    "Cancel",
    "Capture",
    "Ledger",
    "NotifyHook",
    "Order",
    "Outcome",
    "Payout",
    "Refund",
    "Refusal",
]


class Ledger(OrdersFamily, AuthCaptureFamily, RefundsFamily, PayoutsFamily):
    """In-memory state of one merchant at the gateway, and the operations on it.

    ``clock`` is the gateway's clock (skew included); ``notify`` is called for every state change
    PayerMax would notify; ``redirect_url`` builds a hosted-checkout URL from a trade token.
    Adding an endpoint: a handler in its family's module, and a row in the table below.
    """

    @functools.cached_property
    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Outcome]]:
        return {
            "orderAndPay": self._order_and_pay,
            "orderQuery": self._order_query,
            "capture": self._capture,
            "cancel": self._cancel,
            "refund": self._refund,
            "refundQuery": self._refund_query,
            "orderClose": self._order_close,
            "paymentOrderPay": self._payout,
            "paymentOrderQry": self._payout_query,
        }

    @property
    def api_names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def supports(self, api_name: str) -> bool:
        return api_name in self._handlers

    def handle(self, api_name: str, data: dict[str, Any]) -> Outcome:
        try:
            return self._handlers[api_name](data)
        except Refusal as refusal:
            return Outcome(refusal.code, refusal.msg)
