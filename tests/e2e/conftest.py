"""End-to-end tests (real sockets on 127.0.0.1, subprocesses, worker processes) are marked slow:
``pytest -m "not slow"`` runs the rest in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
