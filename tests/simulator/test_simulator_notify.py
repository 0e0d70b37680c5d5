"""Notifications: signed, shaped like PayerMax's, sent to loopback only, and retried until the
merchant answers exactly ``{"code":"SUCCESS","msg":"Success"}``. A real aiohttp.web receiver
stands in for the merchant."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from payermax_async import CaptureStatus, PayerMaxClient
from payermax_async.signing import RsaVerifier, verify_sign_header
from payermax_async.testing import GatewaySimulator, RawCaller, SimulatorThread
from payermax_async.testing.notifier import check_notify_url, is_loopback_url
from payermax_async.testing.plugin import SimulatorKeys

from ..support import auth_order

ACK = {"code": "SUCCESS", "msg": "Success"}
FAST = (0, 0.01, 0.02, 0.03)


@dataclass
class Receiver:
    """A merchant endpoint that answers from a script, then with the proper ack."""

    url: str = ""
    script: list[tuple[int, object]] = field(default_factory=list)
    received: list[tuple[str, bytes, str | None]] = field(default_factory=list)  # (path, body, sign)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.path, await request.read(), request.headers.get("sign")))
        status, answer = self.script.pop(0) if self.script else (200, ACK)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return web.Response(status=status, text=text, content_type="application/json")

    def bodies(self, path: str = "/hook") -> list[dict[str, object]]:
        return [json.loads(body, parse_float=Decimal) for p, body, _ in self.received if p == path]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{name}", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def sim(receiver: Receiver, payermax_simulator_keys: SimulatorKeys) -> AsyncIterator[GatewaySimulator]:
    keys = payermax_simulator_keys
    async with GatewaySimulator(
        notify_url=receiver.url + "/hook",
        notify_retry_delays=FAST,
        merchant_private_key=keys.merchant_private_key,
        merchant_public_key=keys.merchant_public_key,
        payermax_private_key=keys.payermax_private_key,
        payermax_public_key=keys.payermax_public_key,
    ) as simulator:
        yield simulator


@pytest.fixture
async def raw(sim: GatewaySimulator) -> AsyncIterator[RawCaller]:
    async with aiohttp.ClientSession() as session:
        yield RawCaller(sim, session)


def payment_order(out_trade_no: str, **extra: object) -> dict[str, object]:
    data = auth_order(out_trade_no, **extra)
    del data["captureMode"], data["authorizationType"]
    return data


def hosted_order(out_trade_no: str) -> dict[str, object]:
    return {
        "outTradeNo": out_trade_no,
        "subject": "s",
        "totalAmount": Decimal("10.00"),
        "currency": "USD",
        "userId": "u",
        "integrate": "Hosted_Checkout",
        "frontCallbackUrl": "https://shop.example/back",
    }


PAYEE = {
    "paymentMethodType": "WALLET",
    "targetOrg": "GCASH",
    "accountInfo": {"accountNo": "09171234567"},
    "name": {"fullName": "A Payee"},
}


async def test_payment_and_capture_notifications_are_signed_and_shaped(
    sim: GatewaySimulator, raw: RawCaller, receiver: Receiver
) -> None:
    assert (await raw.call("orderAndPay", auth_order("N_1"))).code == "APPLY_SUCCESS"
    captured = await raw.call(
        "capture", {"requestId": "R_1", "outTradeNo": "N_1", "currency": "USD", "amount": Decimal("10.00")}
    )
    assert await sim.wait_notifications()
    verifier = RsaVerifier(sim.payermax_public_key)
    for _, body, sign in receiver.received:
        assert verify_sign_header(verifier, body, sign)
    payment, capture = sorted(receiver.bodies(), key=lambda b: str(b["notifyType"]) != "PAYMENT")
    assert payment["notifyType"] == "PAYMENT"
    assert (payment["code"], payment["msg"], payment["keyVersion"]) == ("APPLY_SUCCESS", "Success.", "1")
    assert (payment["appId"], payment["merchantNo"]) == (sim.app_id, sim.merchant_no)
    assert isinstance(payment["notifyTime"], str) and payment["notifyTime"].endswith("Z")
    data = payment["data"]
    assert isinstance(data, dict)
    assert (data["outTradeNo"], data["status"], data["totalAmount"]) == ("N_1", "SUCCESS", Decimal("10.00"))
    assert (data["captureMode"], data["authorizationType"]) == ("MANUAL", "FINAL_AUTH")
    assert "resultCode" not in data  # not a field of PayerMax's notification
    assert capture["notifyType"] == "CAPTURE"
    # the capture answer's fields, leaving out those without a value
    assert capture["data"] == {k: v for k, v in captured.data.items() if v is not None}
    assert all(n.delivered and n.finished and len(n.attempts) == 1 for n in sim.notifications)


async def test_retried_until_the_exact_ack(sim: GatewaySimulator, raw: RawCaller, receiver: Receiver) -> None:
    receiver.script = [
        (500, ACK),  # right body, wrong status
        (200, {"code": "SUCCESS", "msg": "success"}),  # almost
        (200, "OK"),  # not JSON
    ]
    await raw.call("orderAndPay", auth_order("N_2"))
    assert await sim.wait_notifications()
    (notification,) = sim.notifications
    assert notification.delivered
    assert [a.http_status for a in notification.attempts] == [500, 200, 200, 200]
    bodies = {body for _, body, _ in receiver.received}
    assert bodies == {notification.body}  # every retry resends the same signed bytes
    assert notification.out_trade_no == "N_2"


async def test_gives_up_after_the_schedule(sim: GatewaySimulator, raw: RawCaller, receiver: Receiver) -> None:
    receiver.script = [(503, "busy")] * len(FAST)
    await raw.call("orderAndPay", auth_order("N_3"))
    assert await sim.wait_notifications()
    (notification,) = sim.notifications
    assert (notification.delivered, notification.finished) == (False, True)
    assert len(notification.attempts) == len(FAST)


async def test_payermax_schedule_scaled_for_a_test(receiver: Receiver) -> None:
    """Without ``notify_retry_delays`` the schedule is PayerMax's own, times ``notify_time_scale``."""
    receiver.script = [(503, "busy")] * 2
    async with GatewaySimulator(notify_url=receiver.url + "/hook", notify_time_scale=0.0001) as sim:
        sim.authorize("N_12", "10.00", "USD")
        async with aiohttp.ClientSession() as session:
            await RawCaller(sim, session).call("cancel", {"requestId": "C_12", "outTradeNo": "N_12"})
        assert await sim.wait_notifications(timeout=10)
        (notification,) = [n for n in sim.notifications if n.notify_type == "CANCEL"]
        facts_schedule = sim.gateway.facts.resend_schedule()
        assert facts_schedule == (0, 30, 300, 600, 3600, 43200)
        assert notification.schedule == tuple(d * 0.0001 for d in facts_schedule)
        # the PAYMENT of the authorization took the two refusals; CANCEL went through at once
        assert all(n.delivered for n in sim.notifications)
        assert sum(len(n.attempts) for n in sim.notifications) == 4


