"""Every constraint of the corrected schema is enforced before sending, and names its field.

For every endpoint variant, a request is synthesized that sets every field the variant documents
(with the smallest valid value), checked to pass; then each field in turn is broken in each way its
schema constrains it (absent when required, wrong type, too long, outside its enum, against its
pattern, a negative or float amount) and the check must refuse it naming exactly that wire path.
A field the variant does not document must be refused too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from payermax_async import InvalidRequestError
from payermax_async.endpoints import ENDPOINTS

from ._schema_examples import DOC

INS = msgspec.inspect


def _struct_of(t: Any) -> type[msgspec.Struct] | None:
    if isinstance(t, INS.UnionType):
        return next((s for s in (_struct_of(x) for x in t.types) if s is not None), None)
    return t.cls if isinstance(t, INS.StructType) else None


def _kind(t: Any) -> Any:
    if isinstance(t, INS.UnionType):
        return next(x for x in t.types if not isinstance(x, INS.NoneType))
    return t


def _fields(cls: type[msgspec.Struct]) -> tuple[Any, ...]:
    info = INS.type_info(cls)
    assert isinstance(info, INS.StructType)
    return info.fields


def _currency_name(wire: str) -> bool:
    return wire == "currency" or wire.endswith(("Currency", "Ccy"))


def _valid_scalar(wire: str, t: Any, node: dict[str, Any]) -> Any:
    if isinstance(t, INS.StrType):
        if "enum" in node:
            return node["enum"][0]
        if _currency_name(wire):
            return "USD"
        if "pattern" in node:  # the first plain value the pattern takes (letters, or digits only)
            return next(v for v in ("A", "12", "123") if re.fullmatch(node["pattern"], v))
        return "A"
    if isinstance(t, INS.DecimalType):
        return Decimal("1")
    if isinstance(t, INS.IntType):
        return 1
    if isinstance(t, INS.BoolType):
        return True
    return None


def build(cls: type[msgspec.Struct], node: dict[str, Any]) -> msgspec.Struct:
    """The smallest request of ``cls`` setting every field ``node`` documents."""
    props = node.get("properties", {})
    values: dict[str, Any] = {}
    for f in _fields(cls):
        sub = props.get(f.encode_name)
        if sub is None:
            values[f.name] = None
            continue
        t = _kind(f.type)
        nested = _struct_of(f.type)
        if nested is not None:
            values[f.name] = build(nested, sub)
        elif isinstance(t, INS.ListType):
            item_struct = _struct_of(t.item_type)
            items = sub.get("items", {})
            if item_struct is not None:
                values[f.name] = [build(item_struct, items)]
            else:
                item = _valid_scalar(f.encode_name, t.item_type, items)
                values[f.name] = None if item is None else [item]
        else:
            values[f.name] = _valid_scalar(f.encode_name, t, sub)
    return cls(**values)


def breakages(obj: msgspec.Struct, node: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any, str]]:
    """(python attribute chain, bad value, wire path) for every way the schema forbids a value."""
    props = node.get("properties", {})
    required = set(node.get("required", []))
    for f in _fields(type(obj)):
        path = f"{prefix}{f.encode_name}"
        sub = props.get(f.encode_name)
        if sub is None:
            yield f.name, "A1", path  # not documented for this variant
            continue
        if f.encode_name in required:
            yield f.name, None, path
        t = _kind(f.type)
        nested = _struct_of(f.type)
        value = getattr(obj, f.name)
        if nested is not None:
            yield f.name, "A1", path
            for chain, bad, where in breakages(value, sub, f"{path}."):
                yield f"{f.name}.{chain}", bad, where
        elif isinstance(t, INS.ListType):
            if value is None:
                continue
            yield f.name, "A1", path
            items = sub.get("items", {})
            if _struct_of(t.item_type) is not None:
                yield f.name, ["A1"], f"{path}[0]"
                for chain, bad, where in breakages(value[0], items, f"{path}[0]."):
                    yield f"{f.name}[0].{chain}", bad, where
            elif "enum" in items:
                yield f.name, ["NOT_AN_ENUM_VALUE"], f"{path}[0]"
        elif isinstance(t, INS.StrType):
            yield f.name, 123, path
            if "maxLength" in sub:
                yield f.name, "A" * (sub["maxLength"] + 1), path
            if "enum" in sub:
                yield f.name, "NOT_AN_ENUM_VALUE"[: sub.get("maxLength", 99)], path
            if "pattern" in sub:
                yield f.name, "A-1", path
        elif isinstance(t, INS.DecimalType):
            yield f.name, Decimal("-1"), path
            yield f.name, 1.0, path
        elif isinstance(t, (INS.IntType, INS.BoolType)):
            yield f.name, "A1", path


def _set(obj: Any, chain: str, value: Any) -> None:
    *parents, last = chain.split(".")
    for step in parents:
        obj = getattr(obj, step[:-3])[0] if step.endswith("[0]") else getattr(obj, step)
    setattr(obj, last, value)


VARIANTS = [
    pytest.param(key, id=key)
    for key, endpoint in ENDPOINTS.items()
    if endpoint.request_type is not None and "data" in DOC["operations"][key]["request"]["properties"]
]


@pytest.mark.parametrize("key", VARIANTS)
def test_every_constraint_is_enforced_and_named(key: str) -> None:
    endpoint = ENDPOINTS[key]
    assert endpoint.request_type is not None
    node = DOC["operations"][key]["request"]["properties"]["data"]
    good = build(endpoint.request_type, node)
    endpoint.validate(good)
    with pytest.raises(InvalidRequestError) as wrong:
        endpoint.validate({"data": "a dict is not a request struct"})
    assert wrong.value.field == "data"
    seen = 0
    for chain, bad, path in breakages(good, node, ""):
        request = copy.deepcopy(good)
        _set(request, chain, bad)
        with pytest.raises(InvalidRequestError) as caught:
            endpoint.validate(request)
        field = caught.value.field or ""
        parent = path.rsplit(".", 1)[0] + "." if "." in path else ""
        currency_of_sibling = _currency_name(path.rsplit(".", 1)[-1]) and field.startswith(parent)
        assert field == path or currency_of_sibling, (chain, bad, field)
        seen += 1
    assert seen > 0


def test_the_synthesis_covers_every_variant() -> None:
    assert len(VARIANTS) == 40
