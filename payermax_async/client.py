"""PayerMaxClient: the client's lifecycle and one thin typed method per core operation.

Each method validates its input (before any byte is sent), builds the typed request and names
the operation; everything after that (single flight, retries, signing, verification, decoding)
is the request pipeline in :mod:`payermax_async._pipeline`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import msgspec

from ._pipeline import DEFAULT_VERSIONS, Operation, Pipeline, RequestOptions
from .codes import ORDER_REPEAT
from .config import ClientConfig
from .errors import ApiError, InvalidRequestError
from .models.cancel import CancelRequest, CancelResult
from .models.capture import CaptureRequest, CaptureResult
from .models.order import (
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
from .models.payout import (
    PayeeInfo,
    PayoutQueryRequest,
    PayoutQueryResult,
    PayoutRequest,
    PayoutResult,
    PayoutTrade,
)
from .models.refund import RefundQueryRequest, RefundQueryResult, RefundRequest, RefundResult
from .retry import RetryBudget, RetryEvent
from .signing_thread import bulk_signer
from .transport import AiohttpTransport, Transport
from .validation import (
    check_amount,
    check_country,
    check_currency,
    check_id,
    check_optional_text,
    check_text,
    check_url,
    new_request_id,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable, Iterable
    from os import PathLike

    from typing_extensions import Unpack

    from .bulk import CaptureItem, CaptureOutcome, Journal, RateLimiter
    from .config import ClientOptions

__all__ = ["DEFAULT_VERSIONS", "ClientSpec", "Operation", "PayerMaxClient"]

T = TypeVar("T")

CAPTURE = Operation("capture", CaptureResult, "request_id")
ORDER_AND_PAY = Operation("orderAndPay", OrderAndPayResult, "out_trade_no")
ORDER_QUERY = Operation("orderQuery", OrderQueryResult, "out_trade_no")
ORDER_CLOSE = Operation("orderClose", OrderCloseResult, "out_trade_no")
CANCEL = Operation("cancel", CancelResult, "request_id")
REFUND = Operation("refund", RefundResult, "out_refund_no")
PAYOUT = Operation("paymentOrderPay", PayoutResult, "out_trade_no")
PAYOUT_QUERY = Operation("paymentOrderQry", PayoutQueryResult, "out_trade_no")


class PayerMaxClient:
    """An asyncio PayerMax client. Share one per merchant across the whole service.

    It owns a pooled HTTP session (created lazily inside the running loop), a retry budget and
    a clock offset; nothing is global, so clients for different merchants live side by side.
    The options are :class:`~payermax_async.config.ClientOptions`; ``config`` instead passes
    an already built :class:`ClientConfig` (see :meth:`from_config`). :meth:`aclose` closes the
    signer (when it has a ``close``) if the client owns it: by default only one it built itself
    from ``private_key``; ``owns_signer=True`` hands it one made for it alone.
    """

    def __init__(
        self,
        *,
        config: ClientConfig | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
        owns_signer: bool | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if config is None:
            config = ClientConfig.build(**options)
        elif options:
            raise InvalidRequestError("pass a config or client options, not both")
        if owns_signer is None:
            owns_signer = bool(options) and options.get("signer") is None
        self._owns_signer = owns_signer
        if session is not None and transport is not None:
            raise InvalidRequestError("pass a session or a transport, not both")
        self.config = config
        self._transport: Transport = transport or AiohttpTransport(
            max_connections=config.max_connections,
            connect_timeout=config.connect_timeout,
            session=session,
        )
        self._pipeline = Pipeline(config, self._transport, on_retry=on_retry, clock=clock)
        self._closed = False

    @classmethod
    def from_config(
        cls,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
        owns_signer: bool = False,
    ) -> PayerMaxClient:
        return cls(
            config=config,
            session=session,
            transport=transport,
            on_retry=on_retry,
            clock=clock,
            owns_signer=owns_signer,
        )

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> PayerMaxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pool. In-flight calls are cancelled; their callers see CancelledError."""
        if self._closed:
            return
        self._closed = True
        self._pipeline.cancel_all()
        try:
            await self._transport.aclose()
        finally:
            close_signer = getattr(self.config.signer, "close", None)
            if self._owns_signer and callable(close_signer):
                close_signer()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def retry_budget(self) -> RetryBudget:
        return self._pipeline.budget

    @property
    def clock_offset(self) -> float:
        """Seconds added to the local clock for ``requestTime``, learnt from REQ_TIME_OVER_TIME."""
        return self._pipeline.clock_offset

    def __repr__(self) -> str:
        return f"PayerMaxClient({self.config!r})"

    # ------------------------------------------------------------------ operations

    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CaptureResult:
        """Capture an authorization (created by ``orderAndPay`` with ``captureMode=MANUAL``).

        ``request_id`` is the idempotency key: generated once when omitted and reused by every
        retry. Pass your own (and persist it first) to make a re-run after a crash safe.
        """
        check_id(out_trade_no, "out_trade_no")
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        request_id = (
            new_request_id()
            if request_id is None
            else check_id(request_id, "request_id", strict_charset=False)
        )
        data = CaptureRequest(
            request_id=request_id, out_trade_no=out_trade_no, currency=currency, amount=value
        )
        ids = {"out_trade_no": out_trade_no, "request_id": request_id}
        return await self._send(CAPTURE, data, ids, RequestOptions(timeout, max_retries, version))

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
        data = _with_extra(request, extra)
        ids = {"out_trade_no": out_trade_no}

        async def reconcile() -> OrderAndPayResult:
            found = await self.order_query(out_trade_no, timeout=timeout, max_retries=max_retries)
            _check_reconciled("orderAndPay", ids, (found.total_amount, found.currency), (value, currency))
            return OrderAndPayResult(
                out_trade_no=found.out_trade_no,
                trade_token=found.trade_token,
                status=found.status,
                reconciled=True,
            )

        return await self._send(
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
        return await self._send(
            ORDER_QUERY,
            OrderQueryRequest(out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )

    async def cancel(
        self,
        out_trade_no: str,
        request_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CancelResult:
        """Void an uncaptured authorization, releasing the held funds.

        ``request_id`` is the idempotency key, generated once when omitted and reused by every
        retry; persist your own first to make a re-run after a crash safe.
        """
        check_id(out_trade_no, "out_trade_no")
        request_id = (
            new_request_id()
            if request_id is None
            else check_id(request_id, "request_id", strict_charset=False)
        )
        return await self._send(
            CANCEL,
            CancelRequest(request_id=request_id, out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no, "request_id": request_id},
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
        return await self._send(
            ORDER_CLOSE,
            OrderCloseRequest(
                out_trade_no=out_trade_no, reason=check_optional_text(reason, "reason", max_length=256)
            ),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )

    async def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        comments: str | None = None,
        refund_notify_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RefundResult:
        """Refund (part of) a paid order. ``out_refund_no`` is the refund's idempotency key.

        The outcome usually arrives later: a REFUND notification or :meth:`refund_query`. When a
        retry meets ORDER_REPEAT after a lost answer, the result comes from ``refund_query``.
        """
        check_id(out_trade_no, "out_trade_no")
        check_id(out_refund_no, "out_refund_no")
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        if refund_notify_url is not None:
            check_url(refund_notify_url, "refund_notify_url")
        data = RefundRequest(
            out_refund_no=out_refund_no,
            refund_amount=value,
            refund_currency=currency,
            out_trade_no=out_trade_no,
            comments=check_optional_text(comments, "comments", max_length=256),
            refund_notify_url=refund_notify_url,
        )
        refund_ids = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no}

        async def reconcile() -> RefundResult:
            found = await self.refund_query(
                out_refund_no=out_refund_no, timeout=timeout, max_retries=max_retries
            )
            _check_reconciled(
                "refund",
                refund_ids,
                (found.out_trade_no or out_trade_no, found.refund_amount, found.refund_currency),
                (out_trade_no, value, currency),
            )
            return RefundResult(
                out_refund_no=found.out_refund_no,
                status=found.status,
                refund_trade_no=found.refund_trade_no,
                out_trade_no=found.out_trade_no or out_trade_no,
                reconciled=True,
            )

        return await self._send(
            REFUND,
            data,
            refund_ids,
            RequestOptions(timeout, max_retries, version),
            reconcile=reconcile,
        )

    async def refund_query(
        self,
        *,
        out_refund_no: str | None = None,
        refund_trade_no: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RefundQueryResult:
        """A refund now, by your ``out_refund_no`` or PayerMax's ``refund_trade_no`` (exactly one)."""
        if (out_refund_no is None) == (refund_trade_no is None):
            raise InvalidRequestError(
                "pass exactly one of out_refund_no or refund_trade_no", field="out_refund_no"
            )
        if out_refund_no is not None:
            field, value = "out_refund_no", check_id(out_refund_no, "out_refund_no")
        else:
            field = "refund_trade_no"
            value = check_id(refund_trade_no, "refund_trade_no", strict_charset=False)
        return await self._send(
            Operation("refundQuery", RefundQueryResult, field),
            RefundQueryRequest(out_refund_no=out_refund_no, refund_trade_no=refund_trade_no),
            {field: value},
            RequestOptions(timeout, max_retries, version),
        )

    async def payout(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        *,
        country: str,
        payee_info: PayeeInfo,
        notify_url: str | None = None,
        reference: str | None = None,
        remark: str | None = None,
        purpose: str | None = None,
        source_account: str | None = None,
        destination_currency: str | None = None,
        notify_email: str | None = None,
        notify_phone: str | None = None,
        expiry_days: int | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutResult:
        """Pay money out (``paymentOrderPay``). ``out_trade_no`` is the idempotency key.

        When a retry meets ORDER_REPEAT after a lost answer, the result comes from
        :meth:`payout_query` (``reconciled=True``): a payout is never sent twice by this client.
        """
        check_id(out_trade_no, "out_trade_no", max_length=63)
        currency = check_currency(currency)
        value = check_amount(amount, currency)
        country = check_country(country)
        if not isinstance(payee_info, PayeeInfo):
            raise InvalidRequestError("payee_info must be a PayeeInfo", field="payee_info")
        if notify_url is not None:
            check_url(notify_url, "notify_url")
        if destination_currency is not None:
            destination_currency = check_currency(destination_currency, "destination_currency")
        if expiry_days is not None and (
            isinstance(expiry_days, bool) or not isinstance(expiry_days, int) or not 1 <= expiry_days <= 15
        ):
            raise InvalidRequestError("expiry_days must be an int from 1 to 15", field="expiry_days")
        request = PayoutRequest(
            out_trade_no=out_trade_no,
            country=country,
            # A string on the wire; format() of a Decimal is exact, never through a float.
            trade=PayoutTrade(amount=format(value, "f"), currency=currency),
            payee_info=payee_info,
            source_account=check_optional_text(source_account, "source_account", max_length=64),
            destination_currency=destination_currency,
            remark=check_optional_text(remark, "remark", max_length=256),
            reference=check_optional_text(reference, "reference", max_length=512),
            notify_url=notify_url,
            notify_email=check_optional_text(notify_email, "notify_email", max_length=128),
            notify_phone=check_optional_text(notify_phone, "notify_phone", max_length=32),
            purpose=check_optional_text(purpose, "purpose", max_length=64),
            expiry_days=None if expiry_days is None else str(expiry_days),
        )

        async def reconcile() -> PayoutResult:
            found = await self.payout_query(out_trade_no, timeout=timeout, max_retries=max_retries)
            trade = found.trade
            _check_reconciled(
                "paymentOrderPay",
                {"out_trade_no": out_trade_no},
                (None, None) if trade is None else (trade.amount, trade.currency),
                (value, currency),
            )
            return PayoutResult(
                out_trade_no=found.out_trade_no, status=found.status, trade_no=found.trade_no, reconciled=True
            )

        return await self._send(
            PAYOUT,
            _with_extra(request, extra),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
            reconcile=reconcile,
        )

    async def payout_query(
        self,
        out_trade_no: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> PayoutQueryResult:
        """A payout now (``paymentOrderQry``)."""
        check_id(out_trade_no, "out_trade_no", max_length=63)
        return await self._send(
            PAYOUT_QUERY,
            PayoutQueryRequest(out_trade_no=out_trade_no),
            {"out_trade_no": out_trade_no},
            RequestOptions(timeout, max_retries, version),
        )

    async def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: type[T] | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """Any endpoint by name, signed and verified like the typed ones.

        Without ``result_type`` the ``data`` comes back as a dict with exact Decimal numbers.
        Retries replay the same ``data``; pass the operation's business id as
        ``idempotency_key`` so that concurrent duplicates share one request. An operation
        whose replay is not deduplicated by PayerMax should be called with ``max_retries=0``.
        """
        check_id(api_name, "api_name")
        op: Operation[Any] = Operation(
            api_name, result_type if result_type is not None else dict, "key" if idempotency_key else None
        )
        ids = {"key": idempotency_key} if idempotency_key else {}
        return await self._send(op, data, ids, RequestOptions(timeout, max_retries, version))

    def capture_many(
        self,
        items: Iterable[CaptureItem] | AsyncIterable[CaptureItem],
        *,
        concurrency: int = 32,
        rate_limit: float | RateLimiter | None = None,
        journal: str | PathLike[str] | Journal | None = None,
    ) -> AsyncGenerator[CaptureOutcome, None]:
        """Capture many authorizations; yields a :class:`CaptureOutcome` per item as each completes.

        At most ``concurrency`` captures in flight, optionally at most ``rate_limit`` started per
        second; each goes through :meth:`capture` (same retries, same retry budget). With
        ``journal=PATH`` the run is resumable: re-run it with the same input after a crash and
        nothing is captured twice. See :func:`payermax_async.bulk.capture_many`.
        """
        from .bulk import capture_many  # the bulk layer sits beside the client, not below it

        return capture_many(self, items, concurrency=concurrency, rate_limit=rate_limit, journal=journal)

    # ------------------------------------------------------------------ the pipeline

    async def execute(
        self,
        op: Operation[T],
        data: Any,
        ids: Mapping[str, str],
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
        reconcile: Callable[[], Any] | None = None,
    ) -> T:
        """Send an already validated ``data`` object for ``op``; the entry point of every operation.

        Concurrent calls for the same business id share one in-flight request; the same id with
        different data is refused rather than silently sharing a result it did not ask for.
        """
        return await self._send(op, data, ids, RequestOptions(timeout, max_retries, version), reconcile)

    async def _send(
        self,
        op: Operation[T],
        data: Any,
        ids: Mapping[str, str],
        options: RequestOptions,
        reconcile: Callable[[], Any] | None = None,
    ) -> T:
        if self._closed:
            raise RuntimeError("PayerMaxClient is closed")
        return await self._pipeline.execute(op, data, ids, options, reconcile)


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


def _check_reconciled(
    api_name: str, ids: Mapping[str, str], found: tuple[object, ...], sent: tuple[object, ...]
) -> None:
    """After ORDER_REPEAT, the object found under our id must be the one we asked for.

    If it differs (another amount, currency or order), the id was already taken by something
    else: our request was refused, not lost, and reporting the other object's state as ours
    would be wrong. A field the query does not return (None) is not held against it.
    """
    for got, wanted in zip(found, sent, strict=True):
        if got is not None and got != wanted:
            raise ApiError(
                ORDER_REPEAT,
                "the id is already used by a different request; nothing new was created",
                operation=api_name,
                ids=ids,
            )


def _with_extra(request: msgspec.Struct, extra: Mapping[str, Any] | None) -> Any:
    """The request, plus wire fields the typed model does not cover; modelled fields stay typed."""
    if not extra:
        return request
    modelled = {f.encode_name for f in msgspec.structs.fields(type(request))}
    clash = sorted(k for k in extra if k in modelled)
    if clash:
        raise InvalidRequestError(
            f"extra may not set modelled fields {clash}; use the arguments", field="extra"
        )
    if not all(isinstance(k, str) and k for k in extra):
        raise InvalidRequestError("extra keys must be non-empty strings", field="extra")
    data: dict[str, Any] = msgspec.to_builtins(request, builtin_types=(Decimal,))
    data.update(extra)
    return data


@dataclass(frozen=True, repr=False)
class ClientSpec:
    """How a worker process builds its client: :class:`PayerMaxClient` keyword arguments.

    They must pickle (keys as strings, not a KMS handle). The repr names only the merchant, since
    the options hold the private key. ``bulk_concurrency``, when given, builds the signer with
    :func:`~payermax_async.signing_thread.bulk_signer` for that many captures in flight.
    """

    options: Mapping[str, Any]
    bulk_concurrency: int | None = None

    def build(self) -> PayerMaxClient:
        """The client; it owns (and closes) the signer built here."""
        options = dict(self.options)
        if self.bulk_concurrency is not None and options.get("private_key") is not None:
            options["signer"] = bulk_signer(
                options.pop("private_key"), backend=options.get("backend"), concurrency=self.bulk_concurrency
            )
            return PayerMaxClient(owns_signer=True, **options)
        return PayerMaxClient(**options)

    __call__ = build  # a zero-argument factory, as capture_many_processes takes

    def __repr__(self) -> str:
        shown = {k: self.options.get(k) for k in ("app_id", "merchant_no", "base_url")}
        return f"ClientSpec({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
