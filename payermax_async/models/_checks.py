"""The repr that keeps card and personal data of the order and payout models out of logs and
tracebacks."""

from __future__ import annotations

import msgspec

__all__ = ["masked_repr"]


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
