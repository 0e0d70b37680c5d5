"""Capturing and voiding an authorization: capture, cancel."""

from __future__ import annotations

from decimal import Decimal

from .._pipeline import Operation, RequestOptions
from ..models.cancel import CancelRequest, CancelResult
from ..models.capture import CaptureRequest, CaptureResult
from ..validation import (
    check_amount,
    check_currency,
    check_id,
    new_request_id,
)
from ._base import OperationsBase

CAPTURE = Operation("capture", CaptureResult, "request_id")
CANCEL = Operation("cancel", CancelResult, "request_id")

__all__ = ["CAPTURE", "CANCEL", "AuthCaptureMethods"]


class AuthCaptureMethods(OperationsBase):
    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
        retry_rate_limited: bool = True,
    ) -> CaptureResult:
        """Capture an authorization (created by ``orderAndPay`` with ``captureMode=MANUAL``).

        ``request_id`` is the idempotency key: generated once when omitted and reused by every
        retry. Pass your own (and persist it first) to make a re-run after a crash safe.
        ``retry_rate_limited=False`` raises a ``TOO_MANY_REQUEST`` refusal instead of retrying it,
        for a caller (the bulk engine's adaptive limit) that paces itself on that signal.
        """
        check_id(out_trade_no, "out_trade_no")
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        request_id = (
            new_request_id()
            if request_id is None
            else check_id(request_id, "request_id", strict_charset=False)
        )
        data = CaptureRequest(
            request_id=request_id, out_trade_no=out_trade_no, currency=currency, amount=value
        )
        ids = {"out_trade_no": out_trade_no, "request_id": request_id}
        options = RequestOptions(timeout, max_retries, version, retry_rate_limited=retry_rate_limited)
        return await self._pipeline.execute(CAPTURE, data, ids, options)

    async def cancel(
        self,
        out_trade_no: str,
        request_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CancelResult:
        """Void an uncaptured authorization, releasing the held funds.

        ``request_id`` is the idempotency key, generated once when omitted and reused by every
        retry; persist your own first to make a re-run after a crash safe.
        """
        check_id(out_trade_no, "out_trade_no")
        request_id = (
            new_request_id()
            if request_id is None
            else check_id(request_id, "request_id", strict_charset=False)
        )
        return await self._pipeline.execute(
            CANCEL,
            CancelRequest(request_id=request_id, out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no, "request_id": request_id},
            RequestOptions(timeout, max_retries, version),
        )
