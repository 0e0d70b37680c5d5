"""The generated files: type modules per family, their package, the checks, endpoints, sensitive names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gen_checks import CheckWriter
from gen_method_rows import METHODS
from gen_naming import snake
from gen_render import enum_source, header, struct_source
from gen_tables import API, FAMILY_DOCS, MERGED

if TYPE_CHECKING:
    from generate import Built

__all__ = ["render"]

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "payermax_async"
OPERATION_DECIMALS = {"refund": "_REFUND_DECIMALS"}


def sensitive_names(rules: dict[str, Any]) -> set[str]:
    return {n for k, names in rules["sensitive"].items() if k != "why" for n in names}


def _ordered(built: Built, module: str) -> list[str]:
    """This module's structs, children before parents (readable top-down from the bottom)."""
    out: list[str] = []

    def visit(name: str) -> None:
        if name in out:
            return
        for child in built.model.specs[name].children:
            visit(child)
        if built.homes.get(name) == module:
            out.append(name)

    for name in built.model.specs:
        if built.homes.get(name) == module:
            visit(name)
    return out


def _imports(built: Built, module: str, bodies: str, names: list[str]) -> str:
    lines = []
    if re.search(r"\bDecimal\b", bodies):
        lines.append("from decimal import Decimal")
    typing = [n for n in ("Any", "ClassVar") if re.search(rf"\b{n}\b", bodies)]
    if typing:
        lines.append(f"from typing import {', '.join(typing)}")
    lines.append("")
    if "msgspec." in bodies:
        lines.append("import msgspec")
        lines.append("")
    base = [
        n
        for n in (
            "AwareDatetime",
            "NotificationEnvelope",
            "TolerantEnum",
            "WireRequest",
            "WireResult",
            "as_str_decimal",
        )
        if re.search(rf"\b{n}\b", bodies)
    ]
    if base:
        lines.append(f"from ._base import {', '.join(base)}")
    if module != "common":
        shared = sorted(
            n
            for n, home in built.homes.items()
            if home == "common" and n not in names and re.search(rf"\b{n}\b", bodies)
        )
        if shared:
            lines.append(f"from .common import {', '.join(shared)}")
    return "\n".join(lines)


def _module(built: Built, module: str, doc: str, extra: str = "") -> tuple[str, list[str]]:
    sensitive = sensitive_names(built.rules)
    parts: list[str] = []
    names: list[str] = []
    if module == "common":
        for name, rule in built.rules["named_enums"].items():
            if name == "why":
                continue
            values = list(rule["values"])
            for spec_values in _schema_enum_values(built, rule):
                values.extend(v for v in spec_values if v not in values)
            parts.append(enum_source(name, values, rule.get("final")))
            names.append(name)
    envelopes = _notification_envelopes(built) if module == "notifications" else set()
    for name in _ordered(built, module):
        part = struct_source(built.model.specs[name], sensitive)
        if name in envelopes:
            # a whole notification: its application id and event key come from NotificationEnvelope
            part = part.replace(f"class {name}(WireResult,", f"class {name}(NotificationEnvelope,", 1)
        parts.append(part)
        names.append(name)
    bodies = "\n\n".join(parts) + extra
    all_names = names + re.findall(r"^([A-Z_]+): ", extra, re.M)
    exported = ",\n".join(f'    "{n}"' for n in sorted(all_names))
    source = (
        header(doc)
        + "\n"
        + _imports(built, module, bodies, names)
        + f"\n\n__all__ = [\n{exported},\n]\n\n\n"
        + "\n\n".join(parts)
        + extra
    )
    return source, names


def _schema_enum_values(built: Built, rule: dict[str, Any]) -> list[list[str]]:
    import fnmatch

    found = []
    for pattern in rule.get("at", []):
        section, rest = pattern.split("/", 1)
        key_glob, rest = rest.split("/", 1)
        part, path = rest.split("/", 1)
        for key, entry in built.doc[section].items():
            if not fnmatch.fnmatchcase(key, key_glob):
                continue
            node = entry[part]
            for step in path.split("."):
                node = node.get("properties", {}).get(step, {})
            if "enum" in node:
                found.append(node["enum"])
    return found


