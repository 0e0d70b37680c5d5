"""Bill payments: confirm (or refuse) a bill order PayerMax asked you to validate."""

from __future__ import annotations

from decimal import Decimal

from ..operations._base import as_amount
from ..types.bill_payments import BillOrderConfirmRequest, BillOrderConfirmResult
from ._base import Resource

__all__ = ["BillPayments"]


class BillPayments(Resource):
    __slots__ = ()

    async def confirm(
        self,
        *,
        trade_token: str,
        reference_no: str,
        amount: Decimal | int | str,
        currency: str,
        confirmation: str,
        failure_reason: str,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> BillOrderConfirmResult:
        """Confirm or refuse a bill order (``orderConfirm``); a replay confirms nothing more."""
        request = BillOrderConfirmRequest(
            trade_token=trade_token,
            reference_no=reference_no,
            amount=as_amount(amount, "amount"),
            currency=currency,
            confirmation=confirmation,
            failure_reason=failure_reason,
        )
        ids = {"trade_token": trade_token}
        return await self._call(
            "orderConfirm", request, BillOrderConfirmResult, ids, timeout, max_retries, version
        )
