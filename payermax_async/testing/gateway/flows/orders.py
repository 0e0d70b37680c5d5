"""Payments and authorizations: every orderAndPay shape, orderQuery, orderClose, and the payer's side.

PayerMax's flows, as the simulator plays them:

- Hosted checkout (a payment, or an authorization with ``captureMode=MANUAL``) answers ``PENDING``
  with the cashier's ``redirectUrl``; the payer completes it there (``complete_payment``).
- Direct API with card data, a wallet token (Apple Pay, Google Pay), a saved ``paymentTokenID`` or a
  drop-in ``paymentToken`` finishes at once, unless the card needs 3DS (test card ending ``3220``, or
  an amount whose last two minor-unit digits are ``52``): then ``PENDING`` with a ``redirectUrl``
  that the payer completes. A card ending ``0002`` (or an amount ending in ``51``) is declined.
- Direct alternative methods answer ``PENDING`` and wait for the payer: ``BANK_TRANSFER`` with a
  ``vaCode``, QR methods with a ``qrCodeUrl``, the rest (wallets, pay-later, banking) with a
  ``redirectUrl``.
- A final result is notified: PAYMENT through ``collectResultNotifyUrl``, or ``authResultNotifyUrl``
  for an authorization.
- ``outTradeNo`` is unique case-insensitively; repeating a hosted order still pending on the cashier
  gives its cashier URL again, anything else is ``ORDER_REPEAT``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal, rfc3339_millis
from . import dropin, subscriptions, tokens
from .books import AMOUNT_INVALID, ORDER_REPEAT, ORDER_STATUS_INVALID, Books, Order, key_of, money

__all__ = ["HANDLERS", "authorize", "complete_payment", "finish", "order_view"]

DECLINED_SUFFIX = "0002"
THREE_DS_SUFFIX = "3220"
DECLINED_TAIL, PENDING_TAIL = 51, 52
QR_ORGS = frozenset({"QRIS", "PROMPTPAY", "PIX", "QRPH", "DUITNOW", "PAYNOW", "UPI_QR"})
WALLET_TOKENS = frozenset({"APPLEPAY", "GOOGLEPAY"})
_ORG_BY_FIRST_DIGIT = {"4": "VISA", "5": "MASTERCARD", "3": "AMEX", "6": "DISCOVER"}


def _card_summary(card_no: str, country: str | None) -> dict[str, str]:
    summary = {"cardOrg": _ORG_BY_FIRST_DIGIT.get(card_no[:1], "VISA"), "cardIdentifierNo": _mask(card_no)}
    if country:
        summary["country"] = country
    return summary


def _mask(card_no: str) -> str:
    return f"{card_no[:6]}******{card_no[-4:]}" if len(card_no) >= 10 else "******"


def _open(books: Books, key: str, data: dict[str, Any]) -> Order:
    detail = data.get("paymentDetail") or {}
    manual = data.get("captureMode") == "MANUAL"
    return Order(
        out_trade_no=data["outTradeNo"],
        trade_token=books.new_id("T"),
        variant=key,
        integrate=data["integrate"],
        amount=money(data["totalAmount"]),
        currency=data["currency"],
        country=data.get("country"),
        user_id=data["userId"],
        created=books.now(),
        manual=manual,
        authorization_type=data.get("authorizationType") or ("FINAL_AUTH" if manual else None),
        method=detail.get("paymentMethodType") or None,
        target_org=detail.get("targetOrg") or None,
        notify_url=data.get("notifyUrl"),
        reference=data.get("reference"),
        subscription_no=(data.get("subscriptionPlan") or {}).get("subscriptionNo"),
    )


def order_and_pay(books: Books, key: str, data: dict[str, Any]) -> Answer:
    existing = books.orders.get(key_of(data["outTradeNo"]))
    if existing is not None:
        if existing.hosted and existing.status == "PENDING":
            return Answer(APPLY_SUCCESS, SUCCESS_MSG, existing.answer)
        raise Refusal(ORDER_REPEAT, "The outTradeNo has been used.")
    if money(data["totalAmount"]) <= 0:
        raise Refusal(AMOUNT_INVALID, "totalAmount must be greater than 0.")
    order = _open(books, key, data)
    books.happened(
        "created", order.out_trade_no, order.trade_token, authorization=order.manual, amount=order.amount
    )
    detail: dict[str, Any] = data.get("paymentDetail") or {}
    answer: dict[str, Any] = {"outTradeNo": order.out_trade_no, "tradeToken": order.trade_token}
    if order.hosted:
        answer["redirectUrl"] = f"{books.cashier_base}/{order.trade_token}"
    else:
        answer.update(_direct(books, order, detail))
    books.orders[key_of(order.out_trade_no)] = order
    books.by_token[order.trade_token] = order
    answer["status"] = order.status
    order.answer = answer
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, answer)


def _direct(books: Books, order: Order, detail: dict[str, Any]) -> dict[str, Any]:
    """Run a Direct API payment as far as it goes without the payer; the answer's extra fields."""
    card = detail.get("cardInfo") or {}
    if detail.get("paymentToken") is not None:
        dropin.redeem(books, order, detail)
        order.method = order.method or "CARD"
        order.card = _card_summary("4111110000001111", order.country)
        return _settle_now(books, order, detail, str(detail["paymentToken"]))
    if detail.get("paymentTokenID") is not None:
        saved = tokens.for_payment(books, order.user_id, detail["paymentTokenID"])
        order.card = {"cardOrg": saved["brand"], "cardIdentifierNo": saved["cardInfo"]}
        order.token_id = detail["paymentTokenID"]
        return _settle_now(books, order, detail, "")
    if card.get("cardIdentifierNo") is not None or order.method in WALLET_TOKENS:
        card_no = str(card.get("cardIdentifierNo") or detail.get("googlePayDetails", {}).get("pan") or "")
        if card_no:
            order.card = _card_summary(card_no, order.country)
        if card_no.endswith(THREE_DS_SUFFIX):
            return {"redirectUrl": f"{books.cashier_base}/3ds/{order.trade_token}"}
        return _settle_now(books, order, detail, card_no)
    if order.method == "BANK_TRANSFER":
        return {"vaCode": f"VA{order.trade_token[-12:]}"}
    if order.method == "QR" or (order.target_org or "").upper() in QR_ORGS:
        return {"qrCodeUrl": f"{books.cashier_base}/qr/{order.trade_token}"}
    return {"redirectUrl": f"{books.cashier_base}/apm/{order.trade_token}"}


