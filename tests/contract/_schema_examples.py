"""PayerMax's own examples, as the contract tests walk them: one id per example, with its schema; and
which fields of a body its schema leaves undocumented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from payermax_async import _schema

DOC = _schema.load()


def examples() -> Iterator[tuple[str, str, str, int, dict[str, Any], dict[str, Any]]]:
    """(section, key, part, index, example, schema) for every request, response and callback example."""
    for section in ("operations", "callbacks"):
        for key, entry in DOC[section].items():
            for part in ("request", "response"):
                for index, example in enumerate(entry[f"{part}_examples"]):
                    yield section, key, part, index, example, entry[part]


def example_id(section: str, key: str, part: str, index: int) -> str:
    return f"{section}/{key}/{part}#{index}"


def undocumented(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """The paths in ``value`` that its schema does not name (an object with no properties is free-form)."""
    if isinstance(value, dict) and schema.get("properties"):  # empty properties: a free-form object
        found = []
        for key, sub in value.items():
            if key in schema["properties"]:
                found += undocumented(sub, schema["properties"][key], f"{path}.{key}")
            else:
                found.append(f"{path}.{key}")
        return found
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [p for item in value for p in undocumented(item, schema["items"], f"{path}[]")]
    return []
