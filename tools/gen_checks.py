"""Request checks from each variant's own schema node: one straight-line function per struct shape.

A check names the field by its dotted wire path below ``data`` (``paymentDetail.cardInfo.cvv``,
``goodsDetails[0].price``) and never echoes a value that could be sensitive. Identical functions are
emitted once, so shared objects (a buyer, an address) cost one function, not one per operation.
"""

from __future__ import annotations

import re
from typing import Any

from gen_model import Spec, SpecField
from gen_naming import snake

__all__ = ["PLAIN_PATTERNS", "CheckWriter"]

#: Patterns tested with str's own methods instead of the regex engine, which a capture would
#: otherwise enter cold once per call for its outTradeNo (~5-9 µs in place; 0.2 µs warm). Each is
#: the same test: after isascii(), isalnum() and isdigit() accept exactly [A-Za-z0-9] and [0-9].
PLAIN_PATTERNS = {
    "^[A-Za-z0-9_]+$": "{v}.isascii() and ({v}.isalnum() or {v}.replace('_', '0').isalnum())",
    "^[A-Za-z0-9]+$": "{v}.isascii() and {v}.isalnum()",
    "^[0-9]{2}$": "len({v}) == 2 and {v}.isascii() and {v}.isdigit()",
    "^[0-9]{3,4}$": "3 <= len({v}) <= 4 and {v}.isascii() and {v}.isdigit()",
}


def currency_sibling(money: str, siblings: list[str]) -> str | None:
    """The currency field that governs an amount's decimals, by name, among its siblings."""
    if money.endswith("Amount"):
        for suffix in ("Currency", "Ccy"):
            if f"{money[:-6]}{suffix}" in siblings:
                return f"{money[:-6]}{suffix}"
    if "currency" in siblings:
        return "currency"
    found = [s for s in siblings if re.search(r"(Currency|Ccy)$", s)]
    return found[0] if len(found) == 1 else None


