"""Helpers shared by the order, refund and payout models.

The checks complement :mod:`payermax_async.validation` with what only these requests need
(callback URLs, optional free text) and raise ``InvalidRequestError`` before a byte is sent. The
repr helper keeps card and personal data out of logs and tracebacks.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from ..errors import InvalidRequestError
from ..validation import check_text

__all__ = ["check_optional_text", "check_url", "masked_repr"]


def check_url(value: object, field: str, *, max_length: int = 256) -> str:
    """A callback URL PayerMax will call or redirect to: absolute http(s), no whitespace."""
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{field} must be a non-empty URL string", field=field)
    if len(value) > max_length:
        raise InvalidRequestError(
            f"{field} is {len(value)} characters; at most {max_length} allowed", field=field
        )
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidRequestError(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise InvalidRequestError(f"{field} must be an absolute http(s) URL", field=field)
    return value


def check_optional_text(value: object, field: str, *, max_length: int) -> str | None:
    if value is None:
        return None
    return check_text(value, field, max_length=max_length)


def masked_repr(
    obj: msgspec.Struct, *, hidden: frozenset[str] | None = None, keep_last4: tuple[str, ...] = ()
) -> str:
    """A repr that shows no value of a ``hidden`` field (all fields when ``hidden`` is None).

    Unset (None) fields are left out; ``keep_last4`` fields show their last four characters,
    enough to tell two cards apart in a log.
    """
    parts = []
    for name in obj.__struct_fields__:
        value = getattr(obj, name)
        if value is None:
            continue
        if hidden is not None and name not in hidden and name not in keep_last4:
            parts.append(f"{name}={value!r}")
        elif name in keep_last4 and isinstance(value, str) and len(value) > 4:
            parts.append(f"{name}='***{value[-4:]}'")
        else:
            parts.append(f"{name}=***")
    return f"{type(obj).__name__}({', '.join(parts)})"
