"""Corrected schema -> struct specs: which structs exist, their fields, types and names.

Variants of one apiName (and callbacks of one notification) are merged into one struct per shape:
the union of their properties, required only where every variant requires it. What each variant
requires on its own is checked by the generated checkers (gen_checks.py), which read the variants'
own schema nodes.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from gen_naming import pascal, snake

__all__ = ["MNode", "Model", "Spec", "SpecField", "merge", "types_of"]

MONEY = re.compile(r"(?i)(amount|price|fee|tax|balance)$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\s?([+-]\d\d:?\d\d|Z))?$")


def types_of(node: dict[str, Any]) -> list[str]:
    t = node.get("type", [])
    return [t] if isinstance(t, str) else list(t)


@dataclass
class MNode:
    """Several variants' schema nodes for one place, merged."""

    nodes: list[dict[str, Any]]
    locs: list[str]  # "section/key/part/dotted.path" of each contributing node
    props: dict[str, MNode] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: MNode | None = None

    @property
    def types(self) -> list[str]:
        seen: list[str] = []
        for node in self.nodes:
            seen.extend(t for t in types_of(node) if t not in seen)
        return seen


def merge(nodes: list[tuple[str, dict[str, Any]]]) -> MNode:
    """Merge (location, node) pairs for one place into one MNode."""
    merged = MNode(nodes=[n for _, n in nodes], locs=[loc for loc, _ in nodes])
    with_props = [(loc, n) for loc, n in nodes if "properties" in n]
    if with_props:
        names: list[str] = []
        for _, n in with_props:
            names.extend(p for p in n["properties"] if p not in names)
        for name in names:
            merged.props[name] = merge(
                [(f"{loc}.{name}", n["properties"][name]) for loc, n in with_props if name in n["properties"]]
            )
        merged.required = set.intersection(*(set(n.get("required", [])) for _, n in with_props))
    with_items = [(f"{loc}[]", n["items"]) for loc, n in nodes if isinstance(n.get("items"), dict)]
    if with_items:
        merged.items = merge(with_items)
    return merged


_CALLBACK_ROOT = re.compile(r"^(callbacks/[^/]+/(?:request|response))\.")


@dataclass
class SpecField:
    wire: str
    py: str
    ann: str  # the Python annotation, without "| None"
    required: bool
    kind: str  # str, decimal, strdecimal, int, bool, datetime, enum, struct, list, dict, any
    item_kind: str | None = None
    ref: str | None = None  # nested struct or enum name
    send_as: str | None = None
    sensitive: bool = False  # masked here though its name is not masked everywhere (x-sensitive)


@dataclass
class Spec:
    name: str
    side: str  # "request" or "result"
    fields: list[SpecField]
    families: set[str] = field(default_factory=set)
    children: list[str] = field(default_factory=list)
    doc: str = ""

    def signature(self) -> tuple[Any, ...]:
        return (self.side, tuple((f.wire, f.ann, f.required, f.sensitive) for f in self.fields))


