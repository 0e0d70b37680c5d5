"""Signed notifications for a merchant's own handler tests, without a gateway.

A handler should be tested with the bytes PayerMax would send: the envelope, the ``sign`` header
over exactly those bytes, a fresh ``notifyTime``. :func:`make_notification` builds them for any
notify type, signed with a simulator's PayerMax key (or a key of your own), so a unit test can
feed them to ``WebhookVerifier.parse`` or POST them to its app::

    sim = GatewaySimulator()                       # keys only; it need not be started
    body, sign = make_notification("CAPTURE", {...}, simulator=sim)
    verifier = WebhookVerifier(sim.payermax_public_key, app_id=sim.app_id, merchant_no=sim.merchant_no)
    notification = verifier.parse(body, sign)

The data of a documented type is checked against that type first, so a test cannot pass on a
notification PayerMax would never send.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import msgspec

from .._envelope import format_request_time
from ..signing import RsaSigner
from ..types._base import decode_data
from ..types._base import encode_request as encode
from ..webhooks import NOTIFICATION_TYPES

if TYPE_CHECKING:
    from .simulator import GatewaySimulator

__all__ = ["make_notification"]


@lru_cache(maxsize=8)
def _signer(private_key: str | bytes) -> RsaSigner:
    return RsaSigner(private_key)


def make_notification(
    notify_type: str | Enum,
    data: Mapping[str, Any] | msgspec.Struct,
    *,
    simulator: GatewaySimulator | None = None,
    payermax_private_key: str | bytes | None = None,
    app_id: str | None = None,
    merchant_no: str | None = None,
    code: str = "APPLY_SUCCESS",
    msg: str = "Success",
    notify_time: float | None = None,
    key_version: str = "1",
) -> tuple[bytes, str]:
    """``(raw_body, sign_header)`` of one notification as PayerMax sends it.

    ``data`` is the notification's ``data`` in PayerMax's wire names (a dict), or a generated
    notification-data struct. The key, ``app_id`` and ``merchant_no`` default to ``simulator``'s;
    ``notify_time`` (epoch seconds) to now, so ``WebhookVerifier``'s freshness check passes.
    Raises ``ValueError`` when the data does not fit the documented type of ``notify_type``.
    """
    kind = notify_type.value if isinstance(notify_type, Enum) else notify_type
    key = payermax_private_key or (simulator.payermax_private_key if simulator is not None else None)
    app = app_id or (simulator.app_id if simulator is not None else None)
    merchant = merchant_no or (simulator.merchant_no if simulator is not None else None)
    if key is None or app is None or merchant is None:
        raise ValueError("pass simulator=, or payermax_private_key=, app_id= and merchant_no=")
    when = (
        notify_time
        if notify_time is not None
        else (simulator.now() if simulator is not None else time.time())
    )
    body = encode(
        {
            "code": code,
            "msg": msg,
            "keyVersion": key_version,
            "appId": app,
            "merchantNo": merchant,
            "notifyTime": format_request_time(when),
            "notifyType": kind,
            "data": data,
        }
    )
    typed = NOTIFICATION_TYPES.get(kind)
    if typed is not None:
        try:
            decode_data(body, typed)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ValueError(f"not a {kind} notification PayerMax would send: {exc}") from None
    sign = base64.b64encode(_signer(key).sign(body)).decode("ascii")
    return body, sign
