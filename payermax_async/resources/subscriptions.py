"""Subscriptions: create a plan for a user, query it, cancel it."""

from __future__ import annotations

from ..errors import InvalidRequestError
from ..types.subscriptions import (
    SubscriptionCancelRequest,
    SubscriptionCancelResult,
    SubscriptionCreateRequest,
    SubscriptionCreateResult,
    SubscriptionCreateSubscriptionPlan,
    SubscriptionQueryRequest,
    SubscriptionQueryResult,
)
from ._base import Resource, business_id

__all__ = ["Subscriptions"]


class Subscriptions(Resource):
    __slots__ = ()

    async def create(
        self,
        *,
        user_id: str,
        callback_url: str,
        subscription_plan: SubscriptionCreateSubscriptionPlan,
        subscription_request_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> SubscriptionCreateResult:
        """Create a subscription (``subscriptionCreate``). ``subscription_request_id`` is the
        idempotency key, generated once when omitted and reused by every retry. When a retry meets
        ORDER_REPEAT after a lost answer, the result comes from :meth:`query` (``reconciled``)."""
        request = SubscriptionCreateRequest(
            subscription_request_id=business_id(subscription_request_id),
            user_id=user_id,
            callback_url=callback_url,
            subscription_plan=subscription_plan,
        )
        ids = {"subscription_request_id": request.subscription_request_id}
        return await self._call(
            "subscriptionCreate", request, SubscriptionCreateResult, ids, timeout, max_retries, version
        )

    async def query(
        self,
        *,
        subscription_request_id: str | None = None,
        subscription_no: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> SubscriptionQueryResult:
        """A subscription now, by your request id or PayerMax's ``subscription_no`` (at least one)."""
        if subscription_request_id is None and subscription_no is None:
            raise InvalidRequestError(
                "pass subscription_request_id or subscription_no", field="subscriptionRequestId"
            )
        request = SubscriptionQueryRequest(
            subscription_request_id=subscription_request_id, subscription_no=subscription_no
        )
        return await self._call(
            "subscriptionQuery", request, SubscriptionQueryResult, {}, timeout, max_retries, version
        )

    async def cancel(
        self,
        subscription_no: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> SubscriptionCancelResult:
        """Cancel a subscription (``subscriptionCancel``); a replay cancels nothing more."""
        return await self._call(
            "subscriptionCancel",
            SubscriptionCancelRequest(subscription_no=subscription_no),
            SubscriptionCancelResult,
            {"subscription_no": subscription_no},
            timeout,
            max_retries,
            version,
        )
