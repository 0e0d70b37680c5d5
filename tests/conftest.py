"""Shared fixtures: keys made once per session (RSA key generation is the slow part of setup), clients,
a scripted gateway behind a MockTransport (no socket), and hand-made requests to the simulator."""

from __future__ import annotations

import gc
import logging
import random
import tracemalloc
import warnings
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


@pytest.fixture(scope="module", autouse=True)
def _nothing_left_unclosed(request: pytest.FixtureRequest) -> Iterator[None]:
    """A ResourceWarning fails the test during which the leaked object is freed (pyproject); one in a
    reference cycle is freed only when gc runs, which may be in any later module. Collecting here pins
    it on the module that leaked it. ``python -X tracemalloc=25`` shows where each one was made."""
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    leaks = []
    for w in caught:
        if not issubclass(w.category, ResourceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            continue
        made = tracemalloc.get_object_traceback(w.source) if w.source is not None else None
        leaks.append(str(w.message) + ("" if made is None else ", made at:\n" + "\n".join(made.format())))
    assert not leaks, f"{request.node.nodeid} left these unclosed:\n" + "\n".join(leaks)


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
