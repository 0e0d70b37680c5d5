"""Shared fixtures: keys made once per session (RSA key generation is the slow part of setup), clients,
a scripted gateway behind a MockTransport (no socket), and hand-made requests to the simulator."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.signing import generate_key_pair
from payermax_async.testing import GatewaySimulator, RawCaller

from .support import Keys, ScriptedGateway


@pytest.fixture(autouse=True)
def _library_logger_restored() -> Iterator[None]:
    """The CLI, run in-process by some tests, configures the library's logger for the whole process
    (as a command line program may); each test starts from the logger as it was."""
    logger = logging.getLogger("payermax_async")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]


@pytest.fixture(scope="session")
def keys() -> Keys:
    mpriv, mpub = generate_key_pair()
    ppriv, ppub = generate_key_pair()
    return Keys(mpriv, mpub, ppriv, ppub)


@pytest.fixture
def gateway() -> ScriptedGateway:
    return ScriptedGateway()


@pytest.fixture
def make_client(keys: Keys, gateway: ScriptedGateway) -> Callable[..., PayerMaxClient]:
    """A client factory. Without ``base_url`` (or a session or transport) the client talks to the
    ``gateway`` fixture through a MockTransport: no socket."""

    def make(**kwargs: Any) -> PayerMaxClient:
        if not {"base_url", "session", "transport"} & set(kwargs):
            kwargs["transport"] = gateway.transport()
        params: dict[str, Any] = {
            "app_id": "app-test",
            "merchant_no": "M-TEST-1",
            "private_key": keys.merchant_private,
            "payermax_public_key": keys.payermax_public,
            "base_url": "http://127.0.0.1:9",
            # real backoff shape, test-sized waits
            "retry": RetryPolicy(backoff_base=0.001, backoff_max=0.01, rng=random.Random(7)),
        }
        params.update(kwargs)
        return PayerMaxClient(**params)

    return make


@pytest.fixture
async def client(make_client: Callable[..., PayerMaxClient]) -> AsyncIterator[PayerMaxClient]:
    c = make_client()
    yield c
    await c.aclose()


@pytest.fixture
async def raw(payermax_simulator: GatewaySimulator) -> AsyncIterator[RawCaller]:
    """Hand-made requests to the ``payermax_simulator``."""
    async with RawCaller(payermax_simulator) as caller:
        yield caller
