"""Names a package exports without importing their modules until first used (PEP 562), so that
``import payermax_async`` (or its test kit) stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

__all__ = ["resolve"]


def resolve(package: str, table: Mapping[str, str], namespace: dict[str, Any], name: str) -> Any:
    """``package.name``: from the module ``table`` names (then kept in ``namespace``), or a submodule."""
    module = table.get(name)
    if module is None:
        try:
            return importlib.import_module(f"{package}.{name}")  # a submodule, e.g. .sync
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, package), name)
    namespace[name] = value
    return value
