"""Shared fixtures: keys are made once per session (RSA key generation is the slow part of setup)."""

from __future__ import annotations

import base64
import functools
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.signing import RsaSigner, generate_key_pair
from payermax_async.testing import GatewaySimulator, RawCaller

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Keys:
    merchant_private: str  # bare base64 PKCS#8 DER, as PayerMax hands it out
    merchant_public: str
    payermax_private: str
    payermax_public: str

    def payermax_sign(self, body: bytes) -> str:
        return base64.b64encode(_signer(self.payermax_private).sign(body)).decode()


@functools.lru_cache(maxsize=8)
def _signer(private_key: str) -> RsaSigner:
    return RsaSigner(private_key)  # parsing a key costs ~100 ms: once per key, not per response


@pytest.fixture(scope="session")
def keys() -> Keys:
    mpriv, mpub = generate_key_pair()
    ppriv, ppub = generate_key_pair()
    return Keys(mpriv, mpub, ppriv, ppub)


@pytest.fixture
def make_client(keys: Keys) -> Callable[..., PayerMaxClient]:
    def make(**kwargs: object) -> PayerMaxClient:
        params: dict[str, object] = {
            "app_id": "app-test",
            "merchant_no": "M-TEST-1",
            "private_key": keys.merchant_private,
            "payermax_public_key": keys.payermax_public,
            "base_url": "http://127.0.0.1:9",
            # real backoff shape, test-sized waits
            "retry": RetryPolicy(backoff_base=0.001, backoff_max=0.01, rng=random.Random(7)),
        }
        params.update(kwargs)
        return PayerMaxClient(**params)  # type: ignore[arg-type]

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
