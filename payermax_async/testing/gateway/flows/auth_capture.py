"""Capture and cancel of an authorization (an order created with ``captureMode=MANUAL``).

One capture per authorization, never above the authorized amount, within 7 days; a cancel voids an
uncaptured authorization. A ``requestId`` names one attempt: replaying it with the same parameters
gives the original answer (the library stays safe either way, see ERRATA "What no public source
settles"), with other parameters it is ``ORDER_REPEAT``. Results are notified (CAPTURE, CANCEL).

Test amounts: a capture whose amount ends in ``.53`` fails, one ending in ``.54`` stays ``PENDING``
until ``settle_capture``; everything else succeeds at once.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal
from .books import (
    AMOUNT_INVALID,
    CURRENCY_INVALID,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
    Books,
    Cancel,
    Capture,
    Order,
    money,
)

__all__ = ["AUTH_VALIDITY_SECONDS", "HANDLERS", "capture_time", "settle_capture"]

AUTH_VALIDITY_SECONDS = 7 * 86400
ORDER_CLOSED = "ORDER_CLOSED"
AUTH_EXPIRED = "AUTH_EXPIRED"


def capture_time(epoch: float) -> str:
    """``2023-08-06T23:50:59 +0000``: the shape of PayerMax's capture and payout times."""
    return time.strftime("%Y-%m-%dT%H:%M:%S +0000", time.gmtime(int(epoch)))


def _stamp(epoch: float | None) -> str | None:
    return None if epoch is None else capture_time(epoch)


def _attempts(books: Books) -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    """requestId -> (what was asked, the answer given)."""
    return books.family("capture_cancel_requests")


def _replay(books: Books, request_id: str, asked: tuple[Any, ...]) -> Answer | None:
    seen = _attempts(books).get(request_id)
    if seen is None:
        return None
    if seen[0] != asked:
        raise Refusal(ORDER_REPEAT, "The requestId has been used with other parameters.")
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, seen[1])


def _capturable(books: Books, order: Order) -> None:
    if not order.manual:
        raise Refusal(ORDER_STATUS_INVALID, "The order is not an authorization.")
    if order.cancel is not None or order.status == "CLOSED":
        raise Refusal(ORDER_CLOSED, "The authorization was cancelled.")
    if order.status != "SUCCESS":
        raise Refusal(ORDER_STATUS_INVALID, f"The authorization is {order.status}.")
    if books.now() - (order.completed or order.created) > AUTH_VALIDITY_SECONDS:
        raise Refusal(AUTH_EXPIRED, "The authorization has expired.")


def capture_view(order: Order, capture: Capture, *, for_notice: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "captureNo": capture.capture_no,
        "requestId": capture.request_id,
        "outTradeNo": order.out_trade_no,
        "amount": capture.amount,
        "currency": capture.currency,
        "status": capture.status,
        "isFinal": capture.is_final,
        "createdTime": capture_time(capture.created),
        "succeededTime": _stamp(capture.finished) if capture.status == "SUCCESS" else None,
        "failedTime": _stamp(capture.finished) if capture.status == "FAILED" else None,
        "errorCode": capture.error[0] if capture.error else None,
        "errorMsg": capture.error[1] if capture.error else None,
    }
    if for_notice:  # the CAPTURE notification leaves out what has no value
        view = {k: v for k, v in view.items() if v is not None}
    return view


def capture(books: Books, key: str, data: dict[str, Any]) -> Answer:
    amount = money(data["amount"])
    asked = ("capture", data["outTradeNo"].casefold(), amount, data["currency"])
    replayed = _replay(books, data["requestId"], asked)
    if replayed is not None:
        return replayed
    order = books.order(data["outTradeNo"])
    _capturable(books, order)
    if data["currency"] != order.currency:
        raise Refusal(CURRENCY_INVALID, "currency is not the authorization's.")
    if amount <= 0 or amount > order.amount:
        raise Refusal(AMOUNT_INVALID, "amount must be above 0 and at most the authorized amount.")
    if any(c.status != "FAILED" for c in order.captures):
        raise Refusal(ORDER_STATUS_INVALID, "The authorization has been captured.")
    made = Capture(books.new_id("C"), data["requestId"], amount, order.currency, True, books.now())
    order.captures.append(made)
    tail = int((amount * 100) % 100)
    if tail == 53:
        _settle(books, order, made, False)
    elif tail != 54:
        _settle(books, order, made, True)
    else:
        books.happened("capture_pending", order.out_trade_no, made.capture_no, amount=amount)
    made.answer = capture_view(order, made)
    _attempts(books)[made.request_id] = (asked, made.answer)
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, made.answer)


def _settle(books: Books, order: Order, made: Capture, success: bool) -> None:
    made.status = "SUCCESS" if success else "FAILED"
    made.finished = books.now()
    if not success:
        made.error = ("CAPTURE_FAILED", "The capture was refused by the issuer.")
    if made.answer:  # a replay of a capture that was PENDING tells how it ended
        made.answer.update(capture_view(order, made))
    kind = "captured" if success else "capture_failed"
    books.happened(kind, order.out_trade_no, made.capture_no, amount=made.amount, request_id=made.request_id)
    books.notify("captureResultNotifyUrl", capture_view(order, made, for_notice=True), order.notify_url)


def settle_capture(books: Books, out_trade_no: str, success: bool = True) -> Capture:
    """PayerMax finishes a pending capture."""
    order = books.order(out_trade_no)
    pending = next((c for c in order.captures if c.status == "PENDING"), None)
    if pending is None:
        raise Refusal(ORDER_STATUS_INVALID, "No capture of this order is pending.")
    _settle(books, order, pending, success)
    return pending


def cancel_view(order: Order, made: Cancel) -> dict[str, Any]:
    return {
        "cancelNo": made.cancel_no,
        "requestId": made.request_id,
        "outTradeNo": order.out_trade_no,
        "status": made.status,
        "createdTime": capture_time(made.created),
        "succeededTime": capture_time(made.created),
        "failedTime": None,
        "errorCode": None,
        "errorMsg": None,
    }


def cancel(books: Books, key: str, data: dict[str, Any]) -> Answer:
    asked = ("cancel", data["outTradeNo"].casefold())
    replayed = _replay(books, data["requestId"], asked)
    if replayed is not None:
        return replayed
    order = books.order(data["outTradeNo"])
    _capturable(books, order)
    if order.captured() > Decimal(0) or order.captures:
        raise Refusal(ORDER_STATUS_INVALID, "A captured authorization cannot be cancelled.")
    made = Cancel(books.new_id("V"), data["requestId"], books.now())
    order.cancel = made
    order.status = "CLOSED"
    books.happened("cancelled", order.out_trade_no, made.cancel_no, request_id=made.request_id)
    made.answer = cancel_view(order, made)
    _attempts(books)[made.request_id] = (asked, made.answer)
    books.notify("cancelResultNotifyUrl", made.answer, order.notify_url)
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, made.answer)


HANDLERS = {"capture": capture, "cancel": cancel}
