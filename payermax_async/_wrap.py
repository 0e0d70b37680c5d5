"""The two wrappers the facades bind every typed method through (tables in ``_facades.py``)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from . import _responses
from ._envelope import decode_exact

__all__ = ["Blocking", "RawResponse", "raw_method"]

P = ParamSpec("P")
T = TypeVar("T")


class Blocking(Protocol):
    """Turns an async method into a blocking one with the same parameters (``payermax_async.sync``)."""

    def __call__(self, method: Callable[P, Coroutine[Any, Any, T]], /) -> Callable[P, T]: ...


class RawResponse(Generic[T]):
    """One verified answer: ``status_code``, ``headers`` (case-insensitive), ``content`` (the body
    bytes as received and verified) and :meth:`parse` for the typed result."""

    __slots__ = ("_parsed", "content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes, parsed: T) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self._parsed = parsed

    def parse(self) -> T:
        """The typed result, exactly what the plain method returns."""
        return self._parsed

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        """The whole envelope (code, msg, data) with exact Decimal numbers."""
        return decode_exact(self.content)

    def __repr__(self) -> str:
        return f"RawResponse(status_code={self.status_code}, {len(self.content)} bytes)"


def raw_method(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """``method`` returning the :class:`RawResponse` its result was decoded from."""

    @functools.wraps(method)
    async def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        result, response = await _responses.capture(method(*args, **kwargs))
        # Every result comes from a verified answer (a reconciled one: from its order query).
        assert response is not None, "a result without the answer it came from"
        return RawResponse(response.status, response.headers, response.body, result)

    return raw
