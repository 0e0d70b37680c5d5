"""PayerMax's own examples, as the contract tests walk them: one id per example, with its schema."""

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
