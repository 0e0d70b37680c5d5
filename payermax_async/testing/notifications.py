"""Signed notifications for a merchant's own handler tests, without a gateway.

A handler should be tested with the bytes PayerMax would send: the envelope, the ``sign`` header
over exactly those bytes, a fresh ``notifyTime``. :func:`make_notification` builds them for any
notify type, signed with a simulator's PayerMax key (or a key of your own)::

    sim = GatewaySimulator()                       # keys only; it need not be started
    body, sign = make_notification("CAPTURE", {"outTradeNo": "ORD_1"}, simulator=sim)
    verifier = WebhookVerifier(sim.payermax_public_key, app_id=sim.app_id, merchant_no=sim.merchant_no)
    notification = verifier.parse(body, sign)

A documented type starts from PayerMax's own example for it, with the caller's fields laid over, and
the result is held to the callback schema as the simulator's own notifications are: a test cannot
pass on a notification PayerMax would never send (a string where PayerMax sends a number, a missing
required field). Like the rest of the test kit, it reads PayerMax's schema itself, never the client's
types, so a client decoding bug cannot hide behind it.
"""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import msgspec

from ..signing import RsaSigner
from .gateway.answers import notification_violations
from .gateway.facts import Facts
from .wire import encode, rfc3339_millis

if TYPE_CHECKING:
    from .simulator import GatewaySimulator

__all__ = ["make_notification"]


@lru_cache(maxsize=8)
def _signer(private_key: str | bytes) -> RsaSigner:
    return RsaSigner(private_key)


def _callback_for(facts: Facts, kind: str, callback: str | None) -> str | None:
    """The callback (URL setting) a notify type arrives through; PAYMENT has two (pay, authorize)."""
    named = [name for name, notify_type in facts.notify_types().items() if notify_type == kind]
    if callback is None:
        return named[0] if named else None
    if callback not in named:
        raise ValueError(
            f"{kind} notifications arrive through {', '.join(named) or 'no documented callback'}"
        )
    return callback


def _as_wire(data: Mapping[str, Any] | msgspec.Struct) -> dict[str, Any]:
    """A struct's wire names and values; its None fields are absent, as PayerMax leaves them out."""
    if isinstance(data, msgspec.Struct):
        value = msgspec.to_builtins(data, builtin_types=(Decimal,))
        return {k: v for k, v in value.items() if v is not None}
    return dict(data)


def _lay_over(base: dict[str, Any], given: Mapping[str, Any]) -> None:
    """``given`` over ``base``: objects merge field by field, anything else (lists too) replaces."""
    for name, value in given.items():
        if isinstance(value, Mapping) and isinstance(base.get(name), dict):
            _lay_over(base[name], value)
        else:
            base[name] = value


def make_notification(
    notify_type: str | Enum,
    data: Mapping[str, Any] | msgspec.Struct | None = None,
    *,
    simulator: GatewaySimulator | None = None,
    payermax_private_key: str | bytes | None = None,
    app_id: str | None = None,
    merchant_no: str | None = None,
    callback: str | None = None,
    code: str = "APPLY_SUCCESS",
    msg: str = "Success",
    notify_time: float | None = None,
    key_version: str = "1",
) -> tuple[bytes, str]:
    """``(raw_body, sign_header)`` of one notification as PayerMax sends it.

    ``data`` (PayerMax's wire names, or a notification-data struct) is laid over PayerMax's example
    ``data`` for ``notify_type``, field by field (nested objects too; a list replaces the example's);
    an undocumented type takes ``data`` as
    given. ``callback`` picks between the URL settings of one type (``authResultNotifyUrl`` for an
    authorization's PAYMENT). The key, ``app_id`` and ``merchant_no`` default to ``simulator``'s;
    ``notify_time`` (epoch seconds) to now, so ``WebhookVerifier``'s freshness check passes.
    Raises ``ValueError`` naming each field that departs from the documented type.
    """
    kind = notify_type.value if isinstance(notify_type, Enum) else notify_type
    key = payermax_private_key or (simulator.payermax_private_key if simulator is not None else None)
    app = app_id or (simulator.app_id if simulator is not None else None)
    merchant = merchant_no or (simulator.merchant_no if simulator is not None else None)
    if key is None or app is None or merchant is None:
        raise ValueError("pass simulator=, or payermax_private_key=, app_id= and merchant_no=")
    when = notify_time if notify_time is not None else (simulator.now() if simulator else time.time())
    facts = Facts.load()
    documented = _callback_for(facts, kind, callback)
    body: dict[str, Any] = {"data": {}}
    app_field = "appId"
    if documented is not None:
        example = facts.doc["callbacks"][documented]["request_examples"][0]
        body = copy.deepcopy(example)  # its envelope too: DISPUTE's carries a version
        if "appId" not in facts.callback_schema(documented)["properties"]:
            app_field = "merchantAppId"  # bill payments name the app so
            body.pop("appId", None)
    body.update(
        {
            "code": code,
            "msg": msg,
            "keyVersion": key_version,
            app_field: app,
            "merchantNo": merchant,
            "notifyTime": rfc3339_millis(when),
            "notifyType": kind,
        }
    )
    _lay_over(body["data"], _as_wire(data) if data is not None else {})
    if documented is not None:
        found = notification_violations(facts, documented, body)
        if found:
            problems = "; ".join(v.message() for v in found)
            raise ValueError(f"not a {kind} notification PayerMax would send: {problems}")
    raw = encode(body)
    return raw, base64.b64encode(_signer(key).sign(raw)).decode("ascii")
