"""Stored payment tokens: apply for one, ask how the application went, list and remove them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..types.tokens import (
    ApplyPaymentTokenCardInfo,
    ApplyPaymentTokenEnvInfo,
    ApplyPaymentTokenRequest,
    ApplyPaymentTokenResult,
    InquireApplyRequestRequest,
    InquireApplyRequestResult,
    InquirePaymentTokenRequest,
    InquirePaymentTokenResult,
    RemovePaymentTokenRequest,
    RemovePaymentTokenResult,
)
from ._base import Resource, business_id

__all__ = ["Tokens"]


class Tokens(Resource):
    __slots__ = ()

    async def apply(
        self,
        *,
        country: str,
        payment_method_type: str,
        user_id: str,
        front_callback_url: str,
        token_scope: str,
        request_id: str | None = None,
        target_org: str | None = None,
        mit_type: str | None = None,
        card_info: ApplyPaymentTokenCardInfo | None = None,
        env_info: ApplyPaymentTokenEnvInfo | None = None,
        risk_params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ApplyPaymentTokenResult:
        """Apply for a payment token (``applyPaymentToken``). ``request_id`` is the idempotency key,
        generated once when omitted; the outcome may come later: :meth:`inquire_apply`. When a retry
        meets ORDER_REPEAT after a lost answer, the result comes from that query (``reconciled``)."""
        request = ApplyPaymentTokenRequest(
            request_id=business_id(request_id),
            country=country,
            payment_method_type=payment_method_type,
            target_org=target_org,
            user_id=user_id,
            front_callback_url=front_callback_url,
            token_scope=token_scope,
            mit_type=mit_type,
            card_info=card_info,
            env_info=env_info,
            risk_params=None if risk_params is None else dict(risk_params),
        )
        ids = {"request_id": request.request_id}
        return await self._call(
            "applyPaymentToken", request, ApplyPaymentTokenResult, ids, timeout, max_retries, version
        )

    async def inquire_apply(
        self,
        *,
        user_id: str,
        token_scope: str,
        request_id: str,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> InquireApplyRequestResult:
        """How a token application went (PayerMax's ``InquireApplyRequest``)."""
        request = InquireApplyRequestRequest(user_id=user_id, token_scope=token_scope, request_id=request_id)
        return await self._call(
            "InquireApplyRequest",
            request,
            InquireApplyRequestResult,
            {"request_id": request_id},
            timeout,
            max_retries,
            version,
        )

    async def inquire(
        self,
        *,
        user_id: str,
        token_scope: str,
        payment_token_id: str | None = None,
        payment_method_type: str | None = None,
        target_org: str | None = None,
        card_org: str | None = None,
        referral_code: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> InquirePaymentTokenResult:
        """A user's stored tokens (``inquirePaymentToken``)."""
        request = InquirePaymentTokenRequest(
            user_id=user_id,
            token_scope=token_scope,
            payment_token_id=payment_token_id,
            payment_method_type=payment_method_type,
            target_org=target_org,
            card_org=card_org,
            referral_code=referral_code,
        )
        return await self._call(
            "inquirePaymentToken", request, InquirePaymentTokenResult, {}, timeout, max_retries, version
        )

    async def remove(
        self,
        *,
        user_id: str,
        payment_token_id: str,
        remove_reason: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RemovePaymentTokenResult:
        """Remove a stored token (``removePaymentToken``); a replay removes nothing more."""
        request = RemovePaymentTokenRequest(
            user_id=user_id, payment_token_id=payment_token_id, remove_reason=remove_reason
        )
        ids = {"payment_token_id": payment_token_id}
        return await self._call(
            "removePaymentToken", request, RemovePaymentTokenResult, ids, timeout, max_retries, version
        )
