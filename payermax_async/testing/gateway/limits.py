"""PayerMax limits concurrency per interface: a request beyond the limit is refused with
``TOO_MANY_REQUEST`` and not processed. Bulk runs must find the limit themselves, so the simulator
lets a test set one per apiName (or one for all) and counts requests in flight."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from .wire import Refusal

__all__ = ["TOO_MANY_REQUEST", "ConcurrencyLimit"]

TOO_MANY_REQUEST = "TOO_MANY_REQUEST"


class ConcurrencyLimit:
    """In-flight counts per apiName against a limit; ``None`` means unlimited."""

    def __init__(self, limits: Mapping[str, int] | None = None, *, default: int | None = None) -> None:
        self._limits: dict[str, int] = {}
        self._default: int | None = None
        self._in_flight: dict[str, int] = {}
        self.refused = 0
        self.set_default(default)
        for api_name, limit in (limits or {}).items():
            self.set(api_name, limit)

    @staticmethod
    def _checked(limit: int | None) -> int | None:
        if limit is not None and limit < 1:
            raise ValueError("a concurrency limit is at least 1 (None: unlimited)")
        return limit

    def set(self, api_name: str, limit: int | None) -> None:
        if self._checked(limit) is None:
            self._limits.pop(api_name, None)
        else:
            self._limits[api_name] = limit  # type: ignore[assignment]

    def set_default(self, limit: int | None) -> None:
        self._default = self._checked(limit)

    def limit_of(self, api_name: str) -> int | None:
        return self._limits.get(api_name, self._default)

    def in_flight(self, api_name: str) -> int:
        return self._in_flight.get(api_name, 0)

    def enter(self, api_name: str) -> None:
        """Take a slot, or raise ``Refusal(TOO_MANY_REQUEST)`` when the interface is full."""
        limit = self.limit_of(api_name)
        current = self.in_flight(api_name)
        if limit is not None and current >= limit:
            self.refused += 1
            raise Refusal(TOO_MANY_REQUEST, f"Too many concurrent {api_name} requests.")
        self._in_flight[api_name] = current + 1

    def leave(self, api_name: str) -> None:
        current = self.in_flight(api_name)
        if current <= 0:
            raise RuntimeError(f"no {api_name} request is in flight")
        self._in_flight[api_name] = current - 1

    @contextmanager
    def slot(self, api_name: str) -> Iterator[None]:
        """Held for the whole request, so the count is what is really in flight."""
        self.enter(api_name)
        try:
            yield
        finally:
            self.leave(api_name)