def _tail(books: Books, order: Order) -> int:
    """The amount's last two digits in minor units: what picks a scripted outcome in tests."""
    return int(order.amount.scaleb(books.facts.currency_decimals(order.currency))) % 100


def _settle_now(books: Books, order: Order, detail: dict[str, Any], card_no: str) -> dict[str, Any]:
    tail = _tail(books, order)
    if tail == PENDING_TAIL:
        return {"redirectUrl": f"{books.cashier_base}/3ds/{order.trade_token}"}
    success = not card_no.endswith(DECLINED_SUFFIX) and tail != DECLINED_TAIL
    if success and detail.get("tokenForFutureUse") and order.token_id is None:
        order.token_id = tokens.issue_from_payment(books, order)
    finish(books, order, success)
    return {}


def finish(books: Books, order: Order, success: bool, *, country: str | None = None) -> None:
    """A final result for a pending order, and its notification."""
    if order.status != "PENDING":
        raise Refusal(ORDER_STATUS_INVALID, f"The order is {order.status}.")
    order.country = order.country or country
    order.status = "SUCCESS" if success else "FAILED"
    order.result_msg = "" if success else "The payment was declined."
    order.completed = books.now()
    kind = ("authorized" if order.manual else "paid") if success else "declined"
    books.happened(kind, order.out_trade_no, order.trade_token, amount=order.amount, currency=order.currency)
    callback = "authResultNotifyUrl" if order.manual else "collectResultNotifyUrl"
    books.notify(callback, notification_data(order, callback), order.notify_url)
    if order.subscription_no is not None:
        subscriptions.on_first_payment(books, order)


def complete_payment(books: Books, out_trade_no: str, success: bool = True, *, country: str = "US") -> Order:
    """The payer finishes what an order waits for: the cashier page, 3DS, the wallet, the bank
    transfer or the QR scan. ``country`` is the payer's, for a hosted order sent without one."""
    order = books.order(out_trade_no)
    if order.card is None and (order.method in (None, "CARD") or order.hosted):
        order.card = _card_summary("4111110000001111", order.country or country)
        order.method = order.method or "CARD"
    finish(books, order, success, country=country)
    return order


