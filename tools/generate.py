"""Generate the wire types, the request checks and the endpoint table from PayerMax's corrected schema.

    python tools/generate.py          # (re)write types/*, endpoints.py, _sensitive.py, resources/*
    python tools/generate.py --check  # exit 1 when a generated file differs from what it would write

Inputs: ``payermax_async/_schema`` (facts + overlay) and ``tools/gen_tables.py`` (our arrangement).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import gen_files  # noqa: E402
import gen_methods  # noqa: E402
from gen_model import Model, Spec, SpecField, merge  # noqa: E402
from gen_naming import snake  # noqa: E402
from gen_tables import API, CALLBACKS, DOCS, NESTED_NAMES  # noqa: E402

from payermax_async import _schema  # noqa: E402

__all__ = ["Built", "Top", "build", "drift", "main", "render_all"]


@dataclass
class Top:
    """One apiName (variants merged) or one notification: its family and top-level specs."""

    key: str  # apiName, or the notification stem
    family: str
    request: Spec | None
    result: Spec | None
    variants: list[str]  # schema keys (operations) or callback keys


@dataclass
class Built:
    doc: dict[str, Any]
    rules: dict[str, Any]
    model: Model
    tops: list[Top]
    notifications: list[Top]
    homes: dict[str, str]  # spec or enum name -> module


def _data_nodes(doc: dict[str, Any], section: str, keys: list[str], part: str) -> list[tuple[str, Any]]:
    found = []
    for key in keys:
        root = doc[section][key][part]
        if "data" in root.get("properties", {}) and root["properties"]["data"].get("properties"):
            found.append((f"{section}/{key}/{part}/data", root["properties"]["data"]))
    return found


def build() -> Built:
    doc, rules = _schema.load(), _schema.rules()
    enums = {k: v for k, v in rules["named_enums"].items() if k != "why"}
    model = Model(doc, enums)
    groups: dict[str, list[str]] = {}
    for key, entry in doc["operations"].items():
        groups.setdefault(entry["api_name"], []).append(key)
    tops: list[Top] = []
    # The families whose nested objects carry public names are built first, so they keep them.
    first = ("orders", "auth_capture", "refunds", "payouts")
    for api, keys in sorted(groups.items(), key=lambda g: (API[g[0]][0] not in first, API[g[0]][0])):
        family, stem, _, _ = API[api]
        specs: list[Spec | None] = []
        for part, suffix, side in (("request", "Request", "request"), ("response", "Result", "result")):
            nodes = _data_nodes(doc, "operations", keys, part)
            specs.append(
                model.build(merge(nodes), f"{stem}{suffix}", side, family, "data", NESTED_NAMES)
                if nodes
                else None
            )
        for spec, what in zip(specs, ("request", "answer"), strict=True):
            if spec is not None and spec.name.startswith(stem):
                spec.doc = f"The ``data`` of a ``{api}`` {what}."
        tops.append(Top(api, family, specs[0], specs[1], keys))
    notifications: list[Top] = []
    stems: dict[str, list[str]] = {}
    for key in doc["callbacks"]:
        stems.setdefault(CALLBACKS[key], []).append(key)
    for stem, keys in stems.items():
        model.verbatim[("notifications", "data")] = f"{stem}NotificationData"
        roots = [(f"callbacks/{k}/request", doc["callbacks"][k]["request"]) for k in keys]
        roots = [(loc, r) for loc, r in roots if r.get("properties")]
        note = (
            model.build(merge(roots), f"{stem}Notification", "result", "notifications", "", {})
            if roots
            else None
        )
        model.verbatim[("notifications", "data")] = f"{stem}AnswerData"
        answers = [(f"callbacks/{k}/response", doc["callbacks"][k]["response"]) for k in keys]
        answers = [(loc, r) for loc, r in answers if r.get("properties")]
        answer = None
        if any("data" in r["properties"] for _, r in answers):
            answer = model.build(merge(answers), f"{stem}Answer", "request", "notifications", "", {})
        elif answers:
            answer = model.build(
                merge(answers), "NotificationAck", "result", "notifications", "", {}, f"{stem}Notification"
            )
        if note is not None:
            note.doc = f"A signed notification PayerMax sends to {', '.join(f'``{k}``' for k in keys)}."
        notifications.append(Top(stem, "notifications", answer, note, keys))
    notifications.append(Top("Generic", "notifications", None, _generic(model), []))
    for name, text in DOCS.items():
        model.specs[name].doc = text
    homes = _homes(model, [*tops, *notifications], enums)
    return Built(doc, rules, model, tops, notifications, homes)


def _generic(model: Model) -> Spec:
    """The envelope every notification shares, for a notifyType without a class of its own."""
    fields = [
        SpecField(wire, snake(wire), ann, False, kind)
        for wire, ann, kind in (
            ("code", "str", "str"),
            ("msg", "str", "str"),
            ("keyVersion", "str", "str"),
            ("appId", "str", "str"),
            ("merchantNo", "str", "str"),
            ("notifyTime", "AwareDatetime", "datetime"),
            ("notifyType", "str", "str"),
            ("version", "str", "str"),
            ("data", "dict[str, Any]", "dict"),
        )
    ]
    doc = "A notification without a class of its own: the shared envelope, ``data`` left as JSON."
    return model.add(Spec(name="GenericNotification", side="result", fields=fields, doc=doc))


def _homes(model: Model, tops: list[Top], enums: dict[str, Any]) -> dict[str, str]:
    """A struct used by one family lives in its module; one used by several in ``common``."""
    users: dict[str, set[str]] = {}

    def visit(name: str, family: str) -> None:
        if family in users.setdefault(name, set()):
            return
        users[name].add(family)
        for child in model.specs[name].children:
            visit(child, family)

    for top in tops:
        for spec in (top.request, top.result):
            if spec is not None:
                visit(spec.name, top.family)
    homes = {name: (next(iter(fams)) if len(fams) == 1 else "common") for name, fams in users.items()}
    homes.update({name: "common" for name in enums})
    return homes


def _ruff(args: list[str], source: str, path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def _ruff_format(source: str, path: Path) -> str:
    """Sorted imports, then ruff's formatting: generated files pass the same lint as written ones."""
    sorted_imports = _ruff(["check", "--fix", "--exit-zero", "--quiet", "--select", "I"], source, path)
    return _ruff(["format"], sorted_imports, path)


def render_all() -> dict[Path, str]:
    """Every generated file's path and formatted content."""
    built = build()
    files = {**gen_files.render(built), **gen_methods.render(built)}
    return {path: _ruff_format(text, path) for path, text in files.items()}


def _leftovers(files: dict[Path, str]) -> list[Path]:
    """Family and resource modules no longer generated (hand-written ones start with "_")."""
    found = [*(ROOT / "payermax_async" / "types").glob("*.py"), *gen_methods.DIR.glob("*.py")]
    return sorted(p for p in found if p not in files and not p.name.startswith("_"))


def drift(files: dict[Path, str]) -> list[Path]:
    """Files that differ from what the generator writes, and generated files it no longer writes."""
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    return stale + _leftovers(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    args = parser.parse_args(argv)
    files = render_all()
    found = drift(files)
    if args.check:
        for p in found:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        if found:
            print("run: python tools/generate.py", file=sys.stderr)
        return 1 if found else 0
    for p in found:
        if p in files:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(files[p], encoding="utf-8")
            print(f"wrote {p.relative_to(ROOT)}")
        else:
            p.unlink()
            print(f"removed {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