async def test_per_request_loopback_url_wins_and_other_urls_are_never_called(
    sim: GatewaySimulator, raw: RawCaller, receiver: Receiver
) -> None:
    await raw.call("orderAndPay", auth_order("N_4", notifyUrl=receiver.url + "/order-hook"))
    await raw.call("orderAndPay", auth_order("N_5", notifyUrl="https://merchant.example/notify"))
    assert await sim.wait_notifications()
    assert receiver.bodies("/order-hook")[0]["data"]["outTradeNo"] == "N_4"  # type: ignore[index]
    assert [b["data"]["outTradeNo"] for b in receiver.bodies("/hook")] == ["N_5"]  # type: ignore[index]
    assert {n.url for n in sim.notifications} == {receiver.url + "/order-hook", receiver.url + "/hook"}


async def test_cancel_refund_and_payout_notifications(
    sim: GatewaySimulator, raw: RawCaller, receiver: Receiver
) -> None:
    sim.authorize("N_6", "10.00", "USD")  # straight into the books, notified as PayerMax would
    assert (await raw.call("cancel", {"requestId": "C_1", "outTradeNo": "N_6"})).code == "APPLY_SUCCESS"
    assert (await raw.call("orderAndPay", payment_order("N_7"))).code == "APPLY_SUCCESS"
    refund = await raw.call(
        "refund",
        {
            "outRefundNo": "RF_1",
            "outTradeNo": "N_7",
            "refundAmount": 4,
            "refundCurrency": "USD",
            "refundNotifyUrl": receiver.url + "/refunds",
        },
    )
    assert refund.data["status"] == "REFUND_PENDING"  # PayerMax settles a refund later
    payout = await raw.call(
        "paymentOrderPay",
        {
            "outTradeNo": "PO_1",
            "country": "PH",
            "trade": {"amount": "5.00", "currency": "PHP"},
            "payeeInfo": PAYEE,
        },
    )
    assert (payout.code, payout.data["status"]) == ("APPLY_SUCCESS", "PENDING"), payout.json
    assert await sim.wait_notifications()
    assert sorted(str(b["notifyType"]) for b in receiver.bodies()) == ["CANCEL", "PAYMENT", "PAYMENT"]
    assert receiver.bodies("/refunds") == []
    sim.settle_refund("RF_1")
    sim.settle_payout("PO_1")
    sim.settle_payout("PO_1", outcome="BOUNCEBACK")  # paid out, then returned by the payee's bank
    assert await sim.wait_notifications()
    (settled,) = receiver.bodies("/refunds")
    assert settled["notifyType"] == "REFUND"
    assert settled["data"]["status"] == "REFUND_SUCCESS"  # type: ignore[index]
    assert settled["data"]["refundAmount"] == 4  # type: ignore[index]
    paid_out = [b["data"]["status"] for b in receiver.bodies() if b["notifyType"] == "PAYOUT"]  # type: ignore[index]
    assert paid_out == ["SUCCESS", "BOUNCEBACK"]


