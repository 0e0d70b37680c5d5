"""The naming rule: a Python name is the snake_case of its wire name, always, by this one function.

Decided once: an acronym is one word (``paymentTokenID`` -> ``payment_token_id``, ``supportMIT`` ->
``support_mit``); digits stay with the word before them (``address1``) unless capitals follow, in
which case they lead an acronym of their own (``dynamic3DS`` -> ``dynamic_3ds``, ``info3DSecure`` ->
``info_3d_secure``). A result that is a Python keyword gets a trailing underscore.
"""

from __future__ import annotations

import keyword
import re

__all__ = ["pascal", "snake"]

_TOKEN = re.compile(
    r"""
      \d+[A-Z]+(?=[A-Z][a-z]|\d|$)    # digits leading an acronym: 3DS, 3D (before "Secure")
    | [A-Z]+(?=[A-Z][a-z]|\d|$)       # an acronym: ID, MIT, DS (before "Version")
    | [A-Z]?[a-z]+(?:\d+(?![A-Z\d]))? # a word, with the digits that end it: address1
    | \d+                             # digits alone
    """,
    re.VERBOSE,
)


def _words(wire: str) -> list[str]:
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", wire):
        if not chunk:
            continue
        found = _TOKEN.findall(chunk)
        if "".join(found) != chunk:
            raise ValueError(f"cannot split wire name {wire!r}")
        words.extend(found)
    if not words:
        raise ValueError(f"empty wire name {wire!r}")
    return words


def snake(wire: str) -> str:
    name = "_".join(w.lower() for w in _words(wire))
    if name[0].isdigit():
        name = f"n{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


def pascal(wire: str) -> str:
    return "".join(w[:1].upper() + w[1:].lower() for w in _words(wire))