def _notification_envelopes(built: Built) -> set[str]:
    """The top-level notification structs (not their ``data``): every callback's, and the generic one."""
    return {top.result.name for top in built.notifications if top.result is not None} | {
        "GenericNotification"
    }


def _notify_table(built: Built) -> str:
    notify_types = built.rules["notify_types"]
    listed = built.rules.get("notify_types_listed", {})  # callbacks with several notifyType values
    rows: list[str] = []
    for top in built.notifications:
        types = {t for k in top.variants if (t := notify_types.get(k)) is not None}
        types.update(t for k in top.variants for t in listed.get(k, ()))
        if top.result is not None:
            rows.extend(f'    "{t}": {top.result.name},' for t in sorted(types))
    return "\n\nBY_NOTIFY_TYPE: dict[str, type[WireResult]] = {\n" + "\n".join(rows) + "\n}\n"


def render(built: Built) -> dict[Path, str]:
    files: dict[Path, str] = {}
    exports: dict[str, list[str]] = {}
    modules = sorted({*built.homes.values(), "common"})
    for module in modules:
        extra = _notify_table(built) if module == "notifications" else ""
        source, names = _module(built, module, FAMILY_DOCS[module], extra)
        if module == "notifications" and "WireResult" not in source.split("__all__")[0]:
            source = source.replace("from ._base import ", "from ._base import WireResult, ", 1)
        files[PKG / "types" / f"{module}.py"] = source
        exports[module] = names
    files[PKG / "types" / "__init__.py"] = _package(exports)
    files[PKG / "types" / "_checks.py"] = _checks(built)
    files[PKG / "endpoints.py"] = _endpoints(built)
    files[PKG / "_sensitive.py"] = _sensitive(built)
    return files


def _package(exports: dict[str, list[str]]) -> str:
    lines = [header("Every PayerMax wire type, by API family; import from here or from the family module.")]
    names: list[str] = []
    for module, found in sorted(exports.items()):
        if found:
            lines.append(f"from .{module} import (\n" + "".join(f"    {n},\n" for n in found) + ")")
            names.extend(found)
    lines.append("\n__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(names)) + "]\n")
    return "\n".join(lines)


def _decimal_tables(rules: dict[str, Any]) -> str:
    cd = rules["currency_decimals"]
    table: dict[str, int] = {"*": cd["default"]}
    for word, places in (("zero", 0), ("three", 3), ("four", 4)):
        table.update(dict.fromkeys(cd.get(word, []), places))
    table.update({k: v for k, v in rules["currency_decimals_payermax"].items() if k != "why"})
    refund = dict(table)
    refund.update({k: v for k, v in rules["refund_decimals"].items() if k != "why"})
    return (
        f"_DECIMALS = {dict(sorted(table.items()))!r}\n_REFUND_DECIMALS = {dict(sorted(refund.items()))!r}\n"
    )


def _selector(api: str, rule: dict[str, Any]) -> str:
    lines = [
        f"def select_{snake(api)}(v: Any) -> str:",
        '    """The variant key whose shape this request must meet."""',
    ]
    for entry in rule["order"]:
        conds = []
        for path, want in entry["when"].items():
            steps = tuple(snake(s) for s in path.split("."))
            getter = f"_c.get(v, {steps!r})"
            conds.append(f"{getter} is not None" if want == "present" else f"{getter} == {want!r}")
        test = " and ".join(conds) or "True"
        lines.append(f"    if {test}:\n        return {entry['variant']!r}")
    first = next(iter(rule["order"][0]["when"]), "data")
    lines.append(f"    raise _c.no_variant({first!r})")
    return "\n".join(lines) + "\n"


