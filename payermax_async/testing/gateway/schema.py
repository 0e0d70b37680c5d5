"""A JSON-Schema subset checker, written for the simulator alone.

The simulator ships in the core install, so it cannot lean on ``jsonschema``; and it must not lean on
the client's models either, or a client bug would pass its own tests. PayerMax's schema uses a small
part of JSON Schema (type with unions and null, properties, required, lengths, enum, pattern, items,
item and property counts), and that part is all this module knows. Unknown keywords (``format``,
``examples``, ``default``, ``deprecated``) are ignored, as JSON Schema itself allows.

Two readings of ``null`` exist because the two directions differ. A request is read as PayerMax's Java
gateway reads it: a ``null`` optional field is an absent field and a ``null`` required field is a
missing one. An answer the simulator produces is held to the letter: ``null`` only where the schema
types it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = ["Violation", "json_type_of", "violations"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``field`` is the dotted path (``paymentDetail.cardInfo.cvv``,
    ``goodsDetails[0].price``) and ``problem`` says what is wrong in a few words."""

    field: str
    problem: str

    def message(self) -> str:
        return f"{self.field} {self.problem}" if self.field else self.problem


def json_type_of(value: object) -> str:
    """The JSON type of a decoded value; numbers decode to int or Decimal (never float on our side,
    but a float from someone else's decoder is still a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _allowed_types(schema: dict[str, Any]) -> tuple[str, ...]:
    declared = schema.get("type")
    if declared is None:
        return ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def _type_matches(actual: str, allowed: tuple[str, ...], value: object) -> bool:
    if not allowed or actual in allowed:
        return True
    if actual == "integer" and "number" in allowed:
        return True
    # 4.0 is an integer to JSON Schema.
    return actual == "number" and "integer" in allowed and Decimal(str(value)) % 1 == 0


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def violations(
    value: object, schema: dict[str, Any], path: str = "", *, null_is_absent: bool = False
) -> Iterator[Violation]:
    """Every violation of ``schema`` by ``value``, outermost first (a missing object is one violation,
    not one per field inside it)."""
    kind = json_type_of(value)
    allowed = _allowed_types(schema)
    if not _type_matches(kind, allowed, value):
        if kind == "null":
            yield Violation(path, "is null")
        else:
            yield Violation(path, f"must be {' or '.join(allowed)}, not {kind}")
        return
    if "enum" in schema and value is not None and value not in schema["enum"]:
        yield Violation(path, f"must be one of {', '.join(map(str, schema['enum']))}")
    if kind == "string":
        yield from _string(str(value), schema, path)
    elif kind == "object":
        yield from _object(value, schema, path, null_is_absent)  # type: ignore[arg-type]
    elif kind == "array":
        yield from _array(value, schema, path, null_is_absent)  # type: ignore[arg-type]


def _string(value: str, schema: dict[str, Any], path: str) -> Iterator[Violation]:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield Violation(path, f"is longer than {schema['maxLength']} characters")
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield Violation(path, f"is shorter than {schema['minLength']} characters")
    if "pattern" in schema and _regex(schema["pattern"]).search(value) is None:
        yield Violation(path, f"does not match {schema['pattern']}")


def _object(
    value: dict[str, Any], schema: dict[str, Any], path: str, null_is_absent: bool
) -> Iterator[Violation]:
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value or (null_is_absent and value[name] is None):
            yield Violation(_join(path, name), "is required")
    for name, sub in value.items():
        if name not in properties or (null_is_absent and sub is None):
            continue  # unknown fields are tolerated, as PayerMax's gateway does
        yield from violations(sub, properties[name], _join(path, name), null_is_absent=null_is_absent)
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        yield Violation(path, f"has more than {schema['maxProperties']} entries")
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        yield Violation(path, f"has fewer than {schema['minProperties']} entries")


def _array(value: list[Any], schema: dict[str, Any], path: str, null_is_absent: bool) -> Iterator[Violation]:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield Violation(path, f"has more than {schema['maxItems']} items")
    if "minItems" in schema and len(value) < schema["minItems"]:
        yield Violation(path, f"has fewer than {schema['minItems']} items")
    if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
        yield Violation(path, "has repeated items")
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            yield from violations(item, items, f"{path}[{index}]", null_is_absent=null_is_absent)
