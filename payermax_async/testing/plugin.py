"""pytest plugin: the ``payermax_simulator`` fixture, registered through the ``pytest11`` entry point.

Installing this library loads this plugin into every pytest run of the environment, so importing
it imports nothing heavy: no aiohttp, no simulator, no RSA; they load when a test first asks for
a fixture. The fixture is async and needs pytest-asyncio (any mode; it is declared with
``pytest_asyncio.fixture`` so strict mode works too). A test that asks for it without
pytest-asyncio fails with the reason, rather than being skipped where nobody looks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .simulator import GatewaySimulator

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["SimulatorKeys", "payermax_simulator", "payermax_simulator_keys"]

_NEEDS_ASYNCIO = (
    "the payermax_simulator fixture needs the pytest-asyncio plugin: pip install pytest-asyncio "
    "(and do not disable it with -p no:asyncio)"
)


@dataclass(frozen=True, repr=False)
class SimulatorKeys:
    """Key material shared by the simulators of one session; never printed."""

    merchant_private_key: str
    merchant_public_key: str
    payermax_private_key: str
    payermax_public_key: str


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail, before any fixture runs, a test that needs the async fixture but cannot run it."""
    if "payermax_simulator" in getattr(item, "fixturenames", ()) and not item.config.pluginmanager.hasplugin(
        "asyncio"
    ):
        pytest.fail(_NEEDS_ASYNCIO, pytrace=False)


@pytest.fixture(scope="session")
def payermax_simulator_keys() -> SimulatorKeys:
    """One merchant key pair and one PayerMax key pair per test session.

    RSA key generation costs tens of milliseconds; a suite with hundreds of simulator tests
    should not pay it twice per test. Ids and all state are still fresh per test.
    """
    from ..signing import generate_key_pair

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
        from .simulator import GatewaySimulator

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
        pytest.fail(_NEEDS_ASYNCIO, pytrace=False)
