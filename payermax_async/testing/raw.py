"""Hand-made protocol requests, for tests of the gateway side of the protocol.

The client never sends a bad envelope, a stale ``requestTime`` or a wrong signature; a test that
wants the simulator's answer to one needs to build the request itself. :class:`RawCaller` signs
and posts arbitrary bytes and returns what came back, unverified and undecoded.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from ..signing import RsaSigner, RsaVerifier, verify_sign_header
from .wire import API_PATH, encode, rfc3339_millis

if TYPE_CHECKING:
    from .simulator import GatewaySimulator

__all__ = ["RawAnswer", "RawCaller"]


@functools.lru_cache(maxsize=8)
def _signer(private_key: str) -> RsaSigner:
    return RsaSigner(private_key)  # parsing a key costs tens of ms: once per key


@functools.lru_cache(maxsize=8)
def _verifier(public_key: str) -> RsaVerifier:
    return RsaVerifier(public_key)


@dataclass(frozen=True)
class RawAnswer:
    """What the gateway sent back, as bytes; nothing verified yet."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        value = json.loads(self.body, parse_float=Decimal)
        if not isinstance(value, dict):
            raise ValueError("the answer is not a JSON object")
        return value

    @property
    def code(self) -> str:
        return str(self.json["code"])

    @property
    def data(self) -> dict[str, Any]:
        value = self.json["data"]
        if not isinstance(value, dict):
            raise ValueError("the answer's data is not a JSON object")
        return value


class RawCaller:
    """A PayerMax caller for a :class:`GatewaySimulator` in which every part can be wrong on purpose.

    Pass an open ``session``, or use it as ``async with RawCaller(sim) as raw`` to have one made.
    """

    def __init__(self, sim: GatewaySimulator, session: aiohttp.ClientSession | None = None) -> None:
        self.sim = sim
        self._session = session
        self._owns_session = session is None
        self.signer = _signer(sim.merchant_private_key)
        self.verifier = _verifier(sim.payermax_public_key)

    async def __aenter__(self) -> RawCaller:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session, for plain requests to the simulator (its checkout pages, say)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def envelope(self, data: Any, **overrides: Any) -> dict[str, Any]:
        """A correct envelope around ``data``; an override of ``None`` drops that field."""
        env: dict[str, Any] = {
            "version": "1.4",
            "keyVersion": "1",
            "requestTime": rfc3339_millis(time.time()),
            "appId": self.sim.app_id,
            "merchantNo": self.sim.merchant_no,
            "data": data,
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.signer.sign(body)).decode()

    async def post(self, api_name: str, body: bytes, sign: str | None) -> RawAnswer:
        """Post ``body`` exactly as given, with ``sign`` as the header (none when None)."""
        headers = {"Content-Type": "application/json"}
        if sign is not None:
            headers["sign"] = sign
        url = self.sim.base_url + API_PATH + api_name
        async with self.session.post(url, data=body, headers=headers) as resp:
            return RawAnswer(resp.status, resp.headers, await resp.read())

    async def call(self, api_name: str, data: Any, **overrides: Any) -> RawAnswer:
        """A correctly signed request, but for the envelope ``overrides``.

        The version is the newest PayerMax documents for ``api_name`` unless overridden; the app id
        goes under ``merchantAppId`` for the operations whose schema spells it so.
        """
        facts = self.sim.gateway.facts
        documented = facts.versions(api_name)
        if documented and "version" not in overrides:
            overrides["version"] = max(documented, key=lambda v: tuple(int(p) for p in v.split(".")))
        envelope = self.envelope(data, **overrides)
        spells_it_merchant_app_id = (
            bool(facts.variants(api_name)) and "appId" not in facts.envelope_schema(api_name)["properties"]
        )
        if spells_it_merchant_app_id and "appId" in envelope and "merchantAppId" not in overrides:
            envelope["merchantAppId"] = envelope.pop("appId")
        body = encode(envelope)
        return await self.post(api_name, body, self.sign(body))

    def verified(self, answer: RawAnswer) -> bool:
        return verify_sign_header(self.verifier, answer.body, answer.headers.get("sign"))
