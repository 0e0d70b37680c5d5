"""The orders family: orderAndPay (payments and authorizations), orderQuery, orderClose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...codes import (
    APPLY_SUCCESS,
    ORDER_CLOSED,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
    PARAMS_INVALID,
)
from ..wire import encode, rfc3339_millis
from .auth_capture import capture_view
from .base import LedgerBase
from .checks import INTEGRATIONS, _amount, _country, _currency, _null, _obj, _req, _tail, _text
from .entities import DECLINED_CARD, SUCCESS_MSG, Order, Outcome, Refusal


def order_view(order: Order) -> dict[str, Any]:
    view: dict[str, Any] = {
        "outTradeNo": order.out_trade_no,
        "tradeToken": order.trade_token,
        "totalAmount": order.amount,
        "currency": order.currency,
        "country": order.country,
        "status": order.status,
    }
    if order.result_code:
        view["resultCode"] = order.result_code
        view["resultMsg"] = order.result_msg or ""
    details: list[dict[str, Any]] = []
    if order.card_no and order.status != "PENDING":
        details.append(
            {
                "paymentMethodType": "CARD",
                "targetOrg": "VISA" if order.card_no.startswith("4") else "MASTERCARD",
                "cardInfo": {
                    "cardOrg": "VISA" if order.card_no.startswith("4") else "MASTERCARD",
                    "cardIdentifierNo": f"{order.card_no[:6]}******{order.card_no[-4:]}",
                },
            }
        )
    view["paymentDetails"] = details
    if order.is_authorization:
        view["captureMode"] = "MANUAL"
        view["authorizationType"] = "FINAL_AUTH"
        view["captureDetails"] = [capture_view(c) for c in order.captures]
    view["createTime"] = rfc3339_millis(order.created_at)
    if order.completed_at is not None:
        view["completeTime"] = rfc3339_millis(order.completed_at)
    if order.closed_at is not None:
        view["closeTime"] = rfc3339_millis(order.closed_at)
    return view


class OrdersFamily(LedgerBase):
    def _order_and_pay(self, data: dict[str, Any]) -> Outcome:
        out_trade_no = _req(data, "outTradeNo", 64)
        subject = _req(data, "subject", 256)
        currency = _currency(data, "currency")
        amount = _amount(data, "totalAmount", currency)
        country = _country(data)
        user_id = _req(data, "userId", 64)
        integrate = _req(data, "integrate", 32)
        if integrate not in INTEGRATIONS:
            raise Refusal(PARAMS_INVALID, f"integrate must be one of {', '.join(INTEGRATIONS)}.")
        _text(data, "frontCallbackUrl", 256, required=False)
        notify_url = _text(data, "notifyUrl", 256, required=False)
        capture_mode = _text(data, "captureMode", 16, required=False) or "AUTOMATIC"
        auth_type = _text(data, "authorizationType", 16, required=False)
        if capture_mode not in ("AUTOMATIC", "MANUAL"):
            raise Refusal(PARAMS_INVALID, "captureMode must be AUTOMATIC or MANUAL.")
        if auth_type not in (None, "FINAL_AUTH"):
            raise Refusal(PARAMS_INVALID, "authorizationType must be FINAL_AUTH.")
        if capture_mode == "MANUAL" and auth_type != "FINAL_AUTH":
            raise Refusal(PARAMS_INVALID, "captureMode MANUAL requires authorizationType FINAL_AUTH.")
        is_auth = capture_mode == "MANUAL"
        card_no: str | None = None
        detail = _obj(data, "paymentDetail", required=False)
        if detail is not None:
            card = _obj(detail, "cardInfo", required=False, name="paymentDetail.cardInfo")
            if card is not None:
                # PayerMax's name is cardIdentifierNo; this ledger's older tests still send cardNo
                name = "cardNo" if "cardNo" in card and "cardIdentifierNo" not in card else "cardIdentifierNo"
                card_no = _req(card, name, 19, f"paymentDetail.cardInfo.{name}")
                if not card_no.isdigit() or len(card_no) < 12:
                    raise Refusal(PARAMS_INVALID, f"paymentDetail.cardInfo.{name} is invalid.")
        if integrate == "Direct_Payment" and card_no is None and not (detail or {}).get("paymentToken"):
            raise _null("paymentDetail.cardInfo")
        if out_trade_no in self.orders:
            raise Refusal(ORDER_REPEAT, "Order already exists, please do not pay repeatedly.")

        now = self._clock()
        order = self._open(
            out_trade_no=out_trade_no,
            is_authorization=is_auth,
            amount=amount,
            currency=currency,
            country=country,
            status="PENDING",
            created_at=now,
            integrate=integrate,
            subject=subject,
            user_id=user_id,
            notify_url=notify_url,
            card_no=card_no,
        )
        token = order.trade_token
        self._event("created", out_trade_no, token, authorization=is_auth, amount=amount, currency=currency)
        tail = _tail(amount, currency)
        if integrate == "Hosted_Checkout" and not is_auth:
            order.redirect_url = self._redirect_url(token)  # PENDING until complete_payment()
        elif tail == 51 or card_no == DECLINED_CARD:
            self._finish(order, "FAILED", now)
        elif tail != 52:
            self._finish(order, "SUCCESS", now)
        answer: dict[str, Any] = {"outTradeNo": out_trade_no, "tradeToken": token, "status": order.status}
        if order.redirect_url:
            answer["redirectUrl"] = order.redirect_url
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(answer))

    def _finish(self, order: Order, status: str, now: float) -> None:
        """Move a payment/authorization to a final status, log it and notify."""
        order.status = status
        order.completed_at = now
        if status == "FAILED":
            order.result_code, order.result_msg = "PAYMENT_FAILED", "The card was declined (simulated)."
        kind = ("authorized" if order.is_authorization else "paid") if status == "SUCCESS" else "declined"
        self._event(kind, order.out_trade_no, order.trade_token, amount=order.amount, currency=order.currency)
        code, msg = (
            (APPLY_SUCCESS, SUCCESS_MSG)
            if status == "SUCCESS"
            else (
                order.result_code or "PAYMENT_FAILED",
                order.result_msg or "",
            )
        )
        self._notify("PAYMENT", order.notify_url, encode(order_view(order)), code, msg)

    def authorize(self, out_trade_no: str, amount: Decimal, currency: str, country: str = "US") -> Order:
        """A SUCCESS authorization put straight into the ledger (no request, no notification)."""
        if out_trade_no in self.orders:
            raise ValueError(f"order {out_trade_no!r} already exists")
        try:
            currency = _currency({"currency": currency}, "currency")
            amount = _amount({"amount": amount}, "amount", currency)
            country = _country({"country": country})
        except Refusal as refusal:
            raise ValueError(refusal.msg) from None
        now = self._clock()
        order = self._open(
            out_trade_no=out_trade_no,
            is_authorization=True,
            amount=amount,
            currency=currency,
            country=country,
            status="SUCCESS",
            created_at=now,
            completed_at=now,
            subject="simulated authorization",
            user_id="sim-user",
            card_no="4111111111111111",
        )
        self._event("authorized", out_trade_no, order.trade_token, amount=amount, currency=currency)
        return order

    def _open(self, **fields: Any) -> Order:
        """A new order with a fresh trade token, findable by out_trade_no and by token."""
        order = Order(trade_token=self._id("T"), **fields)
        self.orders[order.out_trade_no] = order
        self.by_token[order.trade_token] = order
        return order

    def complete_payment(self, out_trade_no: str, success: bool = True) -> Order:
        """The shopper finished (or abandoned) a PENDING payment or authorization."""
        order = self.orders[out_trade_no]
        if order.status != "PENDING":
            raise ValueError(f"order {out_trade_no!r} is {order.status}, not PENDING")
        self._finish(order, "SUCCESS" if success else "FAILED", self._clock())
        return order

    def age(self, out_trade_no: str, days: float) -> None:
        """Pretend the order was created ``days`` earlier (authorizations expire after 7)."""
        order = self.orders[out_trade_no]
        shift = days * 86400
        order.created_at -= shift
        if order.completed_at is not None:
            order.completed_at -= shift

    def _order_query(self, data: dict[str, Any]) -> Outcome:
        order = self._find_order(data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, encode(order_view(order)))

    def _order_close(self, data: dict[str, Any]) -> Outcome:
        order = self._find_order(data)
        _text(data, "reason", 256, required=False)
        if order.close_data is not None:
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, order.close_data)
        if order.status != "PENDING":
            raise Refusal(ORDER_STATUS_INVALID, f"Order status {order.status} cannot be closed.")
        now = self._clock()
        order.status = "CLOSED"
        order.closed_at = now
        order.result_code, order.result_msg = ORDER_CLOSED, "Order closed by the merchant."
        order.close_data = encode(
            {"outTradeNo": order.out_trade_no, "closedTime": rfc3339_millis(now), "status": "SUCCESS"}
        )
        self._event("closed", order.out_trade_no, order.trade_token)
        self._notify("PAYMENT", order.notify_url, encode(order_view(order)), ORDER_CLOSED, "Order closed.")
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, order.close_data)
