"""Drop-in: the session the merchant's page opens, the device-data step, and redeeming the session's
one-time ``paymentToken`` in an orderAndPay (see ``orders``)."""

from __future__ import annotations

from typing import Any

from ..requests import refuse
from ..schema import Violation
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer
from .books import Books, Order

__all__ = ["HANDLERS", "redeem"]


def apply_session(books: Books, key: str, data: dict[str, Any]) -> Answer:
    session_key = books.new_id("SK")
    books.family("dropin")[session_key] = {
        "userId": data["userId"],
        "currency": data["currency"],
        "country": data["country"],
        "manual": data.get("captureMode") == "MANUAL",
    }
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, {"sessionKey": session_key, "clientKey": books.new_id("CK")})


def apply_ddc(books: Books, key: str, data: dict[str, Any]) -> Answer:
    """Device data collection is a card step; other methods need none (an answer without data)."""
    if data["paymentMethodType"] != "CARD":
        return Answer(APPLY_SUCCESS, "No need DDC, please continue to pay.")
    session = books.new_id("DDC")
    answer = {"ddcSessionId": session, "ddcUrl": f"{books.cashier_base}/ddc/{session}"}
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, answer)


def redeem(books: Books, order: Order, detail: dict[str, Any]) -> None:
    """A drop-in payment needs a session this gateway opened, for the same payer."""
    session = books.family("dropin").get(str(detail.get("sessionKey")))
    if session is None:
        raise refuse(Violation("paymentDetail.sessionKey", "is not an open drop-in session"))
    if session["userId"] != order.user_id:
        raise refuse(Violation("userId", "is not the drop-in session's payer"))


HANDLERS = {"applyDropinSession": apply_session, "applyDDC": apply_ddc}
