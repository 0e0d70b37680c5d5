"""Does what the simulator says match what PayerMax documents? Checked on every answer it produces.

Answers are held to the letter, stricter than requests: every field must be one the response (or
callback) schema names, ``null`` only where the schema types it, and every required field present.
A client tested against the simulator then decodes exactly what PayerMax documents, no invented field
(``captureDetails``) and no missing one (refund ``tradeOrderNo``). Error answers carry ``code`` and
``msg`` only, as PayerMax's error examples do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .facts import Facts
from .schema import Violation, violations
from .wire import APPLY_SUCCESS

__all__ = ["answer_violations", "notification_violations", "undocumented"]


def undocumented(value: object, schema: dict[str, Any], path: str = "") -> Iterator[Violation]:
    """Fields present in ``value`` that ``schema`` does not name, at any depth."""
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in value.items():
            where = f"{path}.{name}" if path else name
            if name not in schema["properties"]:
                yield Violation(where, "is not documented")
            else:
                yield from undocumented(sub, schema["properties"][name], where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from undocumented(item, schema["items"], f"{path}[{index}]")


def _strict(value: dict[str, Any], schema: dict[str, Any]) -> list[Violation]:
    return [*violations(value, schema), *undocumented(value, schema)]


def answer_violations(facts: Facts, operation: str, body: dict[str, Any]) -> list[Violation]:
    """Every way ``body`` (``{"code","msg","data"}``) departs from ``operation``'s response schema."""
    if body.get("code") != APPLY_SUCCESS:
        extra = [k for k in body if k not in ("code", "msg")]
        found = [Violation(k, "is not documented in an error answer") for k in extra]
        found += [Violation(k, "must be string") for k in ("code", "msg") if not isinstance(body.get(k), str)]
        return found
    return _strict(body, facts.response_schema(operation))


def notification_violations(facts: Facts, callback: str, body: dict[str, Any]) -> list[Violation]:
    """Every way a notification body departs from its callback schema (``collectResultNotifyUrl``...),
    including a ``notifyType`` other than the rules name for that callback."""
    found = _strict(body, facts.callback_schema(callback))
    expected = facts.notify_types().get(callback)
    if expected is not None and body.get("notifyType") != expected:
        found.append(Violation("notifyType", f"must be {expected}"))
    return found
