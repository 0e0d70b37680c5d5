"""Unit tests use no sockets: a test that tries to connect anywhere fails loudly. ``gw`` hands out the
operations' scripted gateway."""

from __future__ import annotations

import socket

import pytest

from ..support import Keys, ScriptedGateway
from .opskit import Gateway


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"a unit test tried to connect to {address!r}; use the gateway fixture")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def gw(keys: Keys, gateway: ScriptedGateway) -> Gateway:
    """The operations' scripted gateway (tests/unit/opskit.py)."""
    return Gateway(gateway, keys)
