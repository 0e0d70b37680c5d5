"""One entry for the HTTP layer: check a request as PayerMax would, run its family's flow, answer.

``admit`` (the envelope: who, which version) runs before the HTTP layer verifies the signature;
``process`` (the clock window, ``data``, the flow) after it. ``handle`` does both for callers that
have no signature to check. The payer's and PayerMax's own steps (a payer completing a checkout,
PayerMax settling a refund...) are methods here too. In checking mode every answer and every
notification is validated against PayerMax's response and callback schemas, so a flow that drifts
from the documented shapes fails the test that drove it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from ..answers import answer_violations, notification_violations
from ..envelope import check_envelope, check_request_time
from ..facts import Facts
from ..limits import ConcurrencyLimit
from ..requests import check_data
from ..wire import Answer, Refusal
from . import auth_capture, dropin, links, orders, others, payouts, refunds, subscriptions, tokens
from .books import Books, Capture, Happening, Notice, Order, Payout, Refund

__all__ = ["AnswerShapeError", "Gateway"]

_T = TypeVar("_T")
Handler = Callable[[Books, str, dict[str, Any]], Answer]

HANDLERS: dict[str, Handler] = {
    **orders.HANDLERS,
    **auth_capture.HANDLERS,
    **refunds.HANDLERS,
    **payouts.HANDLERS,
    **dropin.HANDLERS,
    **tokens.HANDLERS,
    **links.HANDLERS,
    **subscriptions.HANDLERS,
    **others.HANDLERS,
}


class AnswerShapeError(AssertionError):
    """The simulator produced something PayerMax's schema does not describe: a simulator bug."""


