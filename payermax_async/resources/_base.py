"""What every resource namespace stands on: the client's one way into the pipeline.

A resource method builds its generated request struct and hands it to the client's ``_send``,
which checks it against the endpoint table (variant, required fields, lengths, money) before
any byte is sent, and takes the default version and the business id from the same table. The
same table says how a lost answer is settled: ``operations/_reconcile`` turns its kind into the query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import msgspec

from .._pipeline import RequestOptions
from ..operations._base import OperationsBase
from ..validation import new_request_id

__all__ = ["Resource", "business_id"]

T = TypeVar("T")


def business_id(given: str | None) -> str:
    """The caller's id, or a fresh one: fixed here, before the first attempt, and reused by every
    retry (persist your own first to make a re-run after a crash safe)."""
    return new_request_id() if given is None else given


class Resource:
    """One API family's typed methods, reached as ``client.<family>``."""

    __slots__ = ("_client",)

    def __init__(self, client: OperationsBase) -> None:
        self._client = client

    async def _call(
        self,
        api_name: str,
        request: msgspec.Struct,
        result_type: type[T],
        ids: Mapping[str, str],
        timeout: float | None,
        max_retries: int | None,
        version: str | None,
    ) -> T:
        return await self._client._send(
            api_name, request, result_type, ids, RequestOptions(timeout, max_retries, version)
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
