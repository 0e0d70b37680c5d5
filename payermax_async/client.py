"""PayerMaxClient: one method per operation over one request pipeline.

The pipeline's invariant is that the bytes signed are the bytes sent: the envelope is encoded once
per attempt and never touched again. The retry loop lives in :meth:`PayerMaxClient._run` and only
there; every attempt gets a fresh ``requestTime`` and signature while the business id stays fixed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar, cast

import aiohttp
import msgspec

from ._log import logger, redact
from .config import SANDBOX_URL, ClientConfig
from .errors import (
    ApiError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
)
from .models.capture import CaptureRequest, CaptureResult
from .models.common import (
    APPLY_SUCCESS,
    RequestEnvelope,
    decode_envelope,
    decode_model,
    encode,
    format_request_time,
)
from .retry import (
    CLOCK_SKEW_CODE,
    ORDER_REPEAT_CODE,
    FailureKind,
    RetryBudget,
    RetryEvent,
    RetryPolicy,
    classify,
    parse_retry_after,
)
from .signing import Backend, PublicKey, Signer, Verifier, sign_to_header, verify_sign_header
from .transport import AiohttpTransport, HttpResponse, Transport
from .validation import check_amount, check_currency, check_id

__all__ = ["DEFAULT_VERSIONS", "Operation", "PayerMaxClient"]

T = TypeVar("T")

# PayerMax documents a version per endpoint; anything not listed here is 1.4.
DEFAULT_VERSIONS: dict[str, str] = {
    "capture": "1.5",
    "cancel": "1.5",
    "orderQuery": "1.5",
    "applyDropinSession": "1.6",
    "applyDDC": "1.6",
}
_DEFAULT_VERSION = "1.4"


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """An API operation: its name, what its ``data`` decodes into, and which id makes it idempotent."""

    api_name: str
    result_type: type[T]
    id_field: str | None = None  # the ids key that identifies this request to the gateway


CAPTURE = Operation("capture", CaptureResult, "request_id")

_JSON_ANY = msgspec.json.Decoder(float_hook=Decimal)


class PayerMaxClient:
    """An asyncio PayerMax client. Share one per merchant across the whole service.

    It owns a pooled HTTP session (created lazily inside the running loop), a retry budget and
    a clock offset; nothing is global, so clients for different merchants live side by side.
    """

    def __init__(
        self,
        *,
        app_id: str,
        merchant_no: str,
        private_key: str | bytes | None = None,
        signer: Signer | None = None,
        payermax_public_key: str | bytes | PublicKey | None = None,
        verifier: Verifier | None = None,
        backend: Backend | None = None,
        base_url: str = SANDBOX_URL,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        max_retries: int | None = None,
        max_connections: int = 100,
        deadline: float | None = 60.0,
        retry: RetryPolicy | None = None,
        versions: Mapping[str, str] | None = None,
        sp_merchant_no: str | None = None,
        merchant_auth_token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        config = ClientConfig.build(
            app_id=app_id,
            merchant_no=merchant_no,
            private_key=private_key,
            signer=signer,
            payermax_public_key=payermax_public_key,
            verifier=verifier,
            backend=backend,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_connections=max_connections,
            deadline=deadline,
            retry=retry,
            versions=dict(versions or {}),
            sp_merchant_no=sp_merchant_no,
            merchant_auth_token=merchant_auth_token,
        )
        self._init(config, session=session, transport=transport, on_retry=on_retry, clock=clock)

    @classmethod
    def from_config(
        cls,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> PayerMaxClient:
        self = cls.__new__(cls)
        self._init(config, session=session, transport=transport, on_retry=on_retry, clock=clock)
        return self

    def _init(
        self,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None,
        transport: Transport | None,
        on_retry: Callable[[RetryEvent], None] | None,
        clock: Callable[[], float],
    ) -> None:
        if session is not None and transport is not None:
            raise InvalidRequestError("pass a session or a transport, not both")
        self.config = config
        self._transport: Transport = transport or AiohttpTransport(
            max_connections=config.max_connections,
            connect_timeout=config.connect_timeout,
            session=session,
        )
        self._budget = RetryBudget(capacity=config.retry.budget_capacity)
        self._on_retry = on_retry
        self._clock = clock
        self._clock_offset = 0.0
        self._inflight: dict[tuple[str, str], tuple[bytes, asyncio.Future[Any]]] = {}
        self._closed = False
        self._headers_base = {"Content-Type": "application/json"}
        if config.merchant_auth_token:
            self._headers_base["merchantAuthToken"] = config.merchant_auth_token

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
        for _, fut in list(self._inflight.values()):
            fut.cancel()
        await self._transport.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def retry_budget(self) -> RetryBudget:
        return self._budget

    @property
    def clock_offset(self) -> float:
        """Seconds added to the local clock for ``requestTime``, learnt from REQ_TIME_OVER_TIME."""
        return self._clock_offset

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
            uuid.uuid4().hex
            if request_id is None
            else check_id(request_id, "request_id", strict_charset=False)
        )
        data = CaptureRequest(
            request_id=request_id, out_trade_no=out_trade_no, currency=currency, amount=value
        )
        ids = {"out_trade_no": out_trade_no, "request_id": request_id}
        return await self.execute(
            CAPTURE, data, ids, timeout=timeout, max_retries=max_retries, version=version
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
        return await self.execute(op, data, ids, timeout=timeout, max_retries=max_retries, version=version)

    # ------------------------------------------------------------------ pipeline

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
        if self._closed:
            raise RuntimeError("PayerMaxClient is closed")
        if timeout is not None and not timeout > 0:
            raise InvalidRequestError("timeout must be > 0", field="timeout")
        if max_retries is not None and max_retries < 0:
            raise InvalidRequestError("max_retries must be >= 0", field="max_retries")
        try:
            data_raw = encode(data)
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidRequestError(f"data cannot be encoded: {exc}", operation=op.api_name) from None
        ids = dict(ids)
        version = (
            version
            or self.config.versions.get(op.api_name)
            or DEFAULT_VERSIONS.get(op.api_name, _DEFAULT_VERSION)
        )
        run = self._run(op, data_raw, ids, version, timeout, max_retries, reconcile)
        key_value = ids.get(op.id_field) if op.id_field else None
        if key_value is None:
            return await run
        key = (op.api_name, key_value)
        existing = self._inflight.get(key)
        if existing is not None:
            run.close()
            if existing[0] != data_raw:
                raise InvalidRequestError(
                    f"{op.id_field} {key_value!r} is already in flight with different parameters",
                    field=op.id_field,
                    operation=op.api_name,
                    ids=ids,
                )
            return cast(T, await asyncio.shield(existing[1]))
        task: asyncio.Future[T] = asyncio.ensure_future(run)
        self._inflight[key] = (data_raw, task)
        task.add_done_callback(lambda t: self._forget(key, t))
        return await asyncio.shield(task)

    def _forget(self, key: tuple[str, str], task: asyncio.Future[Any]) -> None:
        if self._inflight.get(key, (None, None))[1] is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here so that a caller who went away leaves no warning

    async def _run(
        self,
        op: Operation[T],
        data_raw: bytes,
        ids: dict[str, str],
        version: str,
        timeout: float | None,
        max_retries: int | None,
        reconcile: Callable[[], Any] | None,
    ) -> T:
        policy = self.config.retry
        per_attempt = timeout or self.config.timeout
        retries_allowed = policy.max_retries if max_retries is None else max_retries
        loop = asyncio.get_running_loop()
        deadline_at = None if policy.deadline is None else loop.time() + policy.deadline
        data = msgspec.Raw(data_raw)
        attempt = 0
        maybe_sent = False
        clock_fixed = False
        spent = 0
        while True:
            attempt += 1
            attempt_timeout = per_attempt
            if deadline_at is not None:
                attempt_timeout = min(per_attempt, max(deadline_at - loop.time(), 0.001))
            try:
                result = await self._attempt(op, data, version, attempt_timeout)
            except PayerMaxError as exc:
                exc.operation = exc.operation or op.api_name
                exc.ids = {**ids, **exc.ids}
                kind = classify(exc)
                if kind is FailureKind.MAYBE_SENT:
                    maybe_sent = True
                if isinstance(exc, ApiError) and exc.code == ORDER_REPEAT_CODE and maybe_sent:
                    # An earlier attempt of ours landed; the gateway will not run it again.
                    if reconcile is not None:
                        logger.info("%s %s: ORDER_REPEAT after a lost answer, reconciling", op.api_name, ids)
                        return cast(T, await reconcile())
                    raise OutcomeUnknownError(
                        "the gateway reports the request already landed (ORDER_REPEAT) but its "
                        "result was not observed; it arrives by notification or order_query",
                        attempts=attempt,
                        landed=True,
                        operation=op.api_name,
                        ids=ids,
                    ) from exc
                if kind is FailureKind.CLOCK_SKEW and not clock_fixed and attempt <= retries_allowed:
                    clock_fixed = True
                    self._emit(op, ids, attempt, kind, exc, 0.0)
                    continue
                if kind in (FailureKind.FATAL, FailureKind.CLOCK_SKEW):
                    if maybe_sent and not isinstance(exc, SignatureError):
                        # A refusal of the replay says nothing of the earlier attempt, which
                        # may have been carried out: reporting "failed" could hide a capture.
                        raise OutcomeUnknownError(
                            f"an earlier attempt may have landed; the retry got: {exc.message}",
                            attempts=attempt,
                            operation=op.api_name,
                            ids=ids,
                        ) from exc
                    raise
                delay = policy.delay(attempt, exc.retry_after)
                give_up = attempt > retries_allowed
                if not give_up and deadline_at is not None and loop.time() + delay >= deadline_at:
                    give_up = True
                if not give_up:
                    cost = self._budget.try_acquire(timeout=isinstance(exc, ResponseLostError))
                    if cost == 0:
                        logger.warning("%s: retry budget exhausted, not retrying", op.api_name)
                        give_up = True
                    spent += cost
                if give_up:
                    if maybe_sent:
                        raise OutcomeUnknownError(
                            f"no definite answer after {attempt} attempt(s); last: {exc.message}",
                            attempts=attempt,
                            operation=op.api_name,
                            ids=ids,
                        ) from exc
                    raise
                self._emit(op, ids, attempt, kind, exc, delay)
                if delay > 0:
                    await asyncio.sleep(delay)
                continue
            self._budget.refund(spent if spent else self._budget.success_refund)
            return result

    def _emit(
        self,
        op: Operation[Any],
        ids: dict[str, str],
        attempt: int,
        kind: FailureKind,
        exc: PayerMaxError,
        delay: float,
    ) -> None:
        logger.warning(
            "%s attempt %d failed (%s: %s); retrying in %.3fs %s",
            op.api_name,
            attempt,
            kind.value,
            exc.message,
            delay,
            ids,
        )
        if self._on_retry is not None:
            self._on_retry(RetryEvent(op.api_name, dict(ids), attempt, kind, exc.message, delay))

    async def _attempt(self, op: Operation[T], data: msgspec.Raw, version: str, timeout: float) -> T:
        config = self.config
        envelope = RequestEnvelope(
            version=version,
            key_version="1",
            request_time=format_request_time(self._clock() + self._clock_offset),
            app_id=config.app_id,
            merchant_no=config.merchant_no,
            data=data,
        )
        body = encode(envelope)
        headers = dict(self._headers_base)
        headers["sign"] = await sign_to_header(config.signer, body)
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("POST %s body=%s", op.api_name, redact(body))
        started = time.perf_counter()
        response = await self._transport.post(config.url(op.api_name), body, headers, timeout=timeout)
        if debug:
            logger.debug(
                "%s HTTP %d in %.1f ms body=%s",
                op.api_name,
                response.status,
                (time.perf_counter() - started) * 1000,
                redact(response.body),
            )
        return self._interpret(op, response)

    def _interpret(self, op: Operation[T], response: HttpResponse) -> T:
        """Verify, then decode. Nothing from the body is trusted before its signature checks out."""
        raw = response.body
        sign = response.headers.get("sign")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        verified = False
        if sign is not None:
            if not verify_sign_header(self.config.verifier, raw, sign):
                raise SignatureError("response signature does not verify; the outcome is unknown")
            verified = True
        try:
            envelope = decode_envelope(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            ctype = response.headers.get("Content-Type", "none")
            error = MalformedResponseError(
                f"HTTP {response.status} ({ctype}): not a PayerMax JSON envelope",
                http_status=response.status,
            )
            error.retry_after = retry_after
            raise error from None
        if envelope.code != APPLY_SUCCESS:
            if envelope.code == CLOCK_SKEW_CODE:
                self._learn_clock_offset(response.headers.get("Date"))
            error_data = _JSON_ANY.decode(envelope.data) if len(envelope.data) else None
            api_error = ApiError(
                envelope.code, envelope.msg or "", http_status=response.status, data=error_data
            )
            api_error.retry_after = retry_after
            raise api_error
        if not verified:
            raise SignatureError("response carries no sign header; the outcome is unknown")
        if op.result_type is dict:
            return cast(T, _JSON_ANY.decode(envelope.data))
        try:
            return decode_model(envelope.data, op.result_type)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise MalformedResponseError(
                f"response data does not match {op.result_type.__name__}: {exc}",
                http_status=response.status,
            ) from None

    def _learn_clock_offset(self, date_header: str | None) -> None:
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        self._clock_offset = server - self._clock()
        logger.warning("requestTime refused as stale; clock offset now %+.1fs", self._clock_offset)
