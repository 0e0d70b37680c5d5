"""Derive ``payermax_async/_schema/facts.json`` from PayerMax's OpenAPI export.

Why a facts file instead of reading ``api.json`` directly: the export is PayerMax's prose as much as
its data (Chinese descriptions, titles, a sample signature), and it is not ours to ship. The facts
keep what a machine needs (names, types, required flags, lengths, enums, formats and PayerMax's own
examples) and drop the prose. Nothing is corrected here: corrections live in ``overlay.json`` with a
reason each, so a new export from PayerMax is one command and the overlay shows what we believe
differs from it.

    python tools/extract_schema.py [path/to/api.json]          # rewrite facts.json
    python tools/extract_schema.py --check [path/to/api.json]  # exit 1 if facts.json is stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "payermax-openapi" / "api.json"
FACTS = ROOT / "payermax_async" / "_schema" / "facts.json"
GATEWAY_PREFIX = "/aggregate-pay/api/gateway/"

# JSON Schema keywords that carry facts; everything else (description, title, summary) is prose.
KEPT_KEYWORDS = (
    "type",
    "format",
    "enum",
    "default",
    "maxLength",
    "minLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "deprecated",
    "examples",
    "required",
    "properties",
)


def _resolve_ref(ref: str, spec: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported: {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[urllib.parse.unquote(part)]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref} is not an object")
    return node


def clean_schema(schema: Any, spec: dict[str, Any]) -> Any:
    """The schema with prose removed and local ``$ref`` inlined.

    Apifox exports a ``$ref`` with an inline copy beside it; the copy is what PayerMax edited last, so
    its keywords win and properties are the union (the copy's own first).
    """
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = clean_schema(_resolve_ref(schema["$ref"], spec), spec)
        siblings = clean_schema({k: v for k, v in schema.items() if k != "$ref"}, spec)
        merged = {**target, **siblings}
        if "properties" in target or "properties" in siblings:
            merged["properties"] = {**target.get("properties", {}), **siblings.get("properties", {})}
        return {k: merged[k] for k in KEPT_KEYWORDS if k in merged}
    out: dict[str, Any] = {}
    for key in KEPT_KEYWORDS:
        if key not in schema:
            continue
        value = schema[key]
        if key == "properties":
            value = {name: clean_schema(sub, spec) for name, sub in value.items()}
        elif key == "items":
            value = clean_schema(value, spec)
        out[key] = value
    return out


def _examples(content: dict[str, Any]) -> list[Any]:
    found = []
    if "example" in content:
        found.append(content["example"])
    for entry in content.get("examples", {}).values():
        if isinstance(entry, dict) and "value" in entry:
            found.append(entry["value"])
    return found


def _json_content(body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    content = body.get("content", {})
    for ctype, value in content.items():
        return ctype, value
    return None, {}


def _exchange(op: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    req_type, req = _json_content(op.get("requestBody", {}))
    resp_type, resp = _json_content(op.get("responses", {}).get("200", {}))
    return {
        "request_content_type": req_type,
        "request_headers": [
            {"name": p["name"], "required": bool(p.get("required"))}
            for p in op.get("parameters", [])
            if p.get("in") == "header"
        ],
        "request": clean_schema(req.get("schema", {}), spec),
        "request_examples": _examples(req),
        "response_content_type": resp_type,
        "response": clean_schema(resp.get("schema", {}), spec),
        "response_examples": _examples(resp),
    }


def split_path_key(key: str) -> tuple[str, str | None]:
    """``orderAndPay(for-drop-dont-copy-me)`` -> (``orderAndPay``, ``for-drop-dont-copy-me``);
    ``orderAndPay/delSuffixStart1`` -> (``orderAndPay``, ``delSuffixStart1``)."""
    if "(" in key and key.endswith(")"):
        name, variant = key[:-1].split("(", 1)
        return name, variant
    if "/" in key:
        name, variant = key.split("/", 1)
        return name, variant
    return key, None


def extract(spec: dict[str, Any], source_bytes: bytes) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    callbacks: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        op = item["post"]
        entry = _exchange(op, spec)
        entry["tags"] = list(op.get("tags", []))
        if path.startswith(GATEWAY_PREFIX):
            key = path[len(GATEWAY_PREFIX) :]
            api_name, variant = split_path_key(key)
            operations[key] = {"api_name": api_name, "variant": variant, **entry}
        else:
            callbacks[path.lstrip("/")] = entry
    return {
        "generated_by": "tools/extract_schema.py",
        "source": {
            "file": "api.json",
            "sha256": hashlib.sha256(source_bytes).hexdigest(),
            "openapi": spec.get("openapi"),
            "servers": [s["url"] for s in spec.get("servers", [])],
        },
        "operations": operations,
        "callbacks": callbacks,
    }


def render(facts: dict[str, Any]) -> str:
    return json.dumps(facts, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--check", action="store_true", help="fail if facts.json differs")
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    text = render(extract(json.loads(raw), raw))
    if args.check:
        if not FACTS.exists() or FACTS.read_text(encoding="utf-8") != text:
            print(f"{FACTS} is stale: run python tools/extract_schema.py", file=sys.stderr)
            return 1
        return 0
    FACTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
