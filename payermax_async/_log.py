"""The library's logger and the redaction that keeps card and personal data out of it."""

from __future__ import annotations

import logging
import re

from ._sensitive import SENSITIVE

__all__ = ["logger", "redact"]

logger = logging.getLogger("payermax_async")

# A sensitive name (from the schema's sensitive fields, _sensitive.py) in any nesting: its string or
# number value is replaced. Objects and arrays are left to the names inside them.
_NAMES = "|".join(sorted((re.escape(n) for n in SENSITIVE), key=len, reverse=True))
_FIELD_RE = re.compile(
    # a string value may run to the end of a body cut short elsewhere: masked all the same
    rb'("\s*(?:' + _NAMES.encode() + rb')\s*"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?[0-9][0-9.eE+-]*)'
)


def redact(body: bytes, limit: int = 4096) -> str:
    """A body fit for a DEBUG line: sensitive values masked first, then the length capped (so a value
    cut by the cap has already been masked), never raises."""
    masked = _FIELD_RE.sub(rb'\1"***"', body)
    text = masked[:limit].decode("utf-8", "replace")
    return text if len(masked) <= limit else text + f"...(+{len(masked) - limit} bytes)"
