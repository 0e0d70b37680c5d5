"""Shared fixtures: keys made once per session (RSA key generation is the slow part of setup), clients,
a scripted gateway behind a MockTransport (no socket), and hand-made requests to the simulator."""

from __future__ import annotations

import base64
import functools
import inspect
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from payermax_async import PayerMaxClient, ResponseLostError, RetryPolicy
from payermax_async.signing import RsaSigner, generate_key_pair
from payermax_async.testing import GatewaySimulator, RawCaller
from payermax_async.transport import HttpResponse, MockRequest, MockTransport

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


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


#: builds an answer from (url, data=<body bytes>, headers=<request headers>)
Callback = Callable[..., "Reply | Awaitable[Reply]"]


@dataclass
class _Route:
    callback: Callback | None
    reply: Reply
    exception: BaseException | None
    repeat: bool


class ScriptedGateway:
    """Answers by URL from a script: each ``post`` adds an answer, used once in order, or for good
    with ``repeat=True``. ``requests`` holds every request sent, answered or not."""

    def __init__(self) -> None:
        self.routes: dict[str, list[_Route]] = {}
        self.requests: list[MockRequest] = []

    def post(
        self,
        url: str,
        *,
        callback: Callback | None = None,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        exception: BaseException | None = None,
        repeat: bool = False,
    ) -> None:
        self.routes.setdefault(url, []).append(
            _Route(callback, Reply(status, body, dict(headers or {})), exception, repeat)
        )

    async def handle(self, request: MockRequest) -> HttpResponse:
        self.requests.append(request)
        routes = self.routes.get(request.url)
        if not routes:
            raise ResponseLostError(f"the script has no answer for {request.url}")
        route = routes[0] if routes[0].repeat else routes.pop(0)
        if route.exception is not None:
            raise route.exception
        reply = route.reply
        if route.callback is not None:
            made = route.callback(request.url, data=request.body, headers=request.headers)
            reply = await made if inspect.isawaitable(made) else made
        return HttpResponse(reply.status, dict(reply.headers), reply.body)

    def transport(self) -> MockTransport:
        return MockTransport(self.handle)


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
