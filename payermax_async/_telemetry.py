"""What a call looked like from outside: one event per logical call, spans and metrics if asked for.

The pipeline reports four moments (a call starts, an attempt starts and ends, a call ends) plus
every retry and every wait for a pooled connection. With neither an ``on_call`` hook nor an
:class:`Instrument` configured, none of this runs: a call pays one ``None`` check. The
OpenTelemetry bridge (:mod:`payermax_async.otel`) is one :class:`Instrument`; this module never
imports OpenTelemetry, so the core does not depend on it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from .errors import (
    ApiError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
)
from .retry import RetryEvent

__all__ = ["CallEvent", "Instrument", "Outcome", "Telemetry", "outcome_of"]

T = TypeVar("T")

#: success: a verified answer with APPLY_SUCCESS; refused: certainly not done (a verified refusal,
#: bad input, not delivered); unknown: it may have been done (reconcile before acting on it)
Outcome = Literal["success", "refused", "unknown"]


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One logical call, after its last attempt: what an ``on_call`` hook sees."""

    operation: str
    ids: Mapping[str, str]
    outcome: Outcome
    attempts: int
    latency: float  # seconds, first attempt to result, retry waits included
    code: str | None  # PayerMax's result code when a verified answer said one
    error: str | None  # the error class raised to the caller, if any


class Instrument(Protocol):
    """A tracing / metrics backend. Handles returned by ``start_*`` come back to the ``end_*`` calls."""

    def start_call(self, operation: str, ids: Mapping[str, str]) -> Any: ...

    def start_attempt(self, call: Any, attempt: int) -> Any: ...

    def end_attempt(self, attempt: Any, error: BaseException | None) -> None: ...

    def retry(self, call: Any, event: RetryEvent) -> None: ...

    def end_call(self, call: Any, event: CallEvent) -> None: ...

    def pool_wait(self, operation: str | None, seconds: float) -> None: ...


_MAYBE_DONE = (OutcomeUnknownError, ResponseLostError, SignatureError, MalformedResponseError)


def outcome_of(error: BaseException | None) -> tuple[Outcome, str | None]:
    """(outcome, gateway code) of a call that returned (``None``) or raised ``error``."""
    if error is None:
        return "success", "APPLY_SUCCESS"
    code = error.code if isinstance(error, ApiError) else None
    if isinstance(error, OutcomeUnknownError) and isinstance(error.__cause__, ApiError):
        code = error.__cause__.code  # e.g. ORDER_REPEAT after a lost answer
    if isinstance(error, _MAYBE_DONE) or not isinstance(error, PayerMaxError):
        return "unknown", code  # cancelled or crashed mid-call: nobody can say it was not sent
    return "refused", code


class _Scope:
    __slots__ = ("attempts", "ids", "operation", "pairs", "started")

    def __init__(self, operation: str, ids: Mapping[str, str], pairs: list[tuple[Instrument, Any]]) -> None:
        self.operation = operation
        self.ids = ids
        self.pairs = pairs  # (instrument, its handle of this call)
        self.attempts = 0
        self.started = time.perf_counter()


_SCOPE: ContextVar[_Scope | None] = ContextVar("payermax_call_scope", default=None)


class Telemetry:
    """The pipeline's side of telemetry: one per client, shared by its :meth:`with_options` views."""

    __slots__ = ("_instruments", "_on_call", "active")

    def __init__(
        self, on_call: Callable[[CallEvent], None] | None = None, instruments: Sequence[Instrument] = ()
    ) -> None:
        self._on_call = on_call
        self._instruments = tuple(instruments)
        self.active = on_call is not None or bool(self._instruments)

    def observe(self, operation: str, ids: Mapping[str, str], run: Awaitable[T]) -> Awaitable[T]:
        """``run`` (the retry loop of one call, or of one flight that callers share) as one logical
        call; ``run`` itself when nobody listens."""
        return self._observe(operation, ids, run) if self.active else run

    async def _observe(self, operation: str, ids: Mapping[str, str], run: Awaitable[T]) -> T:
        scope = _Scope(operation, ids, [(i, i.start_call(operation, ids)) for i in self._instruments])
        token = _SCOPE.set(scope)
        error: BaseException | None = None
        try:
            return await run
        except BaseException as exc:
            error = exc
            raise
        finally:
            _SCOPE.reset(token)
            outcome, code = outcome_of(error)
            event = CallEvent(
                operation=operation,
                ids=dict(ids),
                outcome=outcome,
                attempts=max(scope.attempts, getattr(error, "attempts", 0) or 0),
                latency=time.perf_counter() - scope.started,
                code=code,
                error=None if error is None else type(error).__name__,
            )
            for instrument, handle in scope.pairs:
                instrument.end_call(handle, event)
            if self._on_call is not None:
                self._on_call(event)

    def retry(self, event: RetryEvent) -> None:
        scope = _SCOPE.get()
        if scope is not None:
            for instrument, handle in scope.pairs:
                instrument.retry(handle, event)

    def pool_wait(self, seconds: float) -> None:
        scope = _SCOPE.get()
        for instrument in self._instruments:
            instrument.pool_wait(None if scope is None else scope.operation, seconds)


async def attempt(run: Awaitable[T]) -> T:
    """Await one attempt of the current call (a child span per attempt, when traced)."""
    scope = _SCOPE.get()
    if scope is None:
        return await run
    scope.attempts += 1
    instruments = scope.pairs
    handles = [i.start_attempt(h, scope.attempts) for i, h in instruments]
    error: BaseException | None = None
    try:
        return await run
    except BaseException as exc:
        error = exc
        raise
    finally:
        for (instrument, _), handle in zip(instruments, handles, strict=True):
            instrument.end_attempt(handle, error)
