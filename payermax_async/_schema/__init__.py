"""PayerMax's wire facts, with our documented corrections applied.

``facts.json`` is derived mechanically from PayerMax's OpenAPI export by ``tools/extract_schema.py``
(prose stripped, nothing corrected). ``overlay.json`` holds every correction we make to it, each with
its reason, so that what we believe and what PayerMax published stay separable. Two readers use this
module: the code generator (``tools/generate.py``) and the test kit's simulator, which checks requests
against these facts on its own instead of trusting the client's models.

Nothing on the client's request path imports this module: the generated code carries what it needs.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["apply_overlay", "facts", "load", "overlay", "rules", "schema_at"]

_HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def facts() -> dict[str, Any]:
    """The facts as PayerMax published them (no corrections)."""
    return json.loads((_HERE / "facts.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def overlay() -> dict[str, Any]:
    return json.loads((_HERE / "overlay.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def _corrected() -> dict[str, Any]:
    return apply_overlay(facts(), overlay())


def load() -> dict[str, Any]:
    """The corrected facts: a fresh deep copy, so a caller cannot change what others read."""
    return copy.deepcopy(_corrected())


def rules() -> dict[str, Any]:
    """Facts that PayerMax states only in prose (charsets, precision, variants), as data."""
    return copy.deepcopy(overlay().get("rules", {}))


def schema_at(root: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema node at a dotted property path; ``[]`` steps into array items.

    ``schema_at(op["request"], "data.paymentDetail.cardInfo")``, ``"data.goodsDetails[]"``.
    """
    node = root
    for step in _steps(path):
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


def _steps(path: str) -> Iterator[str]:
    for part in filter(None, path.split(".")):
        if part.endswith("[]"):
            if part[:-2]:
                yield part[:-2]
            yield "[]"
        else:
            yield part


def _walk_schemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for sub in node.get("properties", {}).values():
            yield from _walk_schemas(sub)
        if isinstance(node.get("items"), dict):
            yield from _walk_schemas(node["items"])


def _exchange_schemas(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for section in ("operations", "callbacks"):
        for key, entry in doc[section].items():
            for part in ("request", "response"):
                yield f"{section}/{key}", part, entry[part]


def _trim_names(doc: dict[str, Any]) -> None:
    for _, _, root in _exchange_schemas(doc):
        for node in _walk_schemas(root):
            if "properties" in node:
                node["properties"] = {name.strip(): sub for name, sub in node["properties"].items()}
            if "required" in node:
                node["required"] = [name.strip() for name in node["required"]]
            if "enum" in node:
                node["enum"] = [v.strip() if isinstance(v, str) else v for v in node["enum"]]


def _apply_to_node(node: dict[str, Any], change: dict[str, Any]) -> None:
    for key, value in change.get("set", {}).items():
        node[key] = copy.deepcopy(value)
    for key in change.get("unset", []):
        node.pop(key, None)
    if "unrequire" in change:
        node["required"] = [n for n in node.get("required", []) if n not in change["unrequire"]]
        if not node["required"]:
            del node["required"]
    if "require" in change:
        have = node.get("required", [])
        node["required"] = [*have, *(n for n in change["require"] if n not in have)]
    for name in change.get("nullable", []):
        sub = node["properties"][name]
        types = sub.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        sub["type"] = types if "null" in types else [*types, "null"]
    for name, sub in change.get("add_properties", {}).items():
        node.setdefault("properties", {})[name] = copy.deepcopy(sub)
    for name in change.get("remove_properties", []):
        node.get("properties", {}).pop(name, None)
    if "one_of_required" in change:
        # JSON Schema's anyOf-of-required would do, but PayerMax's file never uses it: a keyword of ours
        group = list(change["one_of_required"])
        unknown = [n for n in group if n not in node.get("properties", {})]
        if len(group) < 2 or unknown:
            raise ValueError(f"one_of_required names {unknown or group}: {change['why']}")
        node.setdefault("x-one-of-required", []).append(group)


def _split_where(where: str) -> tuple[str, str, str]:
    """``operations/orderAndPay/delSuffixStart1/request``: keys may hold a slash, the ends may not."""
    section, rest = where.split("/", 1)
    key, part = rest.rsplit("/", 1)
    return section, key, part


def _targets(doc: dict[str, Any], change: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema nodes one correction applies to: one place, or every property of a name."""
    if "where" in change:
        section, key, part = _split_where(change["where"])
        return [schema_at(doc[section][key][part], change.get("path", ""))]
    if "every_root" in change:
        # Every envelope of one kind: {"every_root": "operations", "parts": ["response"]}.
        parts = set(change.get("parts", ["request", "response"]))
        return [entry[part] for entry in doc[change["every_root"]].values() for part in parts]
    if "every_property" in change:
        # One property name, or a list of them: {"every_property": ["currency", ...]}.
        names = change["every_property"]
        names = [names] if isinstance(names, str) else names
        parts = set(change.get("parts", ["request", "response"]))
        found: list[dict[str, Any]] = []
        for _, part, root in _exchange_schemas(doc):
            if part in parts:
                for n in _walk_schemas(root):
                    found.extend(n["properties"][name] for name in names if name in n.get("properties", {}))
        return found
    raise ValueError(f"overlay correction names no target: {change.get('why')}")


def _holder(example: dict[str, Any], path: str) -> Any:
    """The value at a dotted path; a step of digits indexes a list (``data.items.0.name``)."""
    holder: Any = example
    for step in filter(None, path.split(".")):
        holder = holder[int(step)] if isinstance(holder, list) else holder[step]
    return holder


def _patch_example(example: dict[str, Any], change: dict[str, Any]) -> None:
    """Mend one of PayerMax's examples where the example, not the schema, is wrong.

    ``rename_keys`` {holder path: [old, new]}; ``set_values`` {dotted path: value} (the key must
    exist); ``wrap_in_list`` [dotted path]: a single object where the schema has an array.
    """
    for path, (old, new) in change.get("rename_keys", {}).items():
        holder = _holder(example, path)
        holder[new] = holder.pop(old)
    for path, value in change.get("set_values", {}).items():
        parent, _, name = path.rpartition(".")
        holder = _holder(example, parent)
        if name not in holder:
            raise KeyError(f"example has no {path}: {change['why']}")
        holder[name] = copy.deepcopy(value)
    for path in change.get("wrap_in_list", []):
        parent, _, name = path.rpartition(".")
        holder = _holder(example, parent)
        holder[name] = [holder[name]]


def apply_overlay(source: dict[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    """A corrected copy of ``source``; a correction that names no existing node is an error, so a new
    export that renames or fixes something shows up as a failing regeneration, not a silent no-op."""
    doc = copy.deepcopy(source)
    for change in corrections.get("corrections", []):
        if "why" not in change:
            raise ValueError(f"overlay correction without a reason: {change}")
        if change.get("trim_names"):
            _trim_names(doc)
        elif "add_operation" in change:
            doc["operations"][change["add_operation"]] = copy.deepcopy(change["entry"])
        elif "patch_example" in change:
            section, key, which = _split_where(change["patch_example"])
            part, index = which.split("#")
            _patch_example(doc[section][key][f"{part}_examples"][int(index)], change)
        else:
            targets = _targets(doc, change)
            if not targets:
                raise ValueError(f"overlay correction matched nothing: {change['why']}")
            for node in targets:
                _apply_to_node(node, change)
    return doc
