"""What one row of the generated endpoint table (``endpoints.py``) holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Endpoint"]


@dataclass(frozen=True)
class Endpoint:
    """One apiName, or one documented variant of it (all variants are sent to the plain apiName).

    ``version`` is the default; clients may override it. ``idempotency`` names the request's
    business-id fields (Python names; ``idempotency_wire`` PayerMax's), fixed before the first
    attempt. ``echoes`` (``echoes_wire``) are the request's ids a success answer must carry back:
    every success PayerMax documents does, so one without them cannot be shown to be this request's.
    ``reconcile`` says how an unknown outcome is settled (see tools/gen_tables.py).
    ``app_id_field`` is the envelope's name for the app id (``merchantAppId`` on a few older ones).
    """

    api_name: str
    variant: str | None
    key: str
    version: str
    request_type: type[Any] | None
    result_type: type[Any] | None
    family: str
    idempotency: tuple[str, ...]
    idempotency_wire: tuple[str, ...]
    echoes: tuple[str, ...]
    echoes_wire: tuple[str, ...]
    reconcile: str
    check: Callable[[Any], None]
    app_id_field: str = "appId"

    def validate(self, data: Any) -> None:
        """Raise InvalidRequestError, naming the field, if ``data`` does not meet this variant."""
        self.check(data)
