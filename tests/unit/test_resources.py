"""The resource namespaces at unit level (a scripted gateway, no socket): the business id is fixed
before the first attempt and replayed, the endpoint table's version and envelope go out, and bad input
is refused by wire path before anything is sent. (Every endpoint's request and answer shapes against
PayerMax's schema: tests/contract/test_schema_client_requests.py.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from payermax_async import InvalidRequestError, PayerMaxClient
from payermax_async.types import MerchantInfo, UserInfo

from ..support import Keys, Reply, ScriptedGateway, paybylink_args

BASE = "http://127.0.0.1:9/aggregate-pay/api/gateway/"


def reply(keys: Keys, data: Any = None, code: str = "APPLY_SUCCESS") -> Reply:
    body = json.dumps({"code": code, "msg": "m", "data": data}).encode()
    return Reply(status=200, body=body, headers={"sign": keys.payermax_sign(body)})


def sent(gateway: ScriptedGateway) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in gateway.requests]


async def test_token_application_fixes_its_request_id_before_the_first_attempt(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    gateway.post(BASE + "applyPaymentToken", callback=lambda url, **kw: reply(keys, code="SYSTEM_ERROR"))
    gateway.post(
        BASE + "applyPaymentToken",
        callback=lambda url, **kw: reply(
            keys,
            {
                "requestId": json.loads(kw["data"])["data"]["requestId"],
                "status": "PENDING",
                "redirectUrl": "https://x.test/3ds",
            },
        ),
    )
    result = await client.tokens.apply(
        country="SA",
        payment_method_type="CARD",
        user_id="u1",
        front_callback_url="https://merchant.test/back",
        token_scope="tokenAcq",
    )
    first, second = sent(gateway)
    assert re.fullmatch(r"[0-9a-f]{32}", first["data"]["requestId"])
    assert first["data"] == second["data"] and first["version"] == "1.4"
    assert result.status is not None and result.status == "PENDING" and not result.status.is_final


async def test_payment_link_keeps_the_callers_id_and_sends_string_prices(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    gateway.post(BASE + "createPaybylink", callback=lambda url, **kw: reply(keys, {"merchantLinkId": "L_1"}))
    await client.payment_links.create(
        **paybylink_args(),
        version="1.2",
    )
    [env] = sent(gateway)
    assert env["version"] == "1.2" and env["data"]["merchantLinkId"] == "L_1"
    # both amounts are strings in PayerMax's schema for pay-by-link: sent as exact strings
    assert env["data"]["totalAmount"] == "10.50" and env["data"]["goodsDetails"][0]["price"] == "10.50"


async def test_older_endpoints_name_the_app_id_merchant_app_id(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    gateway.post(BASE + "orderConfirm", callback=lambda url, **kw: reply(keys, {"tradeToken": "T"}))
    await client.bill_payments.confirm(
        trade_token="T",
        reference_no="R",
        amount=5,
        currency="USD",
        confirmation="SUCCESS",
        failure_reason="-",
    )
    [env] = sent(gateway)
    assert env["merchantAppId"] == "app-test" and "appId" not in env


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.fx.exchange(ccy_pair="USDSAR", side="BUY", transaction_amount=1.5, transaction_ccy="USD",
                                 target_ccy="SAR"), "transactionAmount"),
        (lambda c: c.subscriptions.query(), "subscriptionRequestId"),
        (lambda c: c.disputes.search("x" * 200), "caseId"),
        (lambda c: c.payment_links.create(
            link_type="ONETIME", country="SA", currency="SAR", total_amount="1", description="d",
            user_info=UserInfo(user_id="u"), goods_details=[],
            merchant_info=MerchantInfo(contact_email="s@m.test"),
            notify_url="ftp://nowhere"), "notifyUrl"),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_by_wire_path(
    client: PayerMaxClient, gateway: ScriptedGateway, call: Any, field: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await call(client)
    assert info.value.field == field and not gateway.requests
