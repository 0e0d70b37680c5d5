"""The authorization family: capture and cancel (void) of an authorization."""

from __future__ import annotations

from typing import Any

from ...codes import (
    AMOUNT_INVALID,
    APPLY_SUCCESS,
    AUTH_EXPIRED,
    CURRENCY_INVALID,
    ORDER_CLOSED,
    ORDER_NOT_EXIST,
    ORDER_REPEAT,
    ORDER_STATUS_INVALID,
)
from ..wire import capture_time, encode, rfc3339_millis
from .base import LedgerBase
from .checks import _amount, _currency, _req, _tail
from .entities import AUTH_VALIDITY_SECONDS, SUCCESS_MSG, Cancel, Capture, Outcome, Refusal


def capture_view(capture: Capture) -> dict[str, Any]:
    view: dict[str, Any] = {
        "captureNo": capture.capture_no,
        "requestId": capture.request_id,
        "outTradeNo": capture.out_trade_no,
        "amount": capture.amount,
        "currency": capture.currency,
        "status": capture.status,
        "isFinal": capture.is_final,
        "createdTime": capture_time(capture.created_at),
    }
    if capture.status == "SUCCESS" and capture.finished_at is not None:
        view["succeededTime"] = rfc3339_millis(capture.finished_at)
    if capture.status == "FAILED":
        if capture.finished_at is not None:
            view["failedTime"] = rfc3339_millis(capture.finished_at)
        view["errorCode"] = capture.error_code
        view["errorMsg"] = capture.error_msg
    return view


class AuthCaptureFamily(LedgerBase):
    def _capture(self, data: dict[str, Any]) -> Outcome:
        request_id = _req(data, "requestId", 64)
        out_trade_no = _req(data, "outTradeNo", 64)
        currency = _currency(data, "currency")
        amount = _amount(data, "amount", currency)
        earlier = self.captures.get(request_id)
        if earlier is not None:
            if (earlier.out_trade_no, earlier.currency, earlier.amount) != (out_trade_no, currency, amount):
                raise Refusal(ORDER_REPEAT, "requestId was already used with different parameters.")
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, earlier.data)
        order = self.orders.get(out_trade_no)
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        if not order.is_authorization:
            raise Refusal(ORDER_STATUS_INVALID, "The order is not an authorization (captureMode MANUAL).")
        if order.cancel is not None or order.status == "CLOSED":
            raise Refusal(ORDER_CLOSED, "The authorization was voided or closed.")
        if order.status != "SUCCESS":
            raise Refusal(ORDER_STATUS_INVALID, f"The authorization is {order.status}.")
        if order.live_capture is not None:
            raise Refusal(ORDER_STATUS_INVALID, "The authorization has already been captured.")
        now = self._clock()
        if now - order.created_at > AUTH_VALIDITY_SECONDS:
            raise Refusal(AUTH_EXPIRED, "The authorization expired (7 days).")
        if currency != order.currency:
            raise Refusal(CURRENCY_INVALID, f"Capture currency must be {order.currency}.")
        if amount > order.amount:
            raise Refusal(AMOUNT_INVALID, "Capture amount exceeds the authorized amount.")
        tail = _tail(amount, currency)
        status = "FAILED" if tail == 53 else "PENDING" if tail == 54 else "SUCCESS"
        capture = Capture(
            capture_no=self._id("C"),
            request_id=request_id,
            out_trade_no=out_trade_no,
            amount=amount,
            currency=currency,
            status=status,
            created_at=now,
        )
        if status != "PENDING":
            capture.finished_at = now
        if status == "FAILED":
            capture.error_code, capture.error_msg = (
                "CAPTURE_FAILED",
                "The issuer refused the capture (simulated).",
            )
        capture.data = encode(capture_view(capture))
        order.captures.append(capture)
        self.captures[request_id] = capture
        self._event(
            {"SUCCESS": "captured", "FAILED": "capture_failed", "PENDING": "capture_pending"}[status],
            out_trade_no,
            capture.capture_no,
            amount=amount,
            request_id=request_id,
        )
        if status != "PENDING":
            self._notify("CAPTURE", order.notify_url, capture.data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, capture.data)

    def settle_capture(self, out_trade_no: str, success: bool = True) -> Capture:
        """Resolve the PENDING capture of an authorization; its replay answer changes with it."""
        order = self.orders[out_trade_no]
        capture = next((c for c in order.captures if c.status == "PENDING"), None)
        if capture is None:
            raise ValueError(f"order {out_trade_no!r} has no PENDING capture")
        capture.status = "SUCCESS" if success else "FAILED"
        capture.finished_at = self._clock()
        if not success:
            capture.error_code, capture.error_msg = (
                "CAPTURE_FAILED",
                "The issuer refused the capture (simulated).",
            )
        capture.data = encode(capture_view(capture))
        self._event(
            "captured" if success else "capture_failed",
            out_trade_no,
            capture.capture_no,
            amount=capture.amount,
            request_id=capture.request_id,
        )
        self._notify("CAPTURE", order.notify_url, capture.data)
        return capture

    def _cancel(self, data: dict[str, Any]) -> Outcome:
        request_id = _req(data, "requestId", 64)
        out_trade_no = _req(data, "outTradeNo", 64)
        earlier = self.cancels.get(request_id)
        if earlier is not None:
            if earlier.out_trade_no != out_trade_no:
                raise Refusal(ORDER_REPEAT, "requestId was already used with different parameters.")
            return Outcome(APPLY_SUCCESS, SUCCESS_MSG, earlier.data)
        order = self.orders.get(out_trade_no)
        if order is None:
            raise Refusal(ORDER_NOT_EXIST, "Order does not exist.")
        if not order.is_authorization:
            raise Refusal(ORDER_STATUS_INVALID, "The order is not an authorization (captureMode MANUAL).")
        if order.cancel is not None or order.status == "CLOSED":
            raise Refusal(ORDER_CLOSED, "The authorization was already voided or closed.")
        if order.status == "FAILED":
            raise Refusal(ORDER_STATUS_INVALID, "The authorization failed; there is nothing to void.")
        if order.live_capture is not None:
            raise Refusal(ORDER_STATUS_INVALID, "The authorization has been captured; refund it instead.")
        now = self._clock()
        cancel = Cancel(self._id("V"), request_id, out_trade_no, "SUCCESS", now)
        cancel.data = encode(
            {
                "cancelNo": cancel.cancel_no,
                "requestId": request_id,
                "outTradeNo": out_trade_no,
                "status": "SUCCESS",
                "createdTime": rfc3339_millis(now),
                "succeededTime": rfc3339_millis(now),
            }
        )
        order.cancel = cancel
        order.status = "CLOSED"
        order.closed_at = now
        self.cancels[request_id] = cancel
        self._event("cancelled", out_trade_no, cancel.cancel_no, request_id=request_id)
        self._notify("CANCEL", order.notify_url, cancel.data)
        return Outcome(APPLY_SUCCESS, SUCCESS_MSG, cancel.data)
