"""The package's public names load on first use, and each is the object its submodule defines."""

from __future__ import annotations

import importlib

import pytest

import payermax_async
import payermax_async.testing


@pytest.mark.parametrize("package", [payermax_async, payermax_async.testing])
def test_every_public_name_resolves_to_its_definition(package: object) -> None:
    lazy: dict[str, str] = getattr(package, "_LAZY")  # noqa: B009
    names: list[str] = getattr(package, "__all__")  # noqa: B009
    assert set(lazy) <= set(names)
    for name in names:
        value = getattr(package, name)
        if name in lazy:
            module = importlib.import_module(lazy[name], getattr(package, "__name__"))  # noqa: B009
            assert value is getattr(module, name)
    assert set(names) <= set(dir(package))


def test_submodules_and_unknown_names() -> None:
    assert payermax_async.sync.PayerMaxClient.__name__ == "PayerMaxClient"  # a submodule by attribute
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        payermax_async.nope  # noqa: B018
    namespace: dict[str, object] = {}
    exec("from payermax_async import *", namespace)
    assert namespace["PayerMaxClient"] is payermax_async.PayerMaxClient
