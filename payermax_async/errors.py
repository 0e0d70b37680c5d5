"""The exception tree: every error the library raises on purpose is a :class:`PayerMaxError`.

Every error carries what a caller needs to act on it (the operation, the business ids, the
gateway code), and never a key or a signature: errors end up in logs and error trackers. ::

    PayerMaxError
    ├── ConfigurationError (ValueError)      bad key, URL or option; raised when the client is built
    ├── InvalidRequestError (ValueError)     bad input; nothing was sent
    ├── TransportError                       not delivered: certainly not processed
    │   └── ClientClosedError (RuntimeError) the client was closed (or its event loop is gone)
    ├── ResponseLostError                    sent, no answer: maybe processed
    │   └── UnboundResponseError             a signed answer about another request: no answer
    ├── MalformedResponseError               an answer that is not PayerMax's
    ├── SignatureError                       a sign header missing or not verifying
    │   └── StaleNotificationError           a signed notification outside the time window
    ├── ApiError                             a verified answer with a code other than APPLY_SUCCESS
    ├── OutcomeUnknownError                  retries ran out after a maybe-sent attempt
    ├── NotificationError (ValueError)       signed, but not a usable notification
    ├── NotificationInFlightError            a duplicate delivery while another process handles it
    ├── JournalError                         a bulk run's journal cannot be used
    ├── WorkerProcessError (RuntimeError)    a bulk run's worker process failed or died
    └── CsvFormatError (ValueError)          the capture command's CSV cannot be used
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "ClientClosedError",
    "ConfigurationError",
    "CsvFormatError",
    "InvalidRequestError",
    "JournalError",
    "MalformedResponseError",
    "NotificationError",
    "NotificationInFlightError",
    "OutcomeUnknownError",
    "PayerMaxError",
    "ResponseLostError",
    "SignatureError",
    "StaleNotificationError",
    "TransportError",
    "UnboundResponseError",
    "WorkerProcessError",
]


class PayerMaxError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.ids: dict[str, str] = dict(ids or {})
        #: seconds the server asked us to wait (Retry-After), when it said so
        self.retry_after: float | None = None

    @property
    def out_trade_no(self) -> str | None:
        return self.ids.get("out_trade_no")

    @property
    def request_id(self) -> str | None:
        return self.ids.get("request_id")

    @property
    def out_refund_no(self) -> str | None:
        return self.ids.get("out_refund_no")

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds an exception as cls(*args), which fails for keyword-only fields
        # (ApiError's msg, OutcomeUnknownError's attempts): errors cross process pools and queues.
        return _restore, (type(self), self.args, self.__dict__.copy())

    def __str__(self) -> str:
        parts = [self.message]
        if self.operation:
            parts.append(f"operation={self.operation}")
        parts.extend(f"{k}={v}" for k, v in self.ids.items())
        return " | ".join(parts)


class ConfigurationError(PayerMaxError, ValueError):
    """A key that does not load, a bad base_url or option: caught when the client is built."""


class InvalidRequestError(PayerMaxError, ValueError):
    """Bad input, caught before any byte is sent; nothing reached the gateway."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        operation: str | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, operation=operation, ids=ids)
        self.field = field


class TransportError(PayerMaxError):
    """The request could not be delivered (connect refused, DNS, pool wait): it was not processed."""


class ClientClosedError(TransportError, RuntimeError):
    """The call was refused before sending: the client is closed, or it belongs to an event loop
    that has ended (a client lives in one ``asyncio.run``). Nothing was sent."""


class ResponseLostError(PayerMaxError):
    """The request may have reached the gateway but no answer came back (timeout, dropped connection).

    Seen as the ``__cause__`` of an :class:`OutcomeUnknownError` once retries run out.
    """


class UnboundResponseError(ResponseLostError):
    """A verified answer whose business ids are not the request's (a mixed-up connection, or a
    replayed answer). It says nothing about this request, so it counts as no answer at all."""


class SignatureError(PayerMaxError):
    """A response or notification whose ``sign`` is missing or does not verify.

    Fail closed: the body is never decoded. For a response the gateway may still have acted on
    the request, so treat the outcome as unknown and reconcile by the business ids carried here.
    ``shown_code`` is the code an unsigned answer displayed: evidence for a human, never a verdict.
    """

    #: the ``code`` an unsigned answer showed, when it was a readable envelope
    shown_code: str | None = None
    #: True when a sign header was present but did not verify (not merely missing)
    forged: bool = False


class NotificationError(PayerMaxError, ValueError):
    """A correctly signed body that is not a usable notification (not JSON, missing ids or
    status, or meant for another merchant). Do not acknowledge it; investigate."""


class NotificationInFlightError(PayerMaxError):
    """A duplicate delivery of a notification that another process is handling right now.

    Answer it with an error status, not the acknowledgement: PayerMax then re-sends it later, and
    if the other process fails the event is handled then instead of being lost.
    """


class StaleNotificationError(SignatureError):
    """A correctly signed notification whose ``notifyTime`` is outside the accepted window.

    Treated like a bad signature: a captured old notification replayed to the endpoint must not
    move an order's state. ``max_age=None`` on the verifier turns the check off.
    """


class MalformedResponseError(PayerMaxError):
    """The gateway answered with something that is not a PayerMax response (HTML, bad JSON, 5xx).

    Usually seen as the ``__cause__`` of an :class:`OutcomeUnknownError`: the request may have
    been processed before the answer got mangled.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        operation: str | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, operation=operation, ids=ids)
        self.http_status = http_status
        #: True when the body carried a valid signature: PayerMax itself answered, unreadably
        self.verified = False


class ApiError(PayerMaxError):
    """The gateway answered with a ``code`` other than ``APPLY_SUCCESS``.

    ``code`` is the contract; ``msg`` is for humans and varies, never compare it.
    """

    def __init__(
        self,
        code: str,
        msg: str,
        *,
        operation: str | None = None,
        ids: Mapping[str, str] | None = None,
        http_status: int | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(f"{code}: {msg}" if msg else code, operation=operation, ids=ids)
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.data = data


class OutcomeUnknownError(PayerMaxError):
    """Retries ran out after an attempt that may have reached the gateway.

    Neither success nor failure was observed. Reconcile with the ids carried here: replay the
    same ``request_id`` (capture, cancel), or query by ``out_trade_no`` / ``out_refund_no``.
    The last failure is the ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        landed: bool = False,
        operation: str | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, operation=operation, ids=ids)
        self.attempts = attempts
        #: True when the gateway said the id was already used (ORDER_REPEAT): the request landed,
        #: only its result was not observed.
        self.landed = landed


class JournalError(PayerMaxError):
    """The journal file cannot be used (locked past the timeout, newer schema, not a database)."""


class WorkerProcessError(PayerMaxError, RuntimeError):
    """A worker process failed or died. Its captures in flight are journaled as sending."""


class CsvFormatError(PayerMaxError, ValueError):
    """The CSV as a whole cannot be used (no header, required columns missing)."""


def _restore(cls: type[PayerMaxError], args: tuple[Any, ...], state: dict[str, Any]) -> PayerMaxError:
    """Unpickle without calling ``__init__``: the saved attributes are the whole state."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error