class CheckWriter:
    def __init__(self, specs: dict[str, Spec], zero_ok: list[str]) -> None:
        self.specs = specs
        self.zero_ok = set(zero_ok)  # dotted wire paths (below data) whose amount may be 0
        self.where = ""
        self.functions: dict[str, str] = {}  # body -> name
        self.order: list[str] = []
        self.consts: dict[str, str] = {}  # literal -> name

    def _const(self, literal: str, prefix: str) -> str:
        if literal not in self.consts:
            self.consts[literal] = f"_{prefix}{len(self.consts)}"
        return self.consts[literal]

    def struct_check(self, node: dict[str, Any], spec: Spec, table: str, where: str = "") -> str:
        """The name of the function that checks ``spec`` against one variant's ``node``."""
        outer = self.where
        try:
            return self._struct_check(node, spec, table, where)
        finally:
            self.where = outer

    def _struct_check(self, node: dict[str, Any], spec: Spec, table: str, where: str) -> str:
        props = node.get("properties", {})
        required = set(node.get("required", []))
        siblings = [f.wire for f in spec.fields]
        lines: list[str] = []
        for f in spec.fields:
            self.where = f"{where}.{f.wire}" if where else f.wire
            lines.extend(self._field(f, props.get(f.wire), f.wire in required, spec, siblings, table))
        py = {f.wire: f.py for f in spec.fields}
        for group in node.get("x-one-of-required", []):
            # after the fields' own checks, so a present but malformed one is named as itself
            absent = " and ".join(f"v.{py[name]} is None" for name in group)
            lines += [f"    if {absent}:", f"        raise _c.none_of(p, {tuple(group)!r})"]
        body = "\n".join(lines) if lines else "    pass"
        key = f"{spec.name}\n{body}"
        if key not in self.functions:
            name = f"_{snake(spec.name)}_{len(self.functions)}"
            self.functions[key] = name
            self.order.append(f"def {name}(v: Any, p: str) -> None:  # {spec.name}\n{body}\n")
        return self.functions[key]

    def _field(
        self,
        f: SpecField,
        node: dict[str, Any] | None,
        required: bool,
        spec: Spec,
        siblings: list[str],
        table: str,
    ) -> list[str]:
        path = f'p + "{f.wire}"'
        if node is None:
            return [f"    if v.{f.py} is not None:", f"        raise _c.not_accepted({path})"]
        body = self._kind(f, node, required, spec, siblings, table, path)
        if required:
            return [
                f"    x = v.{f.py}",
                "    if x is None:",
                f"        raise _c.missing({path})",
                *(f"    {b}" for b in body),
            ]
        if not body:
            return []
        return [f"    x = v.{f.py}", "    if x is not None:", *(f"        {b}" for b in body)]

    def _kind(
        self,
        f: SpecField,
        node: dict[str, Any],
        required: bool,
        spec: Spec,
        siblings: list[str],
        table: str,
        path: str,
    ) -> list[str]:
        out: list[str] = []
        if f.kind == "str":
            out.append(f'if not isinstance(x, str): raise _c.bad_type({path}, "a string")')
            out.extend(self._text(node, path))
        elif f.kind in ("decimal", "strdecimal"):
            cur = currency_sibling(f.wire, siblings)
            positive = required and self.where not in self.zero_ok
            args = f"{path}, {table}, {positive}"
            # An unknown code is reported under the currency's own path, not the amount's.
            if cur:
                out.append(f'_c.money(x, v.{snake(cur)}, {args}, p + "{cur}")')
            else:
                out.append(f"_c.money(x, None, {args})")
            if "maxLength" in node and f.kind == "strdecimal":
                # the length of the text sent, which is positional (1E+12 is 13 characters)
                n = node["maxLength"]
                out.append(f"if len(_c.plain(x)) > {n}: raise _c.too_long({path}, {n})")
        elif f.kind == "int":
            out.append(f'if type(x) is not int: raise _c.bad_type({path}, "an int")')
        elif f.kind == "bool":
            out.append(f'if type(x) is not bool: raise _c.bad_type({path}, "a bool")')
        elif f.kind == "struct" and f.ref:
            fn = self.struct_check(node, self.specs[f.ref], table, self.where)
            out.append(f'if not isinstance(x, {f.ref}): raise _c.bad_type({path}, "a {f.ref}")')
            out.append(f'{fn}(x, {path} + ".")')
        elif f.kind == "list":
            out.append(f'if not isinstance(x, list): raise _c.bad_type({path}, "a list")')
            items: dict[str, Any] = node["items"] if isinstance(node.get("items"), dict) else {}
            if f.item_kind == "struct" and f.ref:
                fn = self.struct_check(items, self.specs[f.ref], table, f"{self.where}[]")
                out.append("for i, y in enumerate(x):")
                item_path = f'f"{{p}}{f.wire}[{{i}}]"'
                out.append(f'    if not isinstance(y, {f.ref}): raise _c.bad_type({item_path}, "a {f.ref}")')
                out.append(f'    {fn}(y, f"{{p}}{f.wire}[{{i}}].")')
            elif f.item_kind == "str" and ("enum" in items or "maxLength" in items):
                out.append("for i, y in enumerate(x):")
                item_path = f'f"{{p}}{f.wire}[{{i}}]"'
                out.append(f'    if not isinstance(y, str): raise _c.bad_type({item_path}, "a string")')
                out.extend(f"    {line}" for line in self._text(items, item_path, var="y"))
        return out

    def _text(self, node: dict[str, Any], path: str, var: str = "x") -> list[str]:
        out: list[str] = []
        if "maxLength" in node:
            n = node["maxLength"]
            out.append(f"if len({var}) > {n}: raise _c.too_long({path}, {n})")
        if "enum" in node:
            const = self._const(f"frozenset({sorted(node['enum'])!r})", "E")
            out.append(f"if {var} not in {const}: raise _c.not_in({path}, {const})")
        if node.get("x-currency"):
            # An active ISO 4217 code: it implies the overlay's pattern, so the pattern is not checked.
            out.append(f"if {var} not in _c.ISO_4217: raise _c.not_currency({path})")
        elif node.get("pattern") in PLAIN_PATTERNS:
            test = PLAIN_PATTERNS[node["pattern"]].format(v=var)
            out.append(f"if not ({test}): raise _c.bad_pattern({path}, {node['pattern']!r})")
        elif "pattern" in node:
            const = self._const(f"re.compile({node['pattern']!r})", "P")
            out.append(f"if not {const}.fullmatch({var}): raise _c.bad_pattern({path}, {const}.pattern)")
        return out

    def constants(self) -> list[str]:
        return [f"{name} = {literal}" for literal, name in self.consts.items()]
