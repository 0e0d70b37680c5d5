"""Pay-by-link: create a payment link, query it, expire it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..operations._base import as_amount, check_notify_url
from ..types.links import (
    CreatePaybylinkGoodsDetail,
    CreatePaybylinkRequest,
    CreatePaybylinkResult,
    ExpirePaybylinkRequest,
    ExpirePaybylinkResult,
    MerchantInfo,
    QueryPaybylinkRequest,
    QueryPaybylinkResult,
    UserInfo,
)
from ._base import Resource, business_id

__all__ = ["PaymentLinks"]


class PaymentLinks(Resource):
    __slots__ = ()

    async def create(
        self,
        *,
        link_type: str,
        country: str,
        currency: str,
        total_amount: Decimal | int | str,
        description: str,
        user_info: UserInfo,
        goods_details: Sequence[CreatePaybylinkGoodsDetail],
        merchant_info: MerchantInfo,
        notify_url: str,
        merchant_link_id: str | None = None,
        expires_time: str | None = None,
        language: str | None = None,
        link_description: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CreatePaybylinkResult:
        """Create a payment link (``createPaybylink``). ``merchant_link_id`` is the idempotency key,
        generated once when omitted and reused by every retry. When a retry meets ORDER_REPEAT after
        a lost answer, the result comes from :meth:`query` (``reconciled``): never a second link."""
        check_notify_url(notify_url, "notifyUrl")
        request = CreatePaybylinkRequest(
            merchant_link_id=business_id(merchant_link_id),
            link_type=link_type,
            expires_time=expires_time,
            country=country,
            currency=currency,
            total_amount=as_amount(total_amount, "totalAmount"),
            language=language,
            description=description,
            link_description=link_description,
            user_info=user_info,
            goods_details=list(goods_details),
            merchant_info=merchant_info,
            notify_url=notify_url,
        )
        ids = {"merchant_link_id": request.merchant_link_id}
        return await self._call(
            "createPaybylink", request, CreatePaybylinkResult, ids, timeout, max_retries, version
        )

    async def query(
        self,
        merchant_link_id: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> QueryPaybylinkResult:
        """A payment link now, with the payments made through it (``queryPaybylink``)."""
        return await self._call(
            "queryPaybylink",
            QueryPaybylinkRequest(merchant_link_id=merchant_link_id),
            QueryPaybylinkResult,
            {"merchant_link_id": merchant_link_id},
            timeout,
            max_retries,
            version,
        )

    async def expire(
        self,
        merchant_link_id: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ExpirePaybylinkResult:
        """Expire a payment link so that it can no longer be paid (``expirePaybylink``)."""
        return await self._call(
            "expirePaybylink",
            ExpirePaybylinkRequest(merchant_link_id=merchant_link_id),
            ExpirePaybylinkResult,
            {"merchant_link_id": merchant_link_id},
            timeout,
            max_retries,
            version,
        )
