"""PayerMax's flows end to end THROUGH THE CLIENT: real HTTP on 127.0.0.1, signatures both ways, and
every notification received, verified and parsed by a merchant webhook built on the client's
``WebhookVerifier``. The payer's steps are the pages a payer opens (GET on the simulator's cashier
URLs) or the test kit's named steps; PayerMax's own steps are ``settle_*``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from payermax_async import (
    BuyerInfo,
    CaptureStatus,
    CardInfo,
    PayeeAccountInfo,
    PayeeInfo,
    PayerMaxClient,
    PaymentDetail,
    PaymentStatus,
    PayoutStatus,
    RefundStatus,
    RetryPolicy,
)
from payermax_async.testing import GatewaySimulator
from payermax_async.testing.plugin import SimulatorKeys
from payermax_async.webhooks import WebhookVerifier, aiohttp_ack
from tests.simulator_v2.states import example_data

BUYER = BuyerInfo(client_ip="127.0.0.1", user_agent="Mozilla/5.0")
DIRECT: dict[str, Any] = {
    "subject": "s",
    "user_id": "u1",
    "integrate": "Direct_Payment",
    "terminal_type": "WEB",
}


def card(number: str = "4111111111111111") -> PaymentDetail:
    return PaymentDetail(
        payment_method_type="CARD",
        card_info=CardInfo(
            card_identifier_no=number, card_expiration_year="30", card_expiration_month="12", cvv="123"
        ),
        buyer_info=BUYER,
    )


@dataclass
class Webhook:
    """The merchant's notification endpoint: verifies with the client's verifier, keeps what came."""

    verifier: WebhookVerifier
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        notification = self.verifier.parse(body, request.headers.get("sign"))  # raises on a bad one
        data = notification.data
        as_dict = data if isinstance(data, dict) else {"_typed": data}
        self.received.append({"notifyType": notification.notify_type, "data": as_dict, "raw": body})
        self.arrived.set()
        return aiohttp_ack()

    def types(self) -> list[str]:
        return [str(n["notifyType"]) for n in self.received]

    def of(self, notify_type: str) -> list[Any]:
        return [n["data"].get("_typed", n["data"]) for n in self.received if n["notifyType"] == notify_type]


@pytest.fixture
async def stack(payermax_simulator_keys: SimulatorKeys) -> AsyncIterator[tuple[GatewaySimulator, Webhook]]:
    keys = payermax_simulator_keys
    hook = Webhook(WebhookVerifier(keys.payermax_public_key))
    app = web.Application()
    app.router.add_post("/payermax", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/payermax"
    try:
        async with GatewaySimulator(
            notify_url=hook.url,
            notify_time_scale=0.0001,  # PayerMax's re-send schedule, compressed
            merchant_private_key=keys.merchant_private_key,
            merchant_public_key=keys.merchant_public_key,
            payermax_private_key=keys.payermax_private_key,
            payermax_public_key=keys.payermax_public_key,
        ) as sim:
            yield sim, hook
            assert sim.shape_errors == []
            assert all(n.delivered for n in sim.notifications)
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(stack: tuple[GatewaySimulator, Webhook]) -> AsyncIterator[PayerMaxClient]:
    retry = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.01, rng=random.Random(5))
    async with stack[0].client(retry=retry, timeout=5.0) as c:
        yield c


async def settled(sim: GatewaySimulator) -> None:
    assert await sim.wait_notifications(timeout=10)


async def open_page(url: str) -> str:
    """The payer opens a PayerMax page (cashier, 3DS, wallet, binding, link)."""
    async with aiohttp.ClientSession() as session, session.get(url) as page:
        assert page.status == 200, await page.text()
        return await page.text()


async def test_hosted_checkout_waits_for_the_payer(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    order = await client.order_and_pay(
        "HOSTED_1", "25.00", "USD", subject="Shoes", user_id="u1",
        integrate="Hosted_Checkout", front_callback_url="https://shop.example/back",
    )  # fmt: skip
    assert order.status is PaymentStatus.PENDING and order.redirect_url
    assert (await client.order_query("HOSTED_1")).status is PaymentStatus.PENDING
    await settled(sim)
    assert hook.received == []
    await open_page(order.redirect_url)
    await settled(sim)
    assert (await client.order_query("HOSTED_1")).status is PaymentStatus.SUCCESS
    (paid,) = hook.of("PAYMENT")
    assert paid.out_trade_no == "HOSTED_1" and paid.status is PaymentStatus.SUCCESS


async def test_direct_card_at_once_and_with_3ds(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    instant = await client.order_and_pay(
        "CARD_1", "10.00", "USD", country="US", payment_detail=card(), **DIRECT
    )
    assert instant.status is PaymentStatus.SUCCESS
    declined = await client.order_and_pay(
        "CARD_2", "10.00", "USD", country="US", payment_detail=card("4000000000000002"), **DIRECT
    )
    assert declined.status is PaymentStatus.FAILED
    challenged = await client.order_and_pay(
        "CARD_3", "10.00", "USD", country="US", payment_detail=card("4000000000003220"), **DIRECT
    )
    assert challenged.status is PaymentStatus.PENDING and "/cashier/3ds/" in str(challenged.redirect_url)
    await open_page(str(challenged.redirect_url))
    await settled(sim)
    assert (await client.order_query("CARD_3")).status is PaymentStatus.SUCCESS
    statuses = {n.out_trade_no: n.status for n in hook.of("PAYMENT")}
    assert statuses == {
        "CARD_1": PaymentStatus.SUCCESS,
        "CARD_2": PaymentStatus.FAILED,
        "CARD_3": PaymentStatus.SUCCESS,
    }


async def test_alternative_methods_answer_a_qr_code_or_a_virtual_account(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    qr = await client.order_and_pay(
        "APM_QR", "15000", "IDR", country="ID",
        payment_detail=PaymentDetail(payment_method_type="QR", target_org="QRIS", buyer_info=BUYER), **DIRECT,
    )  # fmt: skip
    assert qr.status is PaymentStatus.PENDING and qr.qr_code_url
    va = await client.order_and_pay(
        "APM_VA", "15000", "IDR", country="ID",
        payment_detail=PaymentDetail(payment_method_type="BANK_TRANSFER", target_org="BCA", buyer_info=BUYER),
        **DIRECT,
    )  # fmt: skip
    assert va.status is PaymentStatus.PENDING and va.va_code
    await open_page(qr.qr_code_url)  # the payer scans
    sim.complete_payment("APM_VA")  # the payer transfers to the virtual account
    await settled(sim)
    assert sorted(n.out_trade_no for n in hook.of("PAYMENT")) == ["APM_QR", "APM_VA"]


async def test_authorize_capture_and_cancel(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    for out_trade_no in ("AUTH_1", "AUTH_2"):
        auth = await client.order_and_pay(
            out_trade_no, "80.00", "USD", country="US", subject="deposit", user_id="u1",
            integrate="Direct_Payment", terminal_type="WEB", payment_detail=card(),
            capture_mode="MANUAL", authorization_type="FINAL_AUTH",
        )  # fmt: skip
        assert auth.status is PaymentStatus.SUCCESS
    capture = await client.capture("AUTH_1", "60.00", "USD")
    assert capture.status is CaptureStatus.SUCCESS and capture.amount == Decimal("60.00")
    await client.cancel("AUTH_2")
    await settled(sim)
    assert sorted(hook.types()) == ["CANCEL", "CAPTURE", "PAYMENT", "PAYMENT"]
    assert [c.amount for c in sim.captures_of("AUTH_1")] == [Decimal("60.00")]
    assert sim.order("AUTH_2").cancel is not None


async def test_refunds_start_pending_and_settle_later(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    paid = await client.order_and_pay(
        "PAID_1", "40.00", "USD", country="US", subject="s", user_id="u1",
        integrate="Direct_Payment", terminal_type="WEB", payment_detail=card(),
    )  # fmt: skip
    assert paid.status is PaymentStatus.SUCCESS
    first = await client.refund("PAID_1", "RF_1", "15.00", "USD")
    second = await client.refund("PAID_1", "RF_2", "5.00", "USD")
    assert first.status is RefundStatus.REFUND_PENDING and second.status is RefundStatus.REFUND_PENDING
    sim.settle_refund("RF_1")
    sim.settle_refund("RF_2", success=False)
    assert (await client.refund_query(out_refund_no="RF_1")).status is RefundStatus.REFUND_SUCCESS
    assert (await client.refund_query(out_refund_no="RF_2")).status is RefundStatus.REFUND_FAILED
    await settled(sim)
    refunds = {n.out_refund_no: n.status for n in hook.of("REFUND")}
    assert refunds == {"RF_1": RefundStatus.REFUND_SUCCESS, "RF_2": RefundStatus.REFUND_FAILED}


async def test_payouts_start_pending_and_end_in_success_failure_or_bounce_back(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    payee = PayeeInfo(
        payment_method_type="BANK_TRANSFER",
        target_org="BDO",
        account_info=PayeeAccountInfo(account_no="1234567890"),
    )
    for out_trade_no in ("PO_OK", "PO_FAIL", "PO_BACK"):
        sent = await client.payout(out_trade_no, "500.00", "PHP", country="PH", payee_info=payee)
        assert sent.status is PayoutStatus.PENDING and sent.trade_no
    sim.settle_payout("PO_OK")
    sim.settle_payout("PO_FAIL", success=False)
    sim.settle_payout("PO_BACK")
    sim.settle_payout("PO_BACK", outcome="BOUNCEBACK")
    assert (await client.payout_query("PO_OK")).status is PayoutStatus.SUCCESS
    assert (await client.payout_query("PO_FAIL")).status is PayoutStatus.FAILED
    assert (await client.payout_query("PO_BACK")).status is PayoutStatus.BOUNCEBACK
    await settled(sim)
    seen = [(n.out_trade_no, n.status) for n in hook.of("PAYOUT")]
    assert sorted(seen) == sorted(
        [
            ("PO_OK", PayoutStatus.SUCCESS),
            ("PO_FAIL", PayoutStatus.FAILED),
            ("PO_BACK", PayoutStatus.SUCCESS),
            ("PO_BACK", PayoutStatus.BOUNCEBACK),
        ]
    )


async def test_drop_in_session_then_payment(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    session = await client.dropin.apply_session(
        currency="USD", country="US", user_id="u1", total_amount="30.00"
    )
    assert session.session_key
    # the drop-in component hands the page a one-time paymentToken; the server pays with it
    paid = await client.order_and_pay(
        "DROPIN_1", "30.00", "USD", country="US", subject="s", user_id="u1", integrate="Direct_Payment",
        terminal_type="WEB",
        payment_detail=PaymentDetail(
            payment_token="CPT0123456789", session_key=session.session_key, buyer_info=BUYER
        ),
    )  # fmt: skip
    assert paid.status is PaymentStatus.SUCCESS
    await settled(sim)
    assert [n.out_trade_no for n in hook.of("PAYMENT")] == ["DROPIN_1"]


async def test_a_token_bound_by_the_payer_then_paid_with_and_removed(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    applied = await client.tokens.apply(
        country="US", payment_method_type="CARD", user_id="u7", token_scope="tokenAcq",
        front_callback_url="https://shop.example/bound", request_id="BIND_1",
    )  # fmt: skip
    assert applied.redirect_url and "/cashier/bind/" in applied.redirect_url
    await open_page(applied.redirect_url)  # the payer enters the card on PayerMax's page
    found = await client.tokens.inquire_apply(user_id="u7", token_scope="tokenAcq", request_id="BIND_1")
    assert found.status == "SUCCESS" and found.payment_token_id
    token = found.payment_token_id
    paid = await client.order_and_pay(
        "TOKEN_PAY_1", "12.00", "USD", country="US", subject="s", user_id="u7", integrate="Direct_Payment",
        terminal_type="WEB",
        payment_detail=PaymentDetail(payment_method_type="CARD", payment_token_id=token, buyer_info=BUYER),
    )  # fmt: skip
    assert paid.status is PaymentStatus.SUCCESS
    listed = await client.tokens.inquire(user_id="u7", token_scope="tokenAcq")
    assert [t.payment_token_id for t in listed.token_list or []] == [token]
    await client.tokens.remove(user_id="u7", payment_token_id=token)
    assert (await client.tokens.inquire(user_id="u7", token_scope="tokenAcq")).token_list in (None, [])
    await settled(sim)
    assert sorted(hook.types()) == ["PAYMENT", "TOKENIZATION"]


async def test_pay_by_link(stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient) -> None:
    sim, hook = stack
    data = example_data("createPaybylink")
    data["notifyUrl"] = hook.url
    link = await client.call("createPaybylink", data)
    assert link["linkStatus"] == "ACTIVE" and link["linkUrl"].startswith(sim.base_url + "/cashier/link/")
    await open_page(link["linkUrl"])  # the payer pays through the link
    after = await client.call("queryPaybylink", {"merchantLinkId": data["merchantLinkId"]})
    assert after["payByLinkInfo"][0]["status"] == "SUCCESS"
    await client.call("expirePaybylink", {"merchantLinkId": data["merchantLinkId"]})
    await settled(sim)
    assert hook.types() == ["PAYBYLINK"]


async def test_a_subscription_from_first_payment_to_cancel(
    stack: tuple[GatewaySimulator, Webhook], client: PayerMaxClient
) -> None:
    sim, hook = stack
    created = await client.call(
        "subscriptionCreate", example_data("subscriptionCreate") | {"callbackUrl": hook.url}
    )
    number = created["subscriptionPlan"]["subscriptionNo"]
    assert created["subscriptionPlan"]["subscriptionStatus"] == "INACTIVE"
    first = {
        "outTradeNo": "SUB_FIRST_1", "subject": "s", "totalAmount": Decimal("10.00"), "currency": "USD",
        "country": "US", "userId": created.get("userId", "u1"), "integrate": "Direct_Payment",
        "terminalType": "WEB", "subscriptionPlan": {"subscriptionNo": number},
        "paymentDetail": {
            "paymentMethodType": "CARD",
            "cardInfo": {"cardIdentifierNo": "4111111111111111", "cardExpirationMonth": "12",
                         "cardExpirationYear": "30", "cvv": "123"},
            "buyerInfo": {"clientIp": "127.0.0.1", "userAgent": "Mozilla/5.0"},
        },
    }  # fmt: skip
    paid = await client.call("orderAndPay", first)
    assert paid["status"] == "SUCCESS"
    sim.charge_subscription(number)  # PayerMax charges the next period
    view = await client.call("subscriptionQuery", {"subscriptionNo": number})
    assert view["subscriptionPlan"]["subscriptionStatus"] == "ACTIVE"
    assert len(view["subscriptionPaymentDetails"]) == 2
    cancelled = await client.call("subscriptionCancel", {"subscriptionNo": number})
    assert cancelled["subscriptionPlan"]["subscriptionStatus"] == "CANCEL"
    await settled(sim)
    assert sorted(hook.types()) == sorted(
        ["PAYMENT", "SUBSCRIPTION", "SUBSCRIPTION_PAYMENT", "SUBSCRIPTION_PAYMENT", "SUBSCRIPTION"]
    )
