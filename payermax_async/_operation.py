"""What one call asks the pipeline for: the operation it names and the options it overrides.

Kept apart from the pipeline so that the operations layer, the bulk engine and the client can name
an operation and its options without reaching into the machinery that runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .endpoints import ENDPOINTS
from .errors import InvalidRequestError

__all__ = ["DEFAULT_VERSION", "DEFAULT_VERSIONS", "Operation", "RequestOptions", "echoed_ids"]

T = TypeVar("T")

# The endpoint table's default version per apiName (a variant may say otherwise: Operation.version);
# an apiName the schema lacks (``call()``) is sent as 1.4.
DEFAULT_VERSIONS: dict[str, str] = {e.api_name: e.version for e in ENDPOINTS.values() if e.variant is None}
DEFAULT_VERSION = "1.4"


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[T]):
    """An API operation: its name, what its ``data`` decodes into, which id makes it idempotent,
    and its default version (the endpoint table's, for the variant; None: DEFAULT_VERSIONS).

    Compared and hashed by identity: one per endpoint variant is built and kept (``operation_for``),
    and the pipeline keys per-operation state on it once per call."""

    api_name: str
    result_type: type[T]
    id_field: str | None = None  # the ids key that identifies this request to the gateway
    version: str | None = None
    app_id_field: str = "appId"  # the envelope's name for the app id (Endpoint.app_id_field)
    #: the ids a success answer must carry back when the request carried them (Endpoint.echoes)
    echoes: tuple[str, ...] = ()


def _echoed_by_every_variant() -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for e in ENDPOINTS.values():
        pairs = tuple(zip(e.echoes, e.echoes_wire, strict=True))
        seen = found.get(e.api_name)
        found[e.api_name] = pairs if seen is None else tuple(p for p in seen if p in pairs)
    return found


#: (Python name, wire name) of the ids every variant of an apiName echoes
_ECHOED = _echoed_by_every_variant()


def echoed_ids(
    api_name: str, data: Any, result_type: type[Any] | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """For ``call()``: the ids ``data`` carries that a known endpoint's answer echoes, and the names
    the result holds them under, so that an untyped call is bound as its typed method would be.

    A dict result is read by wire name; a Struct only by the fields it declares (a caller's own
    narrow type need not name them); any other type is not bound."""
    ids: dict[str, str] = {}
    pairs = _ECHOED.get(api_name, ())
    if result_type is None or result_type is dict:
        kept = pairs
    else:
        declared = getattr(result_type, "__struct_fields__", ())
        kept = tuple(p for p in pairs if p[0] in declared)
    for name, wire in kept:
        value = data.get(wire) if isinstance(data, Mapping) else getattr(data, name, None)
        if isinstance(value, str):
            ids[name] = value
    return ids, tuple(ids)


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """One call's overrides of the client's defaults; ``None`` means "the client's"."""

    timeout: float | None = None
    max_retries: int | None = None
    version: str | None = None
    deadline: float | None = None
    #: False: a TOO_MANY_REQUEST refusal comes back to the caller (an adaptive limiter's signal)
    retry_rate_limited: bool = True

    def __post_init__(self) -> None:
        # Checked once, when made: every call then takes its options as good, at no cost per send.
        if self.timeout is not None and not self.timeout > 0:
            raise InvalidRequestError("timeout must be > 0", field="timeout")
        if self.max_retries is not None and self.max_retries < 0:
            raise InvalidRequestError("max_retries must be >= 0", field="max_retries")
        if self.deadline is not None and not self.deadline > 0:
            raise InvalidRequestError("deadline must be > 0", field="deadline")
