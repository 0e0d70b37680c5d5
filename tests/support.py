"""What the tests share besides fixtures: test keys, the data directory, a scripted gateway for the
MockTransport, and a card authorization in PayerMax's field names. Fixtures that hand these out live
in conftest.py."""

from __future__ import annotations

import base64
import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from payermax_async import ResponseLostError
from payermax_async.signing import RsaSigner
from payermax_async.transport import HttpResponse, MockRequest, MockTransport
from payermax_async.types import MerchantInfo, UserInfo
from payermax_async.types.links import CreatePaybylinkGoodsDetail

__all__ = [
    "DATA",
    "URL",
    "Keys",
    "Reply",
    "ScriptedGateway",
    "auth_order",
    "capture_data",
    "reply",
    "sent_bodies",
]

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


#: the capture endpoint of the clients the make_client fixture builds
URL = "http://127.0.0.1:9/aggregate-pay/api/gateway/capture"


def capture_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "captureNo": "CP-1",
        "requestId": "R-1",
        "outTradeNo": "ORD_1",
        "amount": 100,
        "currency": "USD",
        "status": "SUCCESS",
        "isFinal": True,
        "createdTime": "2023-08-06T23:50:59 +0000",
    }
    data.update(overrides)
    return data


def reply(
    keys: Keys,
    code: str = "APPLY_SUCCESS",
    data: Any = None,
    *,
    sign: bool = True,
    status: int = 200,
    tamper: bool = False,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = json.dumps(
        {"code": code, "msg": "Success." if code == "APPLY_SUCCESS" else "nope", "data": data}
    ).encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if sign:
        hdrs["sign"] = keys.payermax_sign(body + (b" " if tamper else b""))
    return Reply(status=status, body=body, headers=hdrs)


def sent_bodies(gateway: ScriptedGateway) -> list[tuple[bytes, dict[str, str]]]:
    return [(r.body, dict(r.headers)) for r in gateway.requests]


def auth_order(out_trade_no: str, **extra: object) -> dict[str, object]:
    """A Direct API card authorization in PayerMax's own field names."""
    return {
        "outTradeNo": out_trade_no,
        "subject": "s",
        "totalAmount": Decimal("10.00"),
        "currency": "USD",
        "country": "US",
        "userId": "u",
        "integrate": "Direct_Payment",
        "terminalType": "WEB",
        "captureMode": "MANUAL",
        "authorizationType": "FINAL_AUTH",
        "paymentDetail": {
            "paymentMethodType": "CARD",
            "cardInfo": {
                "cardIdentifierNo": "4111111111111111",
                "cardHolderFullName": "A Payer",
                "cardExpirationMonth": "12",
                "cardExpirationYear": "30",
                "cvv": "123",
            },
            "buyerInfo": {"clientIp": "127.0.0.1", "userAgent": "test"},
        },
        **extra,
    }


def paybylink_args() -> dict[str, Any]:
    """A complete ``payment_links.create`` call (link L_1, one SAR 10.50 good)."""
    return {
        "merchant_link_id": "L_1",
        "link_type": "ONETIME",
        "country": "SA",
        "currency": "SAR",
        "total_amount": "10.50",
        "description": "Order 3",
        "user_info": UserInfo(user_id="u1"),
        "goods_details": [
            CreatePaybylinkGoodsDetail(
                goods_name="Cup",
                goods_description="A cup",
                quantity="1",
                price=Decimal("10.50"),
                goods_currency="SAR",
                show_url="https://merchant.test/cup",
            )
        ],
        "merchant_info": MerchantInfo(contact_email="shop@merchant.test"),
        "notify_url": "https://merchant.test/notify",
    }