def _checks(built: Built) -> str:
    writer = CheckWriter(built.model.specs, built.rules["money_may_be_zero"]["paths"])
    tops: list[str] = []
    used: set[str] = set()
    for top in built.tops:
        if top.request is None:
            continue
        table = OPERATION_DECIMALS.get(top.key, "_DECIMALS")
        for key in top.variants:
            node = built.doc["operations"][key]["request"]["properties"]["data"]
            fn = writer.struct_check(node, top.request, table)
            tops.append(
                f"def check_{snake(key)}(v: Any) -> None:\n"
                f"    if not isinstance(v, {top.request.name}):\n"
                f'        raise _c.bad_type("data", "a {top.request.name}")\n'
                f'    {fn}(v, "")\n'
            )
    body = "\n\n".join(writer.order + tops)
    for name in built.model.specs:
        if re.search(rf"\b{name}\b", body):
            used.add(name)
    selectors = "\n\n".join(_selector(api, built.rules[rule]) for api, rule in sorted(MERGED.items()))
    by_module: dict[str, list[str]] = {}
    for name in sorted(used):
        by_module.setdefault(built.homes[name], []).append(name)
    imports = "\n".join(f"from .{m} import {', '.join(ns)}" for m, ns in sorted(by_module.items()))
    constants = "\n".join(writer.constants())
    return (
        header("Request checks: each variant's own requirements, lengths, enums, charsets and money.")
        + ("\nimport re" if "re.compile(" in constants else "")
        + "\nfrom typing import Any\n\nfrom . import _check as _c\n"
        + imports
        + "\n\n"
        + constants
        + "\n"
        + _decimal_tables(built.rules)
        + "\n\n"
        + body
        + "\n\n"
        + selectors
    )


def _bound_ids() -> frozenset[str]:
    """Every request field some call binds its answer by: the idempotency fields and the ids the
    methods name (the hand-written capture binds out_trade_no and request_id, both among them)."""
    names = {snake(w) for _, _, idem, _ in API.values() for w in idem}
    names.update(i for m in METHODS.values() for i in m.ids or ())
    return frozenset(names)


def _echoes(entry: dict[str, Any], bound: frozenset[str]) -> tuple[str, ...]:
    """The request's ids a success answer must carry back (wire names): those its ``data`` schema
    has and every one of PayerMax's success examples carries. An answer PayerMax documents without
    one must not be refused, so one such example, or none at all, leaves the id optional."""

    def data_props(part: str) -> dict[str, Any]:
        return entry[part].get("properties", {}).get("data", {}).get("properties", {})  # type: ignore[no-any-return]

    sent = data_props("request")
    answers = [e.get("data") for e in entry["response_examples"] if e.get("code") == "APPLY_SUCCESS"]
    return tuple(
        wire
        for wire in data_props("response")
        if wire in sent
        and snake(wire) in bound
        and answers
        and all(isinstance(a, dict) and a.get(wire) is not None for a in answers)
    )


