"""Subscriptions: a plan is created INACTIVE, becomes ACTIVE when its first payment (an orderAndPay
naming ``subscriptionPlan.subscriptionNo``) succeeds, is charged once per period
(``charge_subscription``), and can be cancelled. Status changes are notified (SUBSCRIPTION), every
periodic payment too (SUBSCRIPTION_PAYMENT)."""

from __future__ import annotations

from typing import Any

from ..requests import refuse
from ..schema import Violation
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal, rfc3339_millis
from .books import ORDER_NOT_EXIST, ORDER_STATUS_INVALID, Books, Order, money

__all__ = ["HANDLERS", "charge_subscription", "on_first_payment"]

_DAYS = {"D": 1, "W": 7, "M": 30, "Y": 365}


def _subs(books: Books) -> dict[str, dict[str, Any]]:
    return books.family("subscriptions")


def _sub(books: Books, subscription_no: object) -> dict[str, Any]:
    found: dict[str, Any] = books.found("subscriptions", str(subscription_no), "subscription")
    return found


def _plan(sub: dict[str, Any]) -> dict[str, Any]:
    return {"subscriptionNo": sub["no"], "subscriptionStatus": sub["status"]}


def create(books: Books, key: str, data: dict[str, Any]) -> Answer:
    for sub in _subs(books).values():
        if sub["requestId"] == data["subscriptionRequestId"]:
            return Answer(
                APPLY_SUCCESS,
                SUCCESS_MSG,
                {"subscriptionRequestId": sub["requestId"], "subscriptionPlan": _plan(sub)},
            )
    plan = data["subscriptionPlan"]
    rule = plan["periodRule"]
    sub = {
        "no": books.new_id("SUB"),
        "requestId": data["subscriptionRequestId"],
        "userId": data["userId"],
        "callbackUrl": data["callbackUrl"],
        "status": "INACTIVE",
        "periods": int(money(plan["totalPeriods"])),
        "period_seconds": _DAYS.get(str(rule["periodUnit"]).upper(), 30)
        * int(money(rule["periodCount"]))
        * 86400,
        "amount": money(plan["periodAmount"]["amount"]),
        "currency": plan["periodAmount"]["currency"],
        "start": None,
        "payments": [],
    }
    _subs(books)[sub["no"]] = sub
    return Answer(
        APPLY_SUCCESS,
        SUCCESS_MSG,
        {"subscriptionRequestId": sub["requestId"], "subscriptionPlan": _plan(sub)},
    )


def _status_notice(books: Books, sub: dict[str, Any]) -> None:
    data = {
        "subscriptionRequestId": sub["requestId"],
        "userId": sub["userId"],
        "subscriptionPlan": _plan(sub),
    }
    books.notify("subscriptionResultNotifyUrl", data, sub["callbackUrl"])


def _record(books: Books, sub: dict[str, Any], success: bool, trade_token: str) -> dict[str, Any]:
    index = len(sub["payments"])
    start = sub["start"] + index * sub["period_seconds"]
    status = "SUCCESS" if success else "FAILED"
    payment = {
        "subscriptionIndex": index,
        "paymentStatus": status,
        "periodStartTime": rfc3339_millis(start),
        "periodEndTime": rfc3339_millis(start + sub["period_seconds"]),
        "payAmount": {"amount": sub["amount"], "currency": sub["currency"]},
        "paymentMethodType": "CARD",
        "cardOrg": "VISA",
        "lastPaymentInfo": {"lastPaymentStatus": status, "payTime": books.stamp(), "tradeToken": trade_token},
    }
    sub["payments"].append(payment)
    data = {
        "subscriptionRequestId": sub["requestId"],
        "userId": sub["userId"],
        "subscriptionPlan": {"subscriptionNo": sub["no"]},
        "subscriptionPaymentDetail": payment,
    }
    books.notify("subscriptionPaymentResultNotifyUrl", data, sub["callbackUrl"])
    return payment


def on_first_payment(books: Books, order: Order) -> None:
    """An order that names a subscription finished: its success activates the subscription."""
    sub = _subs(books).get(str(order.subscription_no))
    if sub is None or sub["status"] != "INACTIVE" or order.status != "SUCCESS":
        return
    sub["status"], sub["start"] = "ACTIVE", books.now()
    _status_notice(books, sub)
    _record(books, sub, True, order.trade_token)


def charge_subscription(books: Books, subscription_no: str, success: bool = True) -> dict[str, Any]:
    """PayerMax charges the next period of an active subscription."""
    sub = _sub(books, subscription_no)
    if sub["status"] != "ACTIVE" or len(sub["payments"]) >= sub["periods"]:
        raise Refusal(ORDER_STATUS_INVALID, "The subscription has no period left to charge.")
    return _record(books, sub, success, books.new_id("T"))


def query(books: Books, key: str, data: dict[str, Any]) -> Answer:
    if data.get("subscriptionNo") is not None:
        sub = _sub(books, data["subscriptionNo"])
    elif data.get("subscriptionRequestId") is not None:
        found = [s for s in _subs(books).values() if s["requestId"] == data["subscriptionRequestId"]]
        if not found:
            raise Refusal(ORDER_NOT_EXIST, "The subscription does not exist.")
        sub = found[0]
    else:
        raise refuse(Violation("subscriptionNo", "is required when subscriptionRequestId is not sent"))
    view = {
        "subscriptionRequestId": sub["requestId"],
        "merchantNo": books.merchant_no,
        "userId": sub["userId"],
        "subscriptionPlan": _plan(sub),
        "subscriptionPaymentDetails": [dict(p) for p in sub["payments"]],
    }
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, view)


def cancel(books: Books, key: str, data: dict[str, Any]) -> Answer:
    sub = _sub(books, data["subscriptionNo"])
    if sub["status"] != "CANCEL":
        sub["status"] = "CANCEL"
        _status_notice(books, sub)
    answer = {
        "subscriptionRequestId": sub["requestId"],
        "userId": sub["userId"],
        "subscriptionPlan": _plan(sub),
    }
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, answer)


HANDLERS = {"subscriptionCreate": create, "subscriptionQuery": query, "subscriptionCancel": cancel}