def _payment_details(order: Order, *, full: bool) -> list[dict[str, Any]]:
    detail: dict[str, Any] = {"paymentMethodType": order.method or "CARD"}
    if order.target_org:
        detail["targetOrg"] = order.target_org
    if order.card is not None:
        detail["cardInfo"] = dict(order.card)
    if order.token_id is not None:
        detail["paymentTokenID"] = order.token_id
    if full:
        detail["payAmount"] = order.amount
        detail["payCurrency"] = order.currency
    return [detail]


def _order_ids_and_state(order: Order) -> dict[str, Any]:
    """What every view of an order starts with, the notification's and orderQuery's alike."""
    return {
        "outTradeNo": order.out_trade_no,
        "tradeToken": order.trade_token,
        "totalAmount": order.amount,
        "currency": order.currency,
        "status": order.status,
    }


def notification_data(order: Order, callback: str) -> dict[str, Any]:
    data = _order_ids_and_state(order)
    data["completeTime"] = _stamp(order.completed)
    if order.country:
        data["country"] = order.country
    if callback == "authResultNotifyUrl":
        data["captureMode"] = "MANUAL"
        data["authorizationType"] = order.authorization_type or "FINAL_AUTH"
    if order.status == "SUCCESS":
        data["paymentDetails"] = _payment_details(order, full=callback == "collectResultNotifyUrl")
    if order.reference:
        data["reference"] = order.reference
    return data


def _stamp(epoch: float | None) -> str:
    return rfc3339_millis(epoch or 0.0)


def order_view(order: Order) -> dict[str, Any]:
    """The orderQuery answer's ``data``."""
    data = _order_ids_and_state(order)
    data["resultMsg"] = order.result_msg
    data["createTime"] = _stamp(order.created)
    if order.country:
        data["country"] = order.country
        data["cashierCountry"] = order.country
    if order.reference:
        data["reference"] = order.reference
    if order.status == "FAILED":
        data["resultCode"] = "PAYMENT_FAILED"
    if order.completed is not None:
        data["completeTime"] = _stamp(order.completed)
    if order.status == "SUCCESS":
        data["paymentDetails"] = _payment_details(order, full=True)
    return data


def order_query(books: Books, key: str, data: dict[str, Any]) -> Answer:
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, order_view(books.order(data["outTradeNo"])))


def order_close(books: Books, key: str, data: dict[str, Any]) -> Answer:
    """Close an unpaid order; closing it again gives the same answer."""
    order = books.order(data["outTradeNo"])
    if order.status == "PENDING":
        order.status = "CLOSED"
        order.completed = books.now()
        books.happened("closed", order.out_trade_no, order.trade_token)
    elif order.status != "CLOSED":
        raise Refusal(ORDER_STATUS_INVALID, f"The order is {order.status}.")
    answer = {"outTradeNo": order.out_trade_no, "closedTime": _stamp(order.completed), "status": "CLOSED"}
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, answer)


HANDLERS = {"orderAndPay": order_and_pay, "orderQuery": order_query, "orderClose": order_close}


def authorize(books: Books, out_trade_no: str, amount: Decimal, currency: str, country: str = "US") -> Order:
    """An authorization that already succeeded, as if a payer had completed it: the test kit's
    shortcut to a capturable order. Notified like any other authorization."""
    data = {
        "outTradeNo": out_trade_no,
        "integrate": "Direct_Payment",
        "totalAmount": amount,
        "currency": currency,
        "country": country,
        "userId": "payer",
        "captureMode": "MANUAL",
        "authorizationType": "FINAL_AUTH",
        "paymentDetail": {"paymentMethodType": "CARD"},
    }
    if key_of(out_trade_no) in books.orders:
        raise Refusal(ORDER_REPEAT, "The outTradeNo has been used.")
    order = _open(books, "orderAndPay(for-auth-caputre-dont-copy-me)", data)
    order.card = _card_summary("4111110000001111", country)
    books.orders[key_of(out_trade_no)] = order
    books.by_token[order.trade_token] = order
    finish(books, order, True)
    return order
