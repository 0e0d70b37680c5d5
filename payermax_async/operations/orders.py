"""Creating a payment or an authorization: orderAndPay (its query and close are in ``simple.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._pipeline import RequestOptions
from ..types.common import AuthorizationType, CaptureMode, Integrate, TerminalType
from ..types.orders import (
    BillingInfo,
    EnvInfo,
    GoodsDetail,
    OrderAndPayRequest,
    OrderAndPayResult,
    PaymentDetail,
    ShippingInfo,
    SubMerchant,
    SubscriptionPlan,
)
from ._base import (
    as_amount,
    authorization_terms,
    check_notify_url,
    wire_value,
)
from .simple import SimpleMethods

__all__ = ["OrderMethods"]


class OrderMethods(SimpleMethods):
    async def order_and_pay(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        country: str | None = None,
        subject: str,
        user_id: str,
        integrate: Integrate | str = Integrate.HOSTED_CHECKOUT,
        notify_url: str | None = None,
        front_callback_url: str | None = None,
        payment_detail: PaymentDetail | None = None,
        goods_details: Sequence[GoodsDetail] | None = None,
        shipping_info: ShippingInfo | None = None,
        billing_info: BillingInfo | None = None,
        language: str | None = None,
        reference: str | None = None,
        expire_time: int | str | None = None,
        terminal_type: TerminalType | str | None = None,
        os_type: str | None = None,
        capture_mode: CaptureMode | str | None = None,
        authorization_type: AuthorizationType | str | None = None,
        env_info: EnvInfo | None = None,
        sub_merchant: SubMerchant | None = None,
        subscription_plan: SubscriptionPlan | None = None,
        referral_code: str | None = None,
        mit_management_url: str | None = None,
        risk_params: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> OrderAndPayResult:
        """Create a payment: hosted checkout, Direct API, drop-in, or an authorization.

        The fields select PayerMax's variant (``integrate``, ``capture_mode``, a drop-in
        ``payment_detail.payment_token``), and that variant's own rules are checked before any
        byte is sent: hosted checkout needs ``front_callback_url``, Direct API needs
        ``terminal_type`` and ``payment_detail`` (with ``buyer_info``). An authorization is
        ``capture_mode="MANUAL"`` (``authorization_type`` then defaults to ``FINAL_AUTH``).
        ``out_trade_no`` is the idempotency key: when a retry meets ORDER_REPEAT because the lost
        first attempt did land, the result is rebuilt from :meth:`order_query` (``reconciled``
        is True, no ``redirect_url``). ``extra`` adds top-level wire fields the schema lacks.
        """
        mode, auth = authorization_terms(capture_mode, authorization_type)
        value = as_amount(amount, "amount")
        check_notify_url(notify_url, "notifyUrl")
        request = OrderAndPayRequest(
            out_trade_no=out_trade_no,
            integrate=wire_value(integrate),
            subject=subject,
            total_amount=value,
            currency=currency,
            country=country,
            user_id=user_id,
            expire_time=None if expire_time is None else str(expire_time),
            referral_code=referral_code,
            mit_management_url=mit_management_url,
            subscription_plan=subscription_plan,
            payment_detail=payment_detail,
            sub_merchant=sub_merchant,
            language=language,
            terminal_type=wire_value(terminal_type),
            os_type=os_type,
            front_callback_url=front_callback_url,
            notify_url=notify_url,
            capture_mode=mode,
            authorization_type=auth,
            reference=reference,
            env_info=env_info,
            goods_details=None if goods_details is None else list(goods_details),
            shipping_info=shipping_info,
            billing_info=billing_info,
            risk_params=None if risk_params is None else dict(risk_params),
        )
        ids = {"out_trade_no": out_trade_no}

        return await self._send(
            "orderAndPay",
            request,
            OrderAndPayResult,
            ids,
            RequestOptions(timeout, max_retries, version),
            extra=extra,
        )
