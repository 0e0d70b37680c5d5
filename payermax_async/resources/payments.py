"""Steps of a payment beyond creating it: confirmPayment (a verification code) and applyDDC
(device data collection before a card payment)."""

from __future__ import annotations

from decimal import Decimal

from ..operations._base import as_amount
from ..types.orders import (
    ApplyDdcRequest,
    ApplyDdcResult,
    ConfirmPaymentPaymentDetail,
    ConfirmPaymentRequest,
    ConfirmPaymentResult,
)
from ._base import Resource

__all__ = ["Payments"]


class Payments(Resource):
    __slots__ = ()

    async def confirm(
        self,
        out_trade_no: str,
        *,
        trade_token: str | None = None,
        verification_code: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ConfirmPaymentResult:
        """Confirm a payment that waits for the payer's verification code (``confirmPayment``).
        When a retry meets ORDER_REPEAT after a lost answer, the result comes from ``order_query``
        (``reconciled``; only ``status`` is known then)."""
        detail = (
            None
            if verification_code is None
            else ConfirmPaymentPaymentDetail(verification_code=verification_code)
        )
        request = ConfirmPaymentRequest(
            out_trade_no=out_trade_no, trade_token=trade_token, payment_detail=detail
        )
        ids = {"out_trade_no": out_trade_no}
        return await self._call(
            "confirmPayment", request, ConfirmPaymentResult, ids, timeout, max_retries, version
        )

    async def apply_ddc(
        self,
        *,
        payment_method_type: str,
        payment_amount: Decimal | int | str,
        payment_currency: str,
        user_id: str,
        card_identifier_no: str | None = None,
        payment_token_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ApplyDdcResult:
        """A device-data-collection session for a card payment (``applyDDC``); nothing is charged.

        It has no business id, so PayerMax cannot tell a retry from a new request: a retry after a
        lost answer may open a second session. Harmless here; ``max_retries=0`` rules it out.
        """
        request = ApplyDdcRequest(
            payment_method_type=payment_method_type,
            payment_amount=as_amount(payment_amount, "paymentAmount"),
            payment_currency=payment_currency,
            user_id=user_id,
            card_identifier_no=card_identifier_no,
            payment_token_id=payment_token_id,
        )
        return await self._call("applyDDC", request, ApplyDdcResult, {}, timeout, max_retries, version)
