"""Drop-in checkout: a session for PayerMax's front-end component (``applyDropinSession``).

The payment itself is then ``client.order_and_pay(..., integrate="Direct_Payment",
payment_detail=PaymentDetail(payment_token=...))`` with the token the component returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..operations._base import as_amount
from ..types.common import AuthorizationType, CaptureMode
from ..types.dropin import ApplyDropinSessionRequest, ApplyDropinSessionResult
from ._base import Resource

__all__ = ["Dropin"]


class Dropin(Resource):
    __slots__ = ()

    async def apply_session(
        self,
        *,
        currency: str,
        country: str,
        user_id: str,
        total_amount: Decimal | int | str | None = None,
        component_list: Sequence[str] | None = None,
        token_for_future_use: bool | None = None,
        mit_type: str | None = None,
        referral_code: str | None = None,
        capture_mode: CaptureMode | str | None = None,
        authorization_type: AuthorizationType | str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ApplyDropinSessionResult:
        """A drop-in session (its ``session_key`` and client key); an authorization session is
        ``capture_mode="MANUAL"`` (``authorization_type`` then defaults to ``FINAL_AUTH``).

        It has no business id, so PayerMax cannot tell a retry from a new request: a retry after a
        lost answer may open a second session (no money moves until a payment uses one of them).
        ``max_retries=0`` rules that out.
        """
        mode = None if capture_mode is None else str(capture_mode)
        auth = None if authorization_type is None else str(authorization_type)
        if mode == CaptureMode.MANUAL.value and auth is None:
            auth = AuthorizationType.FINAL_AUTH.value
        request = ApplyDropinSessionRequest(
            total_amount=None if total_amount is None else as_amount(total_amount, "totalAmount"),
            mit_type=mit_type,
            currency=currency,
            country=country,
            user_id=user_id,
            referral_code=referral_code,
            token_for_future_use=token_for_future_use,
            component_list=None if component_list is None else list(component_list),
            capture_mode=mode,
            authorization_type=auth,
        )
        return await self._call(
            "applyDropinSession", request, ApplyDropinSessionResult, {}, timeout, max_retries, version
        )
