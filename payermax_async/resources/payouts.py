"""Payouts beyond paying out (which is the flat ``client.payout``): checking payee fields first."""

from __future__ import annotations

from ..types.payouts import (
    PayoutFieldValidationPayeeInfo,
    PayoutFieldValidationPayerInfo,
    PayoutFieldValidationRequest,
    PayoutFieldValidationResult,
)
from ._base import Resource

__all__ = ["Payouts"]


class Payouts(Resource):
    __slots__ = ()

    async def validate_fields(
        self,
        *,
        country: str,
        payee_info: PayoutFieldValidationPayeeInfo,
        payer_info: PayoutFieldValidationPayerInfo | None = None,
        charge_option: str | None = None,
        clearing_rail: str | None = None,
        source_account: str | None = None,
        destination_currency: str | None = None,
        expiry_days: int | str | None = None,
        remark: str | None = None,
        notify_email: str | None = None,
        notify_phone: str | None = None,
        purpose: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutFieldValidationResult:
        """Which payee fields PayerMax would accept, before paying out (``paymentFieldValidation``)."""
        request = PayoutFieldValidationRequest(
            country=country,
            charge_option=charge_option,
            clearing_rail=clearing_rail,
            source_account=source_account,
            destination_currency=destination_currency,
            payee_info=payee_info,
            payer_info=payer_info,
            expiry_days=None if expiry_days is None else str(expiry_days),
            remark=remark,
            notify_email=notify_email,
            notify_phone=notify_phone,
            purpose=purpose,
        )
        return await self._call(
            "paymentFieldValidation", request, PayoutFieldValidationResult, {}, timeout, max_retries, version
        )
