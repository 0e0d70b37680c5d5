"""pytest plugin: the ``payermax_simulator`` fixture, registered through the ``pytest11`` entry point.

The fixture is async, so it needs pytest-asyncio (any mode; it is declared with
``pytest_asyncio.fixture`` so strict mode works too). Without pytest-asyncio the plugin still
loads, so that installing this library never breaks an unrelated test suite; only a test that
asks for the fixture is skipped, with the reason.

Entry-point plugins are imported before pytest-cov starts measuring, and importing this module
imports the whole library, so measure this project with ``coverage run -m pytest`` (as CI does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from ..signing import generate_key_pair
from .simulator import GatewaySimulator

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["SimulatorKeys", "payermax_simulator", "payermax_simulator_keys"]


@dataclass(frozen=True, repr=False)
class SimulatorKeys:
    """Key material shared by the simulators of one session; never printed."""

    merchant_private_key: str
    merchant_public_key: str
    payermax_private_key: str
    payermax_public_key: str


@pytest.fixture(scope="session")
def payermax_simulator_keys() -> SimulatorKeys:
    """One merchant key pair and one PayerMax key pair per test session.

    RSA key generation costs tens of milliseconds; a suite with hundreds of simulator tests
    should not pay it twice per test. Ids and all state are still fresh per test.
    """
    merchant_private, merchant_public = generate_key_pair()
    payermax_private, payermax_public = generate_key_pair()
    return SimulatorKeys(merchant_private, merchant_public, payermax_private, payermax_public)


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def payermax_simulator(payermax_simulator_keys: SimulatorKeys) -> AsyncIterator[GatewaySimulator]:
        """A started :class:`~payermax_async.testing.GatewaySimulator` on 127.0.0.1, closed afterwards.

        ``payermax_simulator.client()`` gives a client wired to it. An answer or notification of
        the simulator's that PayerMax's schema does not describe fails the test at teardown.
        """
        keys = payermax_simulator_keys
        async with GatewaySimulator(
            merchant_private_key=keys.merchant_private_key,
            merchant_public_key=keys.merchant_public_key,
            payermax_private_key=keys.payermax_private_key,
            payermax_public_key=keys.payermax_public_key,
        ) as sim:
            yield sim
            if sim.shape_errors:
                raise AssertionError(f"the simulator broke PayerMax's schema: {sim.shape_errors}")

else:  # pragma: no cover - exercised only without pytest-asyncio

    @pytest.fixture
    def payermax_simulator() -> None:
        pytest.skip("the payermax_simulator fixture needs pytest-asyncio: pip install pytest-asyncio")