async def test_settling_later_notifies(sim: GatewaySimulator, raw: RawCaller, receiver: Receiver) -> None:
    answer = await raw.call("orderAndPay", payment_order("N_8", totalAmount=Decimal("10.52")))  # ..52: 3DS
    assert answer.data["status"] == "PENDING" and answer.data["redirectUrl"].startswith(sim.base_url)
    assert await sim.wait_notifications()
    assert receiver.received == []  # PENDING is not notified
    sim.complete_payment("N_8", success=False)
    assert await sim.wait_notifications()
    (failed,) = receiver.bodies()
    assert failed["data"]["status"] == "FAILED"  # type: ignore[index]


async def test_the_payer_opens_the_cashier_page(
    sim: GatewaySimulator, raw: RawCaller, receiver: Receiver
) -> None:
    answer = await raw.call("orderAndPay", hosted_order("N_9"))
    assert answer.data["status"] == "PENDING"
    url = str(answer.data["redirectUrl"])
    assert url.startswith(sim.base_url + "/cashier/")
    again = await raw.call("orderAndPay", hosted_order("n_9"))  # case-insensitively the same, still pending
    assert again.data["redirectUrl"] == url
    async with raw.session.get(url) as page:
        assert page.status == 200 and "SUCCESS" in await page.text()
    assert await sim.wait_notifications()
    (paid,) = receiver.bodies()
    assert (paid["notifyType"], paid["data"]["status"]) == ("PAYMENT", "SUCCESS")  # type: ignore[index]
    async with raw.session.get(sim.base_url + "/cashier/nope") as page:
        assert page.status == 404
    assert (await raw.call("orderClose", {"outTradeNo": "N_9"})).code == "ORDER_STATUS_INVALID"


async def test_unreachable_merchant_is_recorded(receiver: Receiver) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with GatewaySimulator(
        notify_url=f"http://127.0.0.1:{port}/x", notify_retry_delays=(0, 0.01)
    ) as sim:
        sim.authorize("N_10", "10.00", "USD")
        async with aiohttp.ClientSession() as session:
            await RawCaller(sim, session).call("cancel", {"requestId": "C_1", "outTradeNo": "N_10"})
        assert await sim.wait_notifications()
        (notification,) = [n for n in sim.notifications if n.notify_type == "CANCEL"]
        assert not notification.delivered
        assert [a.http_status for a in notification.attempts] == [None, None]
        assert all(a.error for a in notification.attempts)


async def test_close_stops_pending_retries(receiver: Receiver) -> None:
    receiver.script = [(500, "no"), (500, "no")]
    async with GatewaySimulator(notify_url=receiver.url + "/hook", notify_retry_delays=(0, 3600)) as sim:
        sim.authorize("N_11", "10.00", "USD")
        async with aiohttp.ClientSession() as session:
            await RawCaller(sim, session).call("cancel", {"requestId": "C_1", "outTradeNo": "N_11"})
        assert not await sim.wait_notifications(timeout=0.2)  # waiting an hour for the retry
    assert len(sim.notifications) == 2  # the authorization's PAYMENT, then the CANCEL
    for notification in sim.notifications:
        assert notification.finished and not notification.delivered
        assert len(notification.attempts) == 1


def test_only_loopback_notify_urls() -> None:
    for url in ("http://127.0.0.1:8000/hook", "http://localhost/hook", "https://[::1]:9/x"):
        assert is_loopback_url(url)
        assert check_notify_url(url) == url
    for url in (
        "http://10.0.0.1/hook",
        "https://merchant.example/notify",
        "ftp://127.0.0.1/x",
        "http://[::1",
    ):
        assert not is_loopback_url(url)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        GatewaySimulator(notify_url="https://merchant.example/notify")
    with pytest.raises(ValueError, match="at least one"):
        GatewaySimulator(notify_url="http://127.0.0.1:1/x", notify_retry_delays=())
    with pytest.raises(ValueError, match=">= 0"):
        GatewaySimulator(notify_url="http://127.0.0.1:1/x", notify_retry_delays=(0, -1))


async def test_state_changed_from_another_thread_still_notifies(receiver: Receiver) -> None:
    """With a SimulatorThread, a test may settle a capture from its own thread: the notification
    is still delivered by the simulator's loop."""
    runner = SimulatorThread(notify_url=receiver.url + "/hook", notify_retry_delays=FAST)
    sim = await asyncio.to_thread(runner.start)
    try:
        async with PayerMaxClient(**sim.client_options()) as client:
            await client.call("orderAndPay", auth_order("T_1", totalAmount=Decimal("20.00")))  # PAYMENT
            pending = await client.capture("T_1", Decimal("10.54"), "USD")
        assert pending.status is CaptureStatus.PENDING
        sim.settle_capture("T_1")  # from this thread, not the simulator's
        for _ in range(250):
            if len(receiver.received) == 2:
                break
            await asyncio.sleep(0.02)
        assert sorted(str(b["notifyType"]) for b in receiver.bodies()) == ["CAPTURE", "PAYMENT"]
        assert all(n.delivered for n in sim.notifications)
    finally:
        await asyncio.to_thread(runner.stop)
