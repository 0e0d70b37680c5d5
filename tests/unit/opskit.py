"""A scripted gateway for the operations' unit tests: each apiName routed to a handler, every
request verified with the merchant's key and recorded (the ``gw`` fixture hands one out)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from payermax_async import ResponseLostError
from payermax_async.signing import RsaVerifier

from ..support import Keys, Reply, ScriptedGateway

__all__ = ["BACK", "BASE", "Gateway", "Handler", "lost", "lost_then_repeated", "ok", "reply"]

BASE = "http://127.0.0.1:9/aggregate-pay/api/gateway/"
BACK = "https://merchant.test/back"  # hosted checkout's frontCallbackUrl (required by PayerMax)


def lost() -> ResponseLostError:
    """An answer that never came (a fresh error each time: the pipeline annotates it)."""
    return ResponseLostError("connection failed mid-request")


Handler = Callable[[dict[str, Any]], Reply]


def reply(keys: Keys, data: Any = None, code: str = "APPLY_SUCCESS") -> Reply:
    body = json.dumps(
        {"code": code, "msg": "Success." if code == "APPLY_SUCCESS" else "no", "data": data}
    ).encode()
    return Reply(
        status=200, body=body, headers={"Content-Type": "application/json", "sign": keys.payermax_sign(body)}
    )


class Gateway:
    """Routes each apiName to a handler and records what was sent, verified with the merchant key."""

    def __init__(self, m: ScriptedGateway, keys: Keys) -> None:
        self.m, self.keys = m, keys
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def on(self, api: str, *handlers: Handler | Exception, repeat: bool = False) -> None:
        for handler in handlers:
            if isinstance(handler, Exception):
                self.m.post(BASE + api, exception=handler)
                continue

            def callback(url: Any, _h: Handler = handler, _api: str = api, **kw: Any) -> Reply:
                body, headers = kw["data"], kw["headers"]
                assert RsaVerifier(self.keys.merchant_public).verify(body, base64.b64decode(headers["sign"]))
                envelope = json.loads(body)
                self.sent.append((_api, envelope, headers))
                return _h(envelope)

            self.m.post(BASE + api, callback=callback, repeat=repeat)

    def envelopes(self, api: str) -> list[dict[str, Any]]:
        """The requests that got an answer (a raised exception records no envelope)."""
        return [env for name, env, _ in self.sent if name == api]

    def attempts(self, api: str) -> int:
        return sum(1 for r in self.m.requests if r.url == BASE + api)


def ok(keys: Keys, **data: Any) -> Handler:
    return lambda env: reply(keys, data)


def lost_then_repeated(gw: Gateway, api: str) -> None:
    """The first answer is lost after the gateway acted; the retry meets ORDER_REPEAT."""
    gw.on(api, lost(), lambda env: reply(gw.keys, code="ORDER_REPEAT"))