class Gateway:
    def __init__(
        self,
        facts: Facts | None = None,
        *,
        app_id: str,
        merchant_no: str,
        clock: Callable[[], float] = time.time,
        cashier_base: str = "http://127.0.0.1/cashier",
        check_shapes: bool = False,
        on_notice: Callable[[Notice], None] | None = None,
    ) -> None:
        self.facts = facts if facts is not None else Facts.load()
        self.check_shapes = check_shapes
        self._user_hook = on_notice
        self.books = Books(
            self.facts,
            app_id=app_id,
            merchant_no=merchant_no,
            clock=clock,
            cashier_base=cashier_base,
            on_notice=None if on_notice is None else self._deliver,
        )
        self.limits = ConcurrencyLimit()

    # -- requests ------------------------------------------------------------------------------

    def serves(self, api_name: str) -> bool:
        return api_name in HANDLERS and bool(self.facts.variants(api_name))

    def admit(self, api_name: str, envelope: dict[str, Any]) -> dict[str, Any]:
        """The envelope's checks (before the signature is verified); the request's ``data``."""
        if not self.serves(api_name):
            raise Refusal("PARAMS_INVALID", f"apiName {api_name} is not served.", "apiName")
        return check_envelope(
            self.facts, api_name, envelope, app_id=self.books.app_id, merchant_no=self.books.merchant_no
        )

    def process(self, api_name: str, envelope: dict[str, Any]) -> Answer:
        """After the signature: the time window, ``data``, then the flow. Refusals become answers."""
        try:
            check_request_time(self.facts, envelope.get("requestTime"), self.books.now())
            return self.handle_data(api_name, envelope["data"])
        except Refusal as refusal:
            return refusal.answer()

    def handle(self, api_name: str, envelope: dict[str, Any]) -> Answer:
        try:
            self.admit(api_name, envelope)
        except Refusal as refusal:
            return refusal.answer()
        return self.process(api_name, envelope)

    def handle_data(self, api_name: str, data: dict[str, Any]) -> Answer:
        """``data`` checked and run through its flow; raises ``Refusal``."""
        key = check_data(self.facts, api_name, data)
        before = len(self.books.outbox)
        answer = HANDLERS[api_name](self.books, key, data)
        if self.check_shapes:
            self._check(key, answer, self.books.outbox[before:])
        return answer

    def _check(self, key: str, answer: Answer, notices: list[Notice]) -> None:
        found = [f"answer {v.message()}" for v in answer_violations(self.facts, key, answer.body())]
        for notice in notices:
            found += [f"{notice.notify_type} {v.message()}" for v in self.check_notice(notice)]
        if found:
            raise AnswerShapeError(f"{key}: " + "; ".join(found))

    def check_notice(self, notice: Notice) -> list[Any]:
        return notification_violations(self.facts, notice.callback, notice.body)

    # -- notices -------------------------------------------------------------------------------

    def _deliver(self, notice: Notice) -> None:
        """Checked before it leaves, in checking mode: a bad notice never reaches a merchant."""
        if self.check_shapes:
            found = [v.message() for v in self.check_notice(notice)]
            if found:
                raise AnswerShapeError(f"{notice.notify_type}: " + "; ".join(found))
        assert self._user_hook is not None
        self._user_hook(notice)

    def take_notices(self) -> list[Notice]:
        """Notifications owed since the last call, for the notifier to sign and send."""
        taken, self.books.outbox[:] = list(self.books.outbox), []
        return taken

    # -- the payer's and PayerMax's own steps ---------------------------------------------------

    def _stepped(self, step: Callable[[], _T]) -> _T:
        before = len(self.books.outbox)
        result = step()
        if self.check_shapes:
            found = [v.message() for n in self.books.outbox[before:] for v in self.check_notice(n)]
            if found:
                raise AnswerShapeError("; ".join(found))
        return result

    def authorize(self, out_trade_no: str, amount: Decimal, currency: str, country: str = "US") -> Order:
        return self._stepped(lambda: orders.authorize(self.books, out_trade_no, amount, currency, country))

    def complete_payment(self, out_trade_no: str, success: bool = True, *, country: str = "US") -> Order:
        return self._stepped(
            lambda: orders.complete_payment(self.books, out_trade_no, success, country=country)
        )

    def settle_capture(self, out_trade_no: str, success: bool = True) -> Capture:
        return self._stepped(lambda: auth_capture.settle_capture(self.books, out_trade_no, success))

    def settle_refund(self, out_refund_no: str, success: bool = True) -> Refund:
        return self._stepped(lambda: refunds.settle_refund(self.books, out_refund_no, success))

    def settle_payout(self, out_trade_no: str, success: bool = True, *, outcome: str | None = None) -> Payout:
        """``success`` keeps the test kit's old signature; ``outcome`` names any of PayerMax's three
        (SUCCESS, FAILED, BOUNCEBACK)."""
        final = outcome or ("SUCCESS" if success else "FAILED")
        return self._stepped(lambda: payouts.settle_payout(self.books, out_trade_no, final))

    def complete_binding(self, request_id: str, success: bool = True) -> dict[str, Any]:
        return self._stepped(lambda: tokens.complete_binding(self.books, request_id, success))

    def pay_link(self, merchant_link_id: str, success: bool = True) -> dict[str, Any]:
        return self._stepped(lambda: links.pay_link(self.books, merchant_link_id, success))

    def charge_subscription(self, subscription_no: str, success: bool = True) -> dict[str, Any]:
        return self._stepped(lambda: subscriptions.charge_subscription(self.books, subscription_no, success))

    @property
    def happenings(self) -> list[Happening]:
        return self.books.happenings

    def captures_of(self, out_trade_no: str) -> list[Capture]:
        return list(self.books.order(out_trade_no).captures)

    def refunds_of(self, out_trade_no: str) -> list[Refund]:
        return list(self.books.order(out_trade_no).refunds)

    def order(self, out_trade_no: str) -> Order:
        """The order, found as PayerMax finds it (case-insensitively); ``ORDER_NOT_EXIST`` otherwise."""
        return self.books.order(out_trade_no)

    def age(self, out_trade_no: str, days: float) -> None:
        """Move an order's times ``days`` into the past (an authorization left to expire)."""
        order = self.books.order(out_trade_no)
        shift = days * 86400
        order.created -= shift
        if order.completed is not None:
            order.completed -= shift
