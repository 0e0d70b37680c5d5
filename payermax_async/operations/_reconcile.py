"""Settling a call whose answer was lost, by the query its endpoint names.

A retry after a lost answer that meets ORDER_REPEAT proves only that an attempt landed, not what it
did. The endpoint table's ``reconcile`` kind (tools/gen_tables.py) says how to learn that: a
``*_query`` kind names a query keyed by the business id. The other kinds get no query: "read" is
simply asked again; "replay" is answered as the original, and an ORDER_REPEAT there stays an
unknown outcome that landed; "none" has no business id, so nothing can tell a retry from a new
request and a retry may act twice (its methods say so). One dispatcher serves every typed method
(``OperationsBase._send`` runs it), driven by two facts per query:

- the query's request is filled from the original request's fields of the same wire name (the
  schema's own names: ``requestId``, ``merchantLinkId``, ``outTradeNo``...);
- ``same``: the wire paths the query answers with that must equal what was sent. When they differ,
  the id was taken by another request: an ORDER_REPEAT error (check_reconciled).

The answer's ids are bound to the request's by the pipeline itself, so only content is compared.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec

from .._pipeline import RequestOptions
from ..codes import ORDER_REPEAT
from ..endpoints import ENDPOINTS, endpoint_for
from ..errors import ApiError
from ..types._base import WireResult, decode_data, encode_request, reconciled

if TYPE_CHECKING:
    from ._base import OperationsBase

__all__ = ["QUERIES", "Query", "check_reconciled", "reconciler"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Query:
    """How one reconcile kind asks: the query's apiName, and the wire paths that must agree."""

    api_name: str
    same: tuple[str, ...] = ()


#: reconcile kind -> its query (every ``*_query`` kind of the endpoint table has one)
QUERIES: dict[str, Query] = {
    "order_query": Query("orderQuery", ("totalAmount", "currency", "tradeToken")),
    "refund_query": Query("refundQuery", ("outTradeNo", "refundAmount", "refundCurrency")),
    "payout_query": Query("paymentOrderQry", ("trade.amount", "trade.currency")),
    "token_apply_query": Query("InquireApplyRequest"),
    "subscription_query": Query("subscriptionQuery", ("userId",)),
    "link_query": Query("queryPaybylink", ("totalAmount", "currency", "country")),
    "exchange_query": Query(
        "exchangeQuery", ("ccyPair", "side", "transactionAmount", "transactionCcy", "targetCcy")
    ),
}


@functools.cache
def _names(cls: type[Any]) -> dict[str, str]:
    """Wire name -> attribute name of a generated struct (the snake_case of it, by our naming rule)."""
    return {f.encode_name: f.name for f in msgspec.structs.fields(cls)}


def _at(obj: Any, path: str) -> Any:
    """The value at a dotted wire path, or None where a step is absent."""
    for step in path.split("."):
        if not isinstance(obj, msgspec.Struct):
            return None
        obj = getattr(obj, _names(type(obj)).get(step, ""), None)
    return obj


def _plain(value: Any) -> Any:
    """A value as compared: text (enums too) without regard to case, as PayerMax's ids; numbers exact."""
    if isinstance(value, str):
        return value.casefold()
    return Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value


def query_request(query: Query, request: msgspec.Struct) -> msgspec.Struct:
    """The query's request, every field taken from the original request's field of that name."""
    asked, _ = _types(query)
    sent = _names(type(request))
    fields = {
        name: getattr(request, sent[wire])
        for wire, name in _names(asked).items()
        if wire in sent and getattr(request, sent[wire]) is not None
    }
    return asked(**fields)


def _types(query: Query) -> tuple[type[msgspec.Struct], type[Any]]:
    """The query's request and result types (every query in the table has both)."""
    endpoint = ENDPOINTS[query.api_name]
    return cast(type[msgspec.Struct], endpoint.request_type), cast(type[Any], endpoint.result_type)


def check_reconciled(
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


def reconciler(
    client: OperationsBase,
    api_name: str,
    request: msgspec.Struct,
    result_type: type[T],
    ids: Mapping[str, str],
    options: RequestOptions,
) -> Callable[[], Awaitable[T]] | None:
    """What the pipeline runs after ORDER_REPEAT following a lost answer; None where the endpoint's
    kind has no query (the pipeline then reports the outcome as unknown, never a guess)."""
    query = QUERIES.get(endpoint_for(api_name, request).reconcile)
    if query is None:
        return None

    async def settle() -> T:
        asked = query_request(query, request)
        # The query's answer is bound to the ids it asked by; the others are compared as content
        # (``same``), so another request under our id is a refusal, not an unreadable answer.
        by = {k: v for k, v in ids.items() if k in _names(type(asked)).values()}
        found = await client._send(
            query.api_name, asked, _types(query)[1], by, RequestOptions(options.timeout, options.max_retries)
        )
        pairs = [(_at(found, p), _at(request, p)) for p in query.same]
        pairs = [(got, sent) for got, sent in pairs if sent is not None]
        check_reconciled(
            api_name, ids, tuple(_plain(g) for g, _ in pairs), tuple(_plain(s) for _, s in pairs)
        )
        # The answer's fields become the operation's result by wire name (both from one schema).
        result = decode_data(encode_request(found), result_type)
        return cast(T, reconciled(cast(WireResult, result)))

    return settle
