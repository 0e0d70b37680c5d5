"""What every family of operations shares: one way into the request pipeline, and two helpers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from .._pipeline import Pipeline
from ..codes import ORDER_REPEAT
from ..errors import ApiError, InvalidRequestError

__all__ = ["OperationsBase", "check_reconciled", "with_extra"]

T = TypeVar("T")


class OperationsBase:
    """What every family's methods stand on: the client's request pipeline."""

    _pipeline: Pipeline


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


def with_extra(request: msgspec.Struct, extra: Mapping[str, Any] | None) -> Any:
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
