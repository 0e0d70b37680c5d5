"""The request pipeline every operation goes through, in one direction:

    single flight ─▶ retry loop ─▶ attempt (envelope, sign, send) ─▶ interpret (verify, decode,
    clock offset); and after ORDER_REPEAT, the operation's own reconcile.

Its invariant is that the bytes signed are the bytes sent: the envelope is encoded once per
attempt and never touched again. Every attempt gets a fresh ``requestTime`` and signature while
the business id stays fixed, which is what makes a replay safe. The retry loop lives here and
only here; the client above it only validates input and names the operation.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

import msgspec

from . import _responses
from ._answer import clock_offset_from, interpret
from ._envelope import RequestEnvelope, format_request_time
from ._flight import Flights
from ._identity import user_agent
from ._log import logger, redact
from ._operation import DEFAULT_VERSION, DEFAULT_VERSIONS, Operation, RequestOptions
from ._telemetry import Telemetry
from .codes import ORDER_REPEAT, TOO_MANY_REQUEST
from .config import ClientConfig
from .errors import (
    ApiError,
    ClientClosedError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    SignatureError,
)
from .retry import FailureKind, RetryBudget, RetryEvent, classify, plan_retry
from .signing import as_header
from .signing_thread import signing_thread_for
from .transport import HttpResponse, Transport
from .types._base import encode_envelope, encode_request

__all__ = ["DEFAULT_VERSIONS", "Operation", "Pipeline", "RequestOptions"]

T = TypeVar("T")


class _Call(msgspec.Struct):
    """Everything one call's retry loop needs, resolved once against the client's config. (A
    Struct: built in C once per call, where a dataclass's generated __init__ is Python.)"""

    loop: asyncio.AbstractEventLoop
    op: Operation[Any]
    data: msgspec.Raw
    ids: dict[str, str]
    version: str
    timeout: float
    retries_allowed: int
    deadline: float | None
    reconcile: Callable[[], Any] | None
    retry_rate_limited: bool = True
    #: the verified answer the result was decoded from (what with_raw_response shows)
    answer: HttpResponse | None = None
    sent: bool = False  # an attempt went to the transport: it may have landed
    maybe_sent: bool = False  # where a retry loop taking over from a cancelled one starts


class Pipeline:
    """The per-client pipeline state: transport, retry budget, clock offset and calls in flight."""

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport,
        *,
        on_retry: Callable[[RetryEvent], None] | None,
        clock: Callable[[], float],
        telemetry: Telemetry | None = None,
    ) -> None:
        self.config = config
        self.telemetry = telemetry or Telemetry()
        self.transport = transport
        self.budget = RetryBudget(capacity=config.retry.budget_capacity)
        self.clock_offset = 0.0
        self.closed = False
        self._on_retry = on_retry
        self._clock = clock
        self._flights: Flights[_Call] = Flights()
        self._versions: dict[Operation[Any], str] = {}  # the client's default per operation
        self._urls: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0  # the thread self._loop runs in
        self._signing = signing_thread_for(config.signer, config.sign_in_thread)  # None: inline
        self._attempts = 0  # attempts between signing and their answer, across calls
        try:
            self._post_takes_deadline = "deadline" in inspect.signature(transport.post).parameters
        except (TypeError, ValueError):
            self._post_takes_deadline = False
        self._headers_base = {"Content-Type": "application/json", "User-Agent": user_agent()}
        if config.merchant_auth_token:
            self._headers_base["merchant_auth_token"] = config.merchant_auth_token

    def close(self) -> None:
        """Refuse new calls and cancel the ones in flight (their callers get OutcomeUnknownError)."""
        self.closed = True
        if self._signing is not None:
            self._signing.close()
        # A typed outcome, not a bare CancelledError that would stop a bulk worker without a
        # word: the request may have been sent.
        self._flights.close(
            lambda flight: OutcomeUnknownError(
                "the client was closed while this call was in flight; it may have been sent",
                attempts=1,
                operation=flight.call.op.api_name,
                ids=flight.call.ids,
            )
        )

    # ------------------------------------------------------------------ single flight

    def execute(
        self,
        op: Operation[T],
        data: Any,
        ids: Mapping[str, str],
        options: RequestOptions,
        reconcile: Callable[[], Any] | None = None,
    ) -> Awaitable[T]:
        """What the caller awaits for one call: checked, encoded and started here, before any await.

        Concurrent calls for the same business id share one in-flight request (:mod:`._flight`);
        the same id with different data is refused rather than silently sharing a result it did
        not ask for.
        """
        if self.closed:
            raise ClientClosedError("PayerMaxClient is closed; nothing was sent", operation=op.api_name)
        # On 3.11 every get_running_loop() is a getpid() syscall: the loop is known without asking
        # while it runs in this thread (a thread runs one loop at a time), and handed down.
        loop = self._loop
        if loop is None or threading.get_ident() != self._thread or not loop.is_running():
            loop = asyncio.get_running_loop()
            self._check_loop(op, loop)
        try:
            data_raw = encode_request(data)
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidRequestError(f"data cannot be encoded: {exc}", operation=op.api_name) from None
        except InvalidRequestError as exc:
            exc.operation = op.api_name
            raise
        config = self.config
        call = _Call(
            loop=loop,
            op=op,
            data=msgspec.Raw(data_raw),
            ids=dict(ids),
            version=options.version or self._versions.get(op) or self._version_of(op),
            timeout=options.timeout or config.timeout,
            retries_allowed=config.retry.max_retries if options.max_retries is None else options.max_retries,
            deadline=options.deadline or config.retry.deadline,
            reconcile=reconcile,
            retry_rate_limited=options.retry_rate_limited,
        )
        sink = _responses.SINK.get()  # set under with_raw_response
        key_value = call.ids.get(op.id_field) if op.id_field else None
        key = (op.api_name, key_value or "")
        flight = None if key_value is None else self._flights.get(key)
        if flight is not None:
            if flight.data != data_raw:
                raise InvalidRequestError(
                    f"{op.id_field} {key_value!r} is already in flight with different parameters",
                    field=op.id_field,
                    operation=op.api_name,
                    ids=call.ids,
                )
            joined = self._flights.join(flight)
            return joined if sink is None else _responses.recorded(joined, flight.call, sink)
        run = self._run(call)
        if self.telemetry.active:
            run = self.telemetry.observe(op.api_name, call.ids, run)
        if key_value is not None:
            flight = self._flights.start(key, data_raw, call)
            run = self._flights.lead(key, flight, run, self._carry_on, loop)
        return run if sink is None else _responses.recorded(run, call, sink)

    def _version_of(self, op: Operation[Any]) -> str:
        version = self._versions.get(op)
        if version is None:
            if len(self._versions) >= 256:  # call() makes an Operation per call: bounded, not a leak
                self._versions.clear()
            version = self._versions[op] = (
                self.config.versions.get(op.api_name)
                or op.version
                or DEFAULT_VERSIONS.get(op.api_name, DEFAULT_VERSION)
            )
        return version

    def _check_loop(self, op: Operation[Any], loop: asyncio.AbstractEventLoop) -> None:
        """A client belongs to the event loop of its first call: aiohttp's pool cannot move."""
        if self._loop is None:
            self._loop, self._thread = loop, threading.get_ident()
        elif self._loop is not loop:
            ended = "has ended" if self._loop.is_closed() else "is another one"
            raise ClientClosedError(
                f"this PayerMaxClient belongs to an event loop that {ended}; create one client per "
                "asyncio.run (nothing was sent)",
                operation=op.api_name,
            )

    def _carry_on(self, call: _Call) -> Coroutine[Any, Any, Any]:
        """The retry loop that takes a flight over from its cancelled leader, whose attempt may
        have landed: a replay under the same id, settled by reconcile on ORDER_REPEAT."""
        call.maybe_sent = call.maybe_sent or call.sent
        return self.telemetry.observe(call.op.api_name, call.ids, self._run(call))

    # ------------------------------------------------------------------ retry loop

    async def _run(self, call: _Call) -> Any:
        op, ids, loop = call.op, call.ids, call.loop
        started = 0.0 if call.deadline is None else loop.time()
        deadline_at = None if call.deadline is None else started + call.deadline
        attempt = 0
        maybe_sent = call.maybe_sent
        clock_fixed = False
        spent = 0
        while True:
            attempt += 1
            attempt_timeout = call.timeout
            if deadline_at is not None:
                # the first attempt has the whole deadline left: no second clock read
                left = deadline_at - (started if attempt == 1 else loop.time())
                attempt_timeout = min(attempt_timeout, max(left, 0.001))
            try:
                run = self._attempt(call, attempt_timeout, deadline_at)
                result = await (self.telemetry.attempt(run) if self.telemetry.active else run)
            except PayerMaxError as exc:
                exc.operation = exc.operation or op.api_name
                exc.ids = {**ids, **exc.ids}
                kind = classify(exc)
                # A refusal handed back is proof this attempt was not processed, never a retry.
                give_back = not call.retry_rate_limited and getattr(exc, "code", None) == TOO_MANY_REQUEST
                maybe_sent = maybe_sent or (kind is FailureKind.MAYBE_SENT and not give_back)
                if isinstance(exc, MalformedResponseError) and exc.verified:
                    # PayerMax answered and signed it, so it saw the request; what it said cannot
                    # be read, and a replay would read the same. Final, and not a refusal.
                    raise OutcomeUnknownError(
                        f"PayerMax's signed answer cannot be read: {exc.message}",
                        attempts=attempt,
                        landed=True,
                        operation=op.api_name,
                        ids=ids,
                    ) from exc
                if isinstance(exc, ApiError) and exc.code == ORDER_REPEAT and maybe_sent:
                    # An earlier attempt of ours landed; the gateway will not run it again.
                    if call.reconcile is None:
                        raise OutcomeUnknownError(
                            "the gateway reports the request already landed (ORDER_REPEAT) but its "
                            "result was not observed; it arrives by notification or order_query",
                            attempts=attempt,
                            landed=True,
                            operation=op.api_name,
                            ids=ids,
                        ) from exc
                    logger.info("%s %s: ORDER_REPEAT after a lost answer, reconciling", op.api_name, ids)
                    result, call.answer = await _responses.capture(call.reconcile())
                    return result
                if kind is FailureKind.CLOCK_SKEW and not clock_fixed and attempt <= call.retries_allowed:
                    clock_fixed = True
                    self._emit(op, ids, attempt, kind, exc, 0.0)
                    continue
                retry = None
                if (kind is FailureKind.MAYBE_SENT or kind is FailureKind.NOT_SENT) and not give_back:
                    time_left = None if deadline_at is None else deadline_at - loop.time()
                    retry = plan_retry(
                        self.config.retry, self.budget, exc, attempt, call.retries_allowed, time_left
                    )
                if retry is None:
                    # After a lost answer nothing this attempt said proves the earlier one did not
                    # land. An answer that failed verification surfaces as itself, though: it may
                    # be an attack or a key mix-up, and must not hide behind a generic "unknown".
                    if maybe_sent and not (isinstance(exc, SignatureError) and exc.forged):
                        raise OutcomeUnknownError(
                            f"no definite answer after {attempt} attempt(s); last: {exc.message}",
                            attempts=attempt,
                            operation=op.api_name,
                            ids=ids,
                        ) from exc
                    raise
                delay, cost = retry
                spent += cost
                self._emit(op, ids, attempt, kind, exc, delay)
                if delay > 0:
                    await asyncio.sleep(delay)
                continue
            self.budget.refund(spent if spent else self.budget.success_refund)
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
        logger.info(
            "%s attempt %d failed (%s: %s); retrying in %.3fs %s",
            op.api_name,
            attempt,
            kind.value,
            exc.message,
            delay,
            ids,
        )
        if self._on_retry is not None or self.telemetry.active:
            event = RetryEvent(op.api_name, dict(ids), attempt, kind, exc.message, delay)
            self.telemetry.retry(event)
            if self._on_retry is not None:
                self._on_retry(event)

    # ------------------------------------------------------------------ one attempt

    async def _attempt(self, call: _Call, timeout: float, deadline_at: float | None) -> Any:
        config, op = self.config, call.op
        envelope = RequestEnvelope(
            version=call.version,
            key_version=config.key_version,
            request_time=format_request_time(self._clock() + self.clock_offset),
            app_id=config.app_id if op.app_id_field == "appId" else None,
            merchant_no=config.merchant_no,
            data=call.data,
            sp_merchant_no=config.sp_merchant_no,
            merchant_app_id=None if op.app_id_field == "appId" else config.app_id,
        )
        body = encode_envelope(envelope)
        headers = dict(self._headers_base)
        signing = self._signing
        self._attempts += 1
        try:
            # Off the loop only while other calls could use it: alone, the hop costs more than it saves.
            if signing is not None and (self._attempts > 1 or signing.always):
                signature = await signing.sign(body)
            else:
                signature = config.signer.sign(body)
            if not isinstance(signature, bytes) and inspect.isawaitable(signature):
                signature = await signature  # a KMS or thread signer; a plain one costs no coroutine
            headers["sign"] = as_header(signature)
            call.sent = True
            url = self._urls.get(op.api_name) or self._urls.setdefault(op.api_name, config.url(op.api_name))
            debug = logger.isEnabledFor(logging.DEBUG)
            if debug:
                logger.debug("POST %s body=%s", op.api_name, redact(body, api_name=op.api_name))
            started = time.perf_counter() if debug else 0.0
            if deadline_at is not None and self._post_takes_deadline:
                response = await self.transport.post(  # type: ignore[call-arg]
                    url, body, headers, timeout=timeout, deadline=deadline_at
                )
            else:
                response = await self.transport.post(url, body, headers, timeout=timeout)
            if debug:
                logger.debug(
                    "%s HTTP %d in %.1f ms body=%s",
                    op.api_name,
                    response.status,
                    (time.perf_counter() - started) * 1000,
                    redact(response.body, api_name=op.api_name),
                )
            result = interpret(
                op.result_type, response, call.ids, config.verifier, self._learn_clock_offset, op.echoes
            )
            call.answer = response  # verified, decoded and bound: what with_raw_response may show
            return result
        finally:
            self._attempts -= 1

    def _learn_clock_offset(self, date_header: str | None) -> None:
        """Re-learnt from every verified REQ_TIME_OVER_TIME, within bounds (see clock_offset_from)."""
        offset = clock_offset_from(date_header, self._clock())
        if offset is None:
            logger.warning("requestTime refused as stale; the gateway's Date (%s) is not learnt", date_header)
            return
        self.clock_offset = offset
        logger.warning("requestTime refused as stale; clock offset now %+.1fs", self.clock_offset)