class Model:
    """All specs, named globally uniquely; identical shapes under one name are one struct."""

    def __init__(self, doc: dict[str, Any], enums: dict[str, Any]) -> None:
        self.specs: dict[str, Spec] = {}
        self.enum_at = enums
        self.timestamps = _timestamp_names(doc)
        self.verbatim: dict[tuple[str, str], str] = {}  # (family, path) -> name, as is

    def enum_for(self, locs: list[str]) -> str | None:
        # A notification is built from its whole body ("callbacks/k/request.data.status"), while the
        # enum rules name places as "section/key/part/dotted.path": compare in the rules' form.
        places = [_CALLBACK_ROOT.sub(r"\1/", loc) for loc in locs]
        for name, rule in self.enum_at.items():
            for pattern in rule.get("at", []):
                if any(fnmatch.fnmatchcase(loc, pattern) for loc in places):
                    return name
        return None

    def build(
        self,
        m: MNode,
        name: str,
        side: str,
        family: str,
        path: str,
        names: dict[tuple[str, str], str],
        parent: str = "",
    ) -> Spec:
        fields: list[SpecField] = []
        children: list[str] = []
        for wire, sub in m.props.items():
            sub_path = f"{path}.{wire}" if path else wire
            f = self._field(wire, sub, side, family, sub_path, names, parent or name)
            f.required = side == "request" and wire in m.required
            fields.append(f)
            if f.kind == "struct" or f.item_kind == "struct":
                children.append(f.ref or "")
        spec = Spec(name=name, side=side, fields=fields, children=children, doc=_place_doc(side, path))
        return self._register(spec, name, parent)

    def add(self, spec: Spec) -> Spec:
        """A spec made by hand (not from the schema), under its own name."""
        return self._register(spec, spec.name, spec.name)

    def _register(self, spec: Spec, wanted: str, parent: str) -> Spec:
        """Same name, same shape: one struct. Same name, other shape: the parent's name in front."""
        stem = re.sub(r"(Request|Result|NotificationData|Notification)$", "", parent)
        candidates = [wanted, f"{stem}{wanted}"] + [f"{stem}{wanted}{n}" for n in range(2, 50)]
        for name in candidates:
            if name not in self.specs:
                spec.name = name
                self.specs[name] = spec
                return spec
            if self.specs[name].signature() == spec.signature():
                return self.specs[name]
        raise ValueError(f"cannot name {wanted} under {parent}")

    def _field(
        self,
        wire: str,
        m: MNode,
        side: str,
        family: str,
        path: str,
        names: dict[tuple[str, str], str],
        parent: str,
    ) -> SpecField:
        py = snake(wire)
        types = [t for t in m.types if t != "null"]
        send_as = next((n["x-send-as"] for n in m.nodes if "x-send-as" in n), None)
        if "object" in types and m.props:
            nested = self._nested_name(wire, side, family, path, names, array=False)
            spec = self.build(m, nested, side, family, path, names, parent)
            return SpecField(wire, py, spec.name, False, "struct", ref=spec.name)
        if "array" in types:
            if m.items is not None and m.items.props:
                nested = self._nested_name(wire, side, family, f"{path}[]", names, array=True)
                spec = self.build(m.items, nested, side, family, f"{path}[]", names, parent)
                return SpecField(
                    wire, py, f"list[{spec.name}]", False, "list", item_kind="struct", ref=spec.name
                )
            item = self._scalar(wire, m.items, side) if m.items is not None else ("Any", "any", None)
            return SpecField(wire, py, f"list[{item[0]}]", False, "list", item_kind=item[1], ref=item[2])
        if "object" in types:
            return SpecField(wire, py, "dict[str, Any]", False, "dict")
        ann, kind, ref = self._scalar(wire, m, side)
        sensitive = any(n.get("x-sensitive") for n in m.nodes)
        return SpecField(wire, py, ann, False, kind, ref=ref, send_as=send_as, sensitive=sensitive)

    def _scalar(self, wire: str, m: MNode, side: str) -> tuple[str, str, str | None]:
        types = [t for t in m.types if t != "null"]
        if "number" in types:
            return "Decimal", "decimal", None
        if "integer" in types:
            return "int", "int", None
        if "boolean" in types:
            return "bool", "bool", None
        if "string" in types:
            if MONEY.search(wire):
                return ("Decimal", "strdecimal", None) if side == "request" else ("Decimal", "decimal", None)
            if side == "result":
                enum = self.enum_for(m.locs)
                if enum:
                    return enum, "enum", enum
                if wire in self.timestamps:
                    return "AwareDatetime", "datetime", None
            return "str", "str", None
        return "Any", "any", None

    def _nested_name(
        self, wire: str, side: str, family: str, path: str, names: dict[tuple[str, str], str], array: bool
    ) -> str:
        below_data = path.split(".", 1)[1] if path.startswith("data.") else path
        if (family, path) in self.verbatim:
            return self.verbatim[(family, path)]
        public = names.get((family, below_data))
        if public and side == "request":
            return public
        if public:
            return f"{public}Result"
        base = pascal(wire)
        if array:
            base = base[:-1] if base.endswith("s") and not base.endswith("ss") else f"{base}Item"
        return base if side == "request" else f"{base}Result"


def _place_doc(side: str, path: str) -> str:
    """Where the struct sits on the wire: the key to PayerMax's own field tables."""
    place = f"``{path}``" if path else "the whole body"
    return f"PayerMax's {place}{' (sent)' if side == 'request' else ' (every field optional)'}."


def _timestamp_names(doc: dict[str, Any]) -> set[str]:
    """Wire names whose every example value is a timestamp; with no example value, names in "Time"."""
    values: dict[str, list[str]] = {}
    names: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                names.add(k)
                if isinstance(v, str) and v:
                    values.setdefault(k, []).append(v)
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    def schema_names(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.get("properties", {}).items():
                names.add(k)
                schema_names(v)
            schema_names(node.get("items"))

    for section in ("operations", "callbacks"):
        for entry in doc[section].values():
            for part in ("request", "response"):
                schema_names(entry[part])
                for example in entry[f"{part}_examples"]:
                    collect(example)
    found = set()
    for name in names:
        seen = values.get(name, [])
        if (seen and all(TIMESTAMP.match(v) for v in seen)) or (not seen and name.endswith("Time")):
            found.add(name)
    return found
