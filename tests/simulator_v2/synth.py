"""Requests built from the schema alone, so every variant's every required field can be dropped,
including those inside optional objects that PayerMax's examples never send."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.gateway.requests import AMOUNT_PAIRS

_AMOUNTS = {amount for amount, _, _ in AMOUNT_PAIRS}


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", "object" if "properties" in schema else "string")
    found = [declared] if isinstance(declared, str) else list(declared)
    return [t for t in found if t != "null"] or ["null"]


def synthesize(schema: dict[str, Any]) -> Any:
    """A value meeting ``schema``: required fields, and every optional object (with its own required
    fields) so that the inner rules are exercised too."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = _types(schema)[0]
    if kind == "object":
        out: dict[str, Any] = {}
        required = set(schema.get("required", ()))
        for name, sub in schema.get("properties", {}).items():
            if name in required or "object" in _types(sub):
                out[name] = "1" if name in _AMOUNTS and _types(sub)[0] == "string" else synthesize(sub)
        return out
    if kind == "array":
        items = schema.get("items")
        count = max(1, schema.get("minItems", 1))
        return [synthesize(items) if isinstance(items, dict) else "A" for _ in range(count)]
    if kind in ("number", "integer"):
        return Decimal("1") if kind == "number" else 1
    if kind == "boolean":
        return True
    if schema.get("x-currency"):
        return "USD"  # the overlay's ISO 4217 code (its pattern alone would admit "AAA")
    size = max(1, schema.get("minLength", 1), 2 if "pattern" in schema else 1)
    text = ("A1" * size)[: min(size, schema.get("maxLength", size))]
    if "pattern" in schema and not re.search(schema["pattern"], text):
        # a digits-only pattern (card expiry, cvv): the first plain value it takes
        return next(v for v in ("12", "123") if re.search(schema["pattern"], v))
    return text


def when_fields(facts: Facts) -> set[str]:
    """Fields that pick the request shape; dropping one picks another shape, not a refusal."""
    found: set[str] = set()
    for table in ("order_and_pay_variants", "apply_dropin_session_variants"):
        for entry in facts.rules[table]["order"]:
            found.update(entry["when"])
    return found


def build(facts: Facts, key: str) -> dict[str, Any]:
    """Synthesized ``data`` for operation ``key``, meeting the conditions that select it."""
    data: dict[str, Any] = synthesize(facts.request_schema(key)["properties"]["data"])
    api = facts.operation(key)["api_name"]
    for table in ("order_and_pay_variants", "apply_dropin_session_variants"):
        for entry in facts.rules[table]["order"]:
            if entry["variant"] == key and facts.operation(key)["api_name"] == api:
                for path, wanted in entry["when"].items():
                    holder = data
                    *parents, leaf = path.split(".")
                    for step in parents:
                        holder = holder.setdefault(step, {})
                    holder[leaf] = "tok_1" if wanted == "present" else wanted
    return data


def required_paths(value: Any, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Dotted paths of every required field present in ``value``, outermost first."""
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name in value:
                yield f"{path}.{name}" if path else name
        for name, sub in value.items():
            if name in props:
                yield from required_paths(sub, props[name], f"{path}.{name}" if path else name)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from required_paths(item, schema["items"], f"{path}[{index}]")


def drop(value: dict[str, Any], path: str) -> None:
    """Delete the field at a dotted path (``goodsDetails[0].price``)."""
    holder: Any = value
    steps = path.replace("[", ".[").split(".")
    for step in steps[:-1]:
        holder = holder[int(step[1:-1])] if step.startswith("[") else holder[step]
    del holder[steps[-1]]
