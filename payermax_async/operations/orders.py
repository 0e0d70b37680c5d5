"""Payments and authorizations: orderAndPay, orderQuery, orderClose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._pipeline import Operation, RequestOptions
from ..errors import InvalidRequestError
from ..models.order import (
    AuthorizationType,
    BillingInfo,
    CaptureMode,
    GoodsDetail,
    Integrate,
    OrderAndPayRequest,
    OrderAndPayResult,
    OrderCloseRequest,
    OrderCloseResult,
    OrderQueryRequest,
    OrderQueryResult,
    PaymentDetail,
    ShippingInfo,
)
from ..validation import (
    check_amount,
    check_country,
    check_currency,
    check_id,
    check_optional_text,
    check_text,
    check_url,
)
from ._base import OperationsBase, check_reconciled, with_extra

ORDER_AND_PAY = Operation("orderAndPay", OrderAndPayResult, "out_trade_no")
ORDER_QUERY = Operation("orderQuery", OrderQueryResult, "out_trade_no")
ORDER_CLOSE = Operation("orderClose", OrderCloseResult, "out_trade_no")

__all__ = ["OrderMethods"]


def _capture_mode(
    capture_mode: CaptureMode | str | None, authorization_type: AuthorizationType | str | None
) -> tuple[str | None, str | None]:
    """Normalise the authorization switches; FINAL_AUTH is the only type PayerMax documents."""
    try:
        mode = None if capture_mode is None else CaptureMode(capture_mode)
    except ValueError:
        raise InvalidRequestError(
            f"capture_mode must be one of {[m.value for m in CaptureMode]}", field="capture_mode"
        ) from None
    try:
        auth = None if authorization_type is None else AuthorizationType(authorization_type)
    except ValueError:
        raise InvalidRequestError(
            f"authorization_type must be one of {[a.value for a in AuthorizationType]}",
            field="authorization_type",
        ) from None
    if auth is not None and mode is not CaptureMode.MANUAL:
        raise InvalidRequestError(
            "authorization_type applies only with capture_mode='MANUAL'", field="authorization_type"
        )
    if mode is CaptureMode.MANUAL and auth is None:
        auth = AuthorizationType.FINAL_AUTH
    return (None if mode is None else mode.value), (None if auth is None else auth.value)


class OrderMethods(OperationsBase):
    async def order_and_pay(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        country: str,
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
        expire_time: int | None = None,
        terminal_type: str | None = None,
        os_type: str | None = None,
        capture_mode: CaptureMode | str | None = None,
        authorization_type: AuthorizationType | str | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> OrderAndPayResult:
        """Create a payment: hosted checkout, direct payment, or an authorization.

        An authorization is ``capture_mode="MANUAL"`` (``authorization_type`` then defaults to
        ``FINAL_AUTH``); capture it later with :meth:`capture` or void it with :meth:`cancel`.
        ``out_trade_no`` is the idempotency key: when a retry meets ORDER_REPEAT because the
        lost first attempt did land, the result is rebuilt from :meth:`order_query`
        (``reconciled=True``, no ``redirect_url``). ``extra`` adds top-level ``data`` fields
        this method does not model yet (wire names); it cannot override modelled ones.
        """
        check_id(out_trade_no, "out_trade_no")
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        country = check_country(country)
        check_text(subject, "subject", max_length=256)
        check_id(user_id, "user_id", strict_charset=False)
        integrate_value = check_text(
            integrate.value if isinstance(integrate, Integrate) else integrate, "integrate", max_length=32
        )
        if integrate_value == Integrate.DIRECT_PAYMENT.value and payment_detail is None:
            raise InvalidRequestError("Direct_Payment needs a payment_detail", field="payment_detail")
        if payment_detail is not None and not isinstance(payment_detail, PaymentDetail):
            raise InvalidRequestError("payment_detail must be a PaymentDetail", field="payment_detail")
        if notify_url is not None:
            check_url(notify_url, "notify_url")
        if front_callback_url is not None:
            check_url(front_callback_url, "front_callback_url")
        goods = None if goods_details is None else list(goods_details)
        if goods is not None and not all(isinstance(g, GoodsDetail) for g in goods):
            raise InvalidRequestError("goods_details must be GoodsDetail items", field="goods_details")
        mode, auth_type = _capture_mode(capture_mode, authorization_type)
        if expire_time is not None and (
            isinstance(expire_time, bool) or not isinstance(expire_time, int) or expire_time <= 0
        ):
            raise InvalidRequestError("expire_time must be a positive number of seconds", field="expire_time")
        request = OrderAndPayRequest(
            out_trade_no=out_trade_no,
            subject=subject,
            total_amount=value,
            currency=currency,
            country=country,
            user_id=user_id,
            integrate=integrate_value,
            front_callback_url=front_callback_url,
            notify_url=notify_url,
            language=check_optional_text(language, "language", max_length=16),
            reference=check_optional_text(reference, "reference", max_length=512),
            expire_time=None if expire_time is None else str(expire_time),
            terminal_type=check_optional_text(terminal_type, "terminal_type", max_length=32),
            os_type=check_optional_text(os_type, "os_type", max_length=32),
            payment_detail=payment_detail,
            goods_details=goods,
            shipping_info=shipping_info,
            billing_info=billing_info,
            capture_mode=mode,
            authorization_type=auth_type,
        )
        data = with_extra(request, extra)
        ids = {"out_trade_no": out_trade_no}

        async def reconcile() -> OrderAndPayResult:
            found = await self.order_query(out_trade_no, timeout=timeout, max_retries=max_retries)
            check_reconciled("orderAndPay", ids, (found.total_amount, found.currency), (value, currency))
            return OrderAndPayResult(
                out_trade_no=found.out_trade_no,
                trade_token=found.trade_token,
                status=found.status,
                reconciled=True,
            )

        return await self._pipeline.execute(
            ORDER_AND_PAY,
            data,
            ids,
            RequestOptions(timeout, max_retries, version),
            reconcile=reconcile,
        )

    async def order_query(
        self,
        out_trade_no: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> OrderQueryResult:
        """The payment or authorization now. The way to learn a capture's effect without its answer."""
        check_id(out_trade_no, "out_trade_no")
        return await self._pipeline.execute(
            ORDER_QUERY,
            OrderQueryRequest(out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )

    async def order_close(
        self,
        out_trade_no: str,
        reason: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> OrderCloseResult:
        """Close an unpaid order so that it can no longer be paid."""
        check_id(out_trade_no, "out_trade_no")
        return await self._pipeline.execute(
            ORDER_CLOSE,
            OrderCloseRequest(
                out_trade_no=out_trade_no, reason=check_optional_text(reason, "reason", max_length=256)
            ),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )
