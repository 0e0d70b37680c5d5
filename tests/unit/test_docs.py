"""The API reference is generated from docstrings: every public name must have one of its own, and
every public name must be on a reference page (``mkdocs build --strict`` in CI renders them)."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from types import ModuleType

import pytest

import payermax_async
import payermax_async.testing

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = [(module, name) for module in (payermax_async, payermax_async.testing) for name in module.__all__]
# constants (ACK_BODY, the URLs, __version__) are described on their reference pages instead
DOCUMENTED = [
    (module, name)
    for module, name in PUBLIC
    if inspect.isclass(getattr(module, name)) or inspect.isfunction(getattr(module, name))
]


def own_docstring(obj: object) -> str:
    """The object's own docstring: not inherited, and not the signature a dataclass writes in."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not isinstance(doc, str):
        return ""
    if dataclasses.is_dataclass(obj) and inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""
    return doc.strip()


@pytest.mark.parametrize(("module", "name"), DOCUMENTED, ids=[f"{m.__name__}.{n}" for m, n in DOCUMENTED])
def test_every_public_class_and_function_has_a_docstring(module: ModuleType, name: str) -> None:
    assert own_docstring(getattr(module, name)), f"{module.__name__}.{name} has no docstring of its own"


def test_the_docstring_check_sees_through_dataclass_and_inherited_docstrings() -> None:
    @dataclasses.dataclass
    class Bare:
        x: int

    class Child(payermax_async.PayerMaxError):
        pass

    assert own_docstring(Bare) == ""
    assert own_docstring(Child) == ""
    assert own_docstring(payermax_async.PayerMaxClient)


def test_every_public_name_is_on_a_reference_page() -> None:
    pages = "".join(p.read_text("utf-8") for p in (ROOT / "docs" / "reference").glob("*.md"))
    missing = [
        f"{m.__name__}.{n}"
        for m, n in PUBLIC
        if n != "__version__" and f"::: {m.__name__}.{n}\n" not in pages
    ]
    assert missing == []


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")]
    assert pages and [p for p in pages if p not in nav] == []
