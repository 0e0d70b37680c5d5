"""The library's logger and the redaction that keeps card and personal data out of it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from ._sensitive import SENSITIVE, SENSITIVE_BY_API

__all__ = ["logger", "redact"]

logger = logging.getLogger("payermax_async")


def _field_re(names: Iterable[str]) -> re.Pattern[bytes]:
    """A sensitive name in any nesting: its string or number value is replaced. Objects and arrays
    are left to the names inside them."""
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(
        # a string value may run to the end of a body cut short elsewhere: masked all the same
        rb'("\s*(?:' + alternatives.encode() + rb')\s*"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?[0-9][0-9.eE+-]*)'
    )


# The schema's sensitive names (_sensitive.py) everywhere, plus those an apiName's bodies add: a
# risk list's "value" is a card or a user there, an amount's figure in a balance notification.
_FIELD_RE = _field_re(SENSITIVE)
_FIELD_RE_BY_API = {api: _field_re(SENSITIVE | names) for api, names in SENSITIVE_BY_API.items()}


def redact(body: bytes, limit: int = 4096, api_name: str | None = None) -> str:
    """A body fit for a DEBUG line: sensitive values masked first, then the length capped (so a value
    cut by the cap has already been masked), never raises. ``api_name`` is the call the body is of."""
    pattern = _FIELD_RE_BY_API.get(api_name, _FIELD_RE) if api_name is not None else _FIELD_RE
    masked = pattern.sub(rb'\1"***"', body)
    text = masked[:limit].decode("utf-8", "replace")
    return text if len(masked) <= limit else text + f"...(+{len(masked) - limit} bytes)"
