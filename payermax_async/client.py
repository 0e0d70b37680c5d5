"""PayerMaxClient: the client's lifecycle, and the way into the request pipeline.

The flat typed methods of the core flows come from :mod:`payermax_async.operations`, every other
documented apiName from a namespace in :mod:`payermax_async.resources` (``client.tokens``, ...): each
builds the generated request struct, checked against its endpoint before any byte is sent;
everything after that (single flight, retries, signing, verification, decoding) is the request
pipeline in :mod:`payermax_async._pipeline`.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import aiohttp
import msgspec

from ._operation import echoed_ids
from ._pipeline import DEFAULT_VERSIONS, Operation, Pipeline, RequestOptions
from ._telemetry import CallEvent, Instrument, Telemetry
from .config import ClientConfig
from .errors import InvalidRequestError
from .operations import AuthCaptureMethods, FlatMethods
from .operations._base import check_typed
from .resources import (
    Balances,
    BillPayments,
    Disputes,
    Dropin,
    Fx,
    PaymentLinks,
    Payments,
    Payouts,
    Risk,
    Subscriptions,
    Tokens,
)
from .retry import RetryBudget, RetryEvent
from .signing_thread import bulk_signer
from .transport import AiohttpTransport, Transport
from .validation import (
    check_id,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable, Iterable
    from os import PathLike

    from typing_extensions import Unpack

    from .bulk import CaptureItem, CaptureOutcome, Journal, RateLimiter
    from .config import ClientOptions
    from .raw import RawResponseClient

__all__ = ["DEFAULT_VERSIONS", "ClientSpec", "Operation", "PayerMaxClient"]

T = TypeVar("T")


class PayerMaxClient(FlatMethods, AuthCaptureMethods):
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
        on_call: Callable[[CallEvent], None] | None = None,
        instruments: Sequence[Instrument] = (),
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
        telemetry = Telemetry(on_call, instruments)
        if instruments and isinstance(self._transport, AiohttpTransport):
            self._transport.on_pool_wait = telemetry.pool_wait
        self._pipeline = Pipeline(
            config, self._transport, on_retry=on_retry, clock=clock, telemetry=telemetry
        )
        self._derived = False
        self._attach_resources()

    def _attach_resources(self) -> None:
        # Every other documented apiName, one namespace per API family (payermax_async.resources).
        self.payments = Payments(self)
        self.dropin = Dropin(self)
        self.tokens = Tokens(self)
        self.payment_links = PaymentLinks(self)
        self.subscriptions = Subscriptions(self)
        self.disputes = Disputes(self)
        self.balances = Balances(self)
        self.fx = Fx(self)
        self.risk = Risk(self)
        self.bill_payments = BillPayments(self)
        self.payouts = Payouts(self)

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
        on_call: Callable[[CallEvent], None] | None = None,
        instruments: Sequence[Instrument] = (),
    ) -> PayerMaxClient:
        return cls(
            config=config,
            session=session,
            transport=transport,
            on_retry=on_retry,
            clock=clock,
            owns_signer=owns_signer,
            on_call=on_call,
            instruments=instruments,
        )

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> PayerMaxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pool. In-flight calls are cancelled; their callers see CancelledError.

        On a client made by :meth:`with_options` this does nothing: the pool is its parent's.
        """
        if self._pipeline.closed or self._derived:
            return
        self._pipeline.close()
        try:
            await self._transport.aclose()
        finally:
            close_signer = getattr(self.config.signer, "close", None)
            if self._owns_signer and callable(close_signer):
                close_signer()

    @property
    def closed(self) -> bool:
        return self._pipeline.closed

    @property
    def retry_budget(self) -> RetryBudget:
        return self._pipeline.budget

    @property
    def clock_offset(self) -> float:
        """Seconds added to the local clock for ``requestTime``, learnt from REQ_TIME_OVER_TIME."""
        return self._pipeline.clock_offset

    def __repr__(self) -> str:
        return f"PayerMaxClient({self.config!r})"

    # ------------------------------------------------------------------ views

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> PayerMaxClient:
        """This client with other defaults for its calls: one slow report, one batch with no retries.

        The new client shares this one's pool, retry budget, clock offset and calls in flight (a
        duplicate business id still joins the one request), so it is cheap to make per call site.
        Options not given keep this client's. Closing it does nothing; close the original.
        """
        defaults = RequestOptions(
            timeout if timeout is not None else self._defaults.timeout,
            max_retries if max_retries is not None else self._defaults.max_retries,
            None,
            deadline if deadline is not None else self._defaults.deadline,
        )
        derived = copy.copy(self)
        derived.__dict__.pop("with_raw_response", None)
        derived._defaults = defaults
        derived._derived = True
        derived._attach_resources()
        return derived

    @functools.cached_property
    def with_raw_response(self) -> RawResponseClient:
        """The same methods, returning a :class:`~payermax_async.raw.RawResponse`: HTTP status,
        headers and body bytes of the verified answer, and ``.parse()`` for the typed result."""
        from .raw import RawResponseClient

        return RawResponseClient(self)

    # ------------------------------------------------------------------ any operation

    @overload
    async def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: type[T],
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> T: ...

    @overload
    async def call(
        self,
        api_name: str,
        data: Mapping[str, Any] | msgspec.Struct,
        *,
        result_type: None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any: ...

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

        For an apiName the schema lacks, or a field the typed methods do not cover yet; every
        documented endpoint has a typed method (flat, or under a resource such as ``client.tokens``).
        The version defaults to the endpoint table's (1.4 for an apiName it lacks).
        Without ``result_type`` the ``data`` comes back as a dict with exact Decimal numbers. A
        generated request struct (``RefundRequest``) is checked as its typed method checks it; a
        dict is sent as given. For a known endpoint the answer is bound to the ids ``data`` carries,
        as its typed method's is. Retries replay the same ``data``; pass the operation's business id as
        ``idempotency_key`` so that concurrent duplicates share one request. An operation
        whose replay is not deduplicated by PayerMax should be called with ``max_retries=0``.
        """
        check_id(api_name, "api_name")
        check_typed(api_name, data)
        ids, echoes = echoed_ids(api_name, data, result_type)
        op: Operation[Any] = Operation(
            api_name,
            result_type if result_type is not None else dict,
            "key" if idempotency_key else None,
            echoes=echoes,
        )
        if idempotency_key:
            ids["key"] = idempotency_key
        options = self._options(RequestOptions(timeout, max_retries, version))
        return await self._pipeline.execute(op, data, ids, options)

    def capture_many(
        self,
        items: Iterable[CaptureItem] | AsyncIterable[CaptureItem],
        *,
        concurrency: int = 32,
        rate_limit: float | RateLimiter | None = None,
        journal: str | PathLike[str] | Journal | None = None,
        adaptive: bool = True,
    ) -> AsyncGenerator[CaptureOutcome, None]:
        """Capture many authorizations; yields a :class:`CaptureOutcome` per item as each completes.

        At most ``concurrency`` captures in flight, optionally at most ``rate_limit`` started per
        second; each goes through :meth:`capture` (same retries, same retry budget). With
        ``journal=PATH`` the run is resumable: re-run it with the same input after a crash and
        nothing is captured twice. The run finds the gateway's concurrency limit itself and
        ``concurrency`` is only its ceiling (``adaptive=False``: exactly ``concurrency``). See
        :func:`payermax_async.bulk.capture_many`.
        """
        from .bulk import capture_many  # the bulk layer sits beside the client, not below it

        return capture_many(
            self, items, concurrency=concurrency, rate_limit=rate_limit, journal=journal, adaptive=adaptive
        )

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
        return await self._pipeline.execute(
            op, data, ids, self._options(RequestOptions(timeout, max_retries, version)), reconcile
        )


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
