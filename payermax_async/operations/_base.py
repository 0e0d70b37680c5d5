"""What every family of operations shares: one way into the request pipeline, and its helpers.

Every typed method, flat or in a resource, ends in :meth:`OperationsBase._send`: the request struct
is checked against its endpoint (the variant its fields select) before any byte is sent, and the
endpoint table supplies the default version, the business-id field of the single flight and how an
answer lost before ORDER_REPEAT is settled (``_reconcile``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import msgspec

from .._endpoint import Endpoint
from .._pipeline import Operation, Pipeline, RequestOptions
from ..endpoints import ENDPOINTS, validate_request
from ..errors import InvalidRequestError
from ..types._base import to_wire
from ..types.common import AuthorizationType, CaptureMode
from ..validation import check_url
from ._reconcile import reconciler

__all__ = [
    "OperationsBase",
    "as_amount",
    "authorization_terms",
    "check_notify_url",
    "check_typed",
    "operation_for",
    "wire_value",
    "with_extra",
]

T = TypeVar("T")

# Only plain decimal text: Decimal() also reads "1e3", "1_000", "NaN" and non-ASCII digits.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def as_amount(amount: object, field: str) -> Any:
    """A caller's amount as the exact value the wire types hold: a Decimal (or an int).

    Decimal strings are read here; floats and other types are left for the endpoint's check to
    refuse by wire path, so every amount error reads the same.
    """
    if isinstance(amount, str):
        value = _AMOUNTS.get(amount)
        if value is None:
            text = amount.strip(" \t\r\n")
            if not _PLAIN_DECIMAL.fullmatch(text.lstrip("-")):
                raise InvalidRequestError(f"{field} {amount!r} is not a decimal number", field=field)
            if len(_AMOUNTS) >= _AMOUNTS_KEPT:
                _AMOUNTS.clear()
            value = _AMOUNTS[amount] = Decimal(text)
        return value
    return amount


# A bulk run's amounts repeat: each distinct string is read once (Decimals are immutable).
_AMOUNTS: dict[str, Decimal] = {}
_AMOUNTS_KEPT = 1024


def wire_value(value: Any) -> Any:
    """An enum argument as its wire value; anything else as given (the endpoint check judges it)."""
    return value.value if isinstance(value, Enum) else value


def authorization_terms(capture_mode: Any, authorization_type: Any) -> tuple[Any, Any]:
    """``captureMode`` and ``authorizationType`` as sent: a MANUAL capture is an authorization, and
    PayerMax needs its type; unless the caller names one it is a final authorization."""
    mode, auth = wire_value(capture_mode), wire_value(authorization_type)
    if mode == CaptureMode.MANUAL.value and auth is None:
        auth = AuthorizationType.FINAL_AUTH.value
    return mode, auth


def check_notify_url(url: str | None, wire_name: str) -> None:
    """A URL PayerMax will POST to must be absolute http(s): the schema types it only as a string,
    and a relative or ftp URL would be accepted and then never called. Its length is the schema's."""
    if url is not None:
        check_url(url, wire_name, max_length=1 << 16)


def check_typed(api_name: str, data: object) -> None:
    """A generated request struct handed to ``call()`` meets its endpoint's checks, as it would
    through its typed method; a dict or a struct of the caller's own is sent as given."""
    types = _REQUEST_TYPES.get(api_name)
    if types and isinstance(data, types):
        validate_request(api_name, data)


# apiName -> its request struct (one per apiName: the variants of one share it)
_REQUEST_TYPES: dict[str, tuple[type[Any], ...]] = {}
for _endpoint in ENDPOINTS.values():
    if _endpoint.request_type is not None:
        _REQUEST_TYPES[_endpoint.api_name] = (_endpoint.request_type,)


_OPERATIONS: dict[tuple[str, type[Any]], Operation[Any]] = {}


def operation_for(endpoint: Endpoint, result_type: type[T]) -> Operation[T]:
    """The pipeline's view of one endpoint (variant): its first business id names the single flight."""
    key = (endpoint.key, result_type)
    op = _OPERATIONS.get(key)
    if op is None:
        id_field = endpoint.idempotency[0] if endpoint.idempotency else None
        op = _OPERATIONS[key] = Operation(
            endpoint.api_name, result_type, id_field, endpoint.version, endpoint.app_id_field, endpoint.echoes
        )
    return op


class OperationsBase:
    """What every family's methods stand on: the client's request pipeline."""

    _pipeline: Pipeline
    _defaults: RequestOptions = RequestOptions()  # a with_options() view's; None fields: the config's

    def _options(self, options: RequestOptions) -> RequestOptions:
        """A call's own options over the defaults of the client view it was made on."""
        defaults = self._defaults
        if defaults.timeout is None and defaults.max_retries is None and defaults.deadline is None:
            return options
        # replace(): every other field of the call's options is kept as given (retry_rate_limited)
        return dataclasses.replace(
            options,
            timeout=options.timeout if options.timeout is not None else defaults.timeout,
            max_retries=options.max_retries if options.max_retries is not None else defaults.max_retries,
            deadline=options.deadline if options.deadline is not None else defaults.deadline,
        )

    async def _send(
        self,
        api_name: str,
        request: msgspec.Struct,
        result_type: type[T],
        ids: Mapping[str, str],
        options: RequestOptions,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> T:
        """Check ``request`` against its endpoint, then send it (plus ``extra`` wire fields). A retry
        that meets ORDER_REPEAT after a lost answer is settled as the endpoint's kind says."""
        endpoint = validate_request(api_name, request)
        op: Operation[T] = operation_for(endpoint, result_type)
        data = with_extra(request, extra)
        settle = reconciler(self, api_name, request, result_type, ids, options)
        return await self._pipeline.execute(op, data, ids, self._options(options), settle)


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
    data: dict[str, Any] = to_wire(request)
    data.update(extra)
    return data