def _endpoints(built: Built) -> str:
    versions = built.rules["versions"]["by_variant"]
    bound = _bound_ids()
    rows = []
    imports: dict[str, set[str]] = {}
    for top in built.tops:
        family, _, idem, reconcile = API[top.key]
        for key in top.variants:
            entry = built.doc["operations"][key]
            examples = entry["request_examples"]
            version = versions.get(key) or (examples[0].get("version") if examples else None) or "1.0"
            req = top.request.name if top.request else "None"
            res = top.result.name if top.result else "None"
            for spec in (top.request, top.result):
                if spec is not None:
                    imports.setdefault(built.homes[spec.name], set()).add(spec.name)
            check = f"_k.check_{snake(key)}" if top.request else "_no_data"
            # a few older endpoints name the app id merchantAppId in the envelope
            envelope = entry["request"].get("properties", {})
            app_id = "merchantAppId" if "merchantAppId" in envelope and "appId" not in envelope else "appId"
            echoes = _echoes(entry, bound)
            rows.append(
                f"    {key!r}: Endpoint(\n"
                f"        api_name={top.key!r}, variant={entry['variant']!r}, key={key!r},\n"
                f"        version={version!r},\n"
                f"        request_type={req}, result_type={res}, family={family!r},\n"
                f"        idempotency={tuple(snake(i) for i in idem)!r}, idempotency_wire={idem!r},\n"
                f"        echoes={tuple(snake(i) for i in echoes)!r}, echoes_wire={echoes!r},\n"
                f"        reconcile={reconcile!r}, check={check},\n"
                + (f"        app_id_field={app_id!r},\n" if app_id != "appId" else "")
                + "    ),"
            )
    selectors = ", ".join(f"{api!r}: _k.select_{snake(api)}" for api in sorted(MERGED))
    imp = "\n".join(f"from .types.{m} import {', '.join(sorted(ns))}" for m, ns in sorted(imports.items()))
    return (
        header(
            "The endpoint table: one Endpoint per apiName and documented variant, with its default\n"
            "version, request and result types, idempotency fields, the ids its answers echo and how an\n"
            "unknown outcome is settled."
        )
        + "\nfrom typing import Any\n\nfrom ._endpoint import Endpoint\nfrom .types import _checks as _k\n"
        + imp
        + '\n\n__all__ = ["ENDPOINTS", "SELECTORS", "endpoint_for", "validate_request"]\n\n\n'
        + "def _no_data(v: Any) -> None:\n    pass\n\n\n"
        + "ENDPOINTS: dict[str, Endpoint] = {\n"
        + "\n".join(rows)
        + "\n}\n\n"
        + f"SELECTORS = {{{selectors}}}\n\n\n"
        + "def endpoint_for(api_name: str, data: Any = None) -> Endpoint:\n"
        + '    """The endpoint (variant) a request goes to, chosen by the request\'s fields."""\n'
        + "    select = SELECTORS.get(api_name)\n"
        + "    return ENDPOINTS[select(data) if select is not None and data is not None else api_name]\n\n\n"
        + "def validate_request(api_name: str, data: Any) -> Endpoint:\n"
        + '    """Check ``data`` against its variant before any byte is sent; raise InvalidRequestError."""\n'
        + "    endpoint = endpoint_for(api_name, data)\n"
        + "    endpoint.check(data)\n"
        + "    return endpoint\n"
    )


def _sensitive_by_api(built: Built) -> dict[str, set[str]]:
    """apiName -> wire names masked in its requests and answers only (``x-sensitive`` nodes)."""
    found: dict[str, set[str]] = {}

    def visit(node: Any, api: str) -> None:
        if not isinstance(node, dict):
            return
        for name, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and sub.get("x-sensitive"):
                found.setdefault(api, set()).add(name)
            visit(sub, api)
        visit(node.get("items"), api)

    for entry in built.doc["operations"].values():
        for part in ("request", "response"):
            visit(entry[part], entry["api_name"])
    return found


def _sensitive(built: Built) -> str:
    rules = built.rules["sensitive"]
    rows = "".join(
        f"    {cat!r}: frozenset({sorted(set(names))!r}),\n" for cat, names in rules.items() if cat != "why"
    )
    by_api = "".join(
        f"    {api!r}: frozenset({sorted(names)!r}),\n"
        for api, names in sorted(_sensitive_by_api(built).items())
    )
    return (
        header("Wire names whose values never reach a log line, a repr or an error message.")
        + '\n__all__ = ["SENSITIVE", "SENSITIVE_BY_API", "SENSITIVE_BY_CATEGORY"]\n\n'
        + f"SENSITIVE_BY_CATEGORY: dict[str, frozenset[str]] = {{\n{rows}}}\n\n"
        + "SENSITIVE: frozenset[str] = frozenset().union(*SENSITIVE_BY_CATEGORY.values())\n\n"
        + "#: names masked in one apiName's bodies only: harmless elsewhere (``value`` is an amount's)\n"
        + f"SENSITIVE_BY_API: dict[str, frozenset[str]] = {{\n{by_api}}}\n"
    )
