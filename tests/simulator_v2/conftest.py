"""Fixtures of the gateway's pure-logic tests."""

from __future__ import annotations

import pytest

from payermax_async.testing.gateway.facts import Facts

from .flowkit import Driver
from .kit import FACTS


@pytest.fixture
def facts() -> Facts:
    return FACTS


@pytest.fixture
def drive() -> Driver:
    """A gateway in checking mode, its clock in the test's hands."""
    return Driver()
