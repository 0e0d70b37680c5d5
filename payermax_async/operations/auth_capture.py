"""Capturing an authorization: the hot path of bulk runs, so its endpoint and operation are fixed once.

Every other flat method (``cancel`` too) is generated: ``flat.py``.
"""

from __future__ import annotations

from decimal import Decimal

from .._pipeline import RequestOptions
from ..endpoints import ENDPOINTS
from ..types.auth_capture import CaptureRequest, CaptureResult
from ..validation import new_request_id
from ._base import OperationsBase, as_amount, operation_for

# Fixed once: the capture path is the hot one of bulk runs.
_CAPTURE = ENDPOINTS["capture"]
CAPTURE = operation_for(_CAPTURE, CaptureResult)
_PLAIN = {flag: RequestOptions(retry_rate_limited=flag) for flag in (True, False)}

__all__ = ["CAPTURE", "AuthCaptureMethods"]


class AuthCaptureMethods(OperationsBase):
    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
        *,
        final_capture: bool | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
        retry_rate_limited: bool = True,
    ) -> CaptureResult:
        """Capture an authorization (created by ``orderAndPay`` with ``captureMode=MANUAL``).

        ``request_id`` is the idempotency key: generated once when omitted and reused by every
        retry. Pass your own (and persist it first) to make a re-run after a crash safe. The
        answer's ``is_final`` says whether this was the authorization's final capture.
        ``retry_rate_limited=False`` raises a ``TOO_MANY_REQUEST`` refusal instead of retrying it,
        for a caller (the bulk engine's adaptive limit) that paces itself on that signal.
        """
        request = CaptureRequest(
            request_id=new_request_id() if request_id is None else request_id,
            out_trade_no=out_trade_no,
            currency=currency,
            amount=as_amount(amount, "amount"),
            final_capture=final_capture,
        )
        _CAPTURE.check(request)
        ids = {"out_trade_no": out_trade_no, "request_id": request.request_id}
        if timeout is None and max_retries is None and version is None:
            options = _PLAIN[retry_rate_limited]
        else:
            options = RequestOptions(timeout, max_retries, version, retry_rate_limited=retry_rate_limited)
        return await self._pipeline.execute(CAPTURE, request, ids, self._options(options))
