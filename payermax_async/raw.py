"""``client.with_raw_response``: the HTTP answer behind a typed result (openai-python's convention).

For what the typed result hides: PayerMax's headers (a trace id to quote to its support), the
exact bytes that were signed, the HTTP status. Only an answer the client verified and decoded
is shown; a refusal or an unverifiable answer still raises the usual typed error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._facades import RawMethods
from ._wrap import RawResponse, raw_method

if TYPE_CHECKING:
    from .client import PayerMaxClient

__all__ = ["RawResponse", "RawResponseClient", "raw_method"]


class RawResponseClient(RawMethods):
    """``client.with_raw_response``: every typed method, flat and per resource, returning a
    :class:`RawResponse`. ``call()`` (untyped) is not among them."""

    def __init__(self, client: PayerMaxClient) -> None:
        super().__init__(client)
