"""The whole lifecycle end to end against the embedded gateway on 127.0.0.1: real HTTP, real
signatures both ways, the gateway's own state as the witness."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from payermax_async import (
    ApiError,
    BuyerInfo,
    CancelStatus,
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
from payermax_async.testing import Fault, FaultKind, GatewaySimulator

CARD = PaymentDetail(
    payment_method_type="CARD",
    card_info=CardInfo(
        card_identifier_no="4111111111111111",
        card_expiration_year="30",
        card_expiration_month="12",
        cvv="123",
    ),
    buyer_info=BuyerInfo(client_ip="127.0.0.1", user_agent="Mozilla/5.0"),
)


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    async with GatewaySimulator() as simulator:
        yield simulator


@pytest.fixture
async def client(sim: GatewaySimulator) -> AsyncIterator[PayerMaxClient]:
    retry = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.01, rng=random.Random(5))
    async with sim.client(retry=retry, timeout=2.0) as c:
        yield c


async def authorize(client: PayerMaxClient, out_trade_no: str, amount: Decimal | str = "80.00") -> None:
    auth = await client.order_and_pay(
        out_trade_no, amount, "USD", country="US", subject="Rental deposit", user_id="user-1",
        integrate="Direct_Payment", terminal_type="WEB", payment_detail=CARD, capture_mode="MANUAL",
    )  # fmt: skip
    assert auth.status is PaymentStatus.SUCCESS and auth.out_trade_no == out_trade_no


async def test_authorize_query_capture_refund_refund_query(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    await authorize(client, "AUTH_E2E_1")
    held = await client.order_query("AUTH_E2E_1")
    assert held.status is PaymentStatus.SUCCESS and held.payment_details
    assert held.total_amount == Decimal("80.00") and held.payment_details[0].payment_method_type == "CARD"

    capture = await client.capture("AUTH_E2E_1", "60.00", "USD")
    assert capture.status is CaptureStatus.SUCCESS and capture.amount == Decimal("60.00")

    refund = await client.refund("AUTH_E2E_1", "RF_E2E_1", "15.50", "USD", comments="one night less")
    assert refund.status is RefundStatus.REFUND_PENDING and refund.refund_trade_no  # as PayerMax: later
    assert not refund.reconciled
    sim.settle_refund("RF_E2E_1")

    by_ours = await client.refund_query(out_refund_no="RF_E2E_1")
    by_theirs = await client.refund_query(refund_trade_no=refund.refund_trade_no)
    assert by_ours == by_theirs
    assert by_ours.refund_amount == Decimal("15.50") and by_ours.out_trade_no == "AUTH_E2E_1"
    assert by_ours.status is RefundStatus.REFUND_SUCCESS and by_ours.refund_finish_time is not None

    kinds = [e.kind for e in sim.events if e.out_trade_no == "AUTH_E2E_1"]
    assert kinds[:3] == ["created", "authorized", "captured"] and "refunded" in kinds[3:]
    assert [r.api_name for r in sim.requests] == [
        "orderAndPay", "orderQuery", "capture", "refund", "refundQuery", "refundQuery",
    ]  # fmt: skip
    assert all(r.code == "APPLY_SUCCESS" for r in sim.requests)


async def test_authorize_then_cancel(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    await authorize(client, "AUTH_E2E_2")
    void = await client.cancel("AUTH_E2E_2")
    assert void.status is CancelStatus.SUCCESS and void.cancel_no and void.succeeded_time is not None
    again = await client.cancel("AUTH_E2E_2", void.request_id)  # a replay returns the original
    assert again == void
    assert (await client.order_query("AUTH_E2E_2")).status is PaymentStatus.CLOSED
    with pytest.raises(ApiError) as info:
        await client.capture("AUTH_E2E_2", "10", "USD")
    assert info.value.code == "ORDER_CLOSED"


async def test_hosted_checkout_then_close(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    order = await client.order_and_pay(
        "HC_E2E_1", "12.00", "USD", country="US", subject="Shoes", user_id="user-2",
        front_callback_url="https://merchant.test/back",
    )  # fmt: skip
    assert order.status is PaymentStatus.PENDING and order.redirect_url
    assert order.redirect_url.startswith(sim.base_url)
    closed = await client.order_close("HC_E2E_1", "basket abandoned")
    assert closed.status is not None and closed.status.is_final
    assert (await client.order_query("HC_E2E_1")).status is PaymentStatus.CLOSED


async def test_lost_order_answer_is_reconciled_not_repeated(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="orderAndPay", times=1))
    result = await client.order_and_pay(
        "AUTH_E2E_3", "20.00", "USD", country="US", subject="Deposit", user_id="user-3",
        integrate="Direct_Payment", terminal_type="WEB", payment_detail=CARD, capture_mode="MANUAL",
    )  # fmt: skip
    assert result.reconciled and result.status is PaymentStatus.SUCCESS
    assert [r.code for r in sim.requests_for("orderAndPay")] == [None, "ORDER_REPEAT"]
    assert len([e for e in sim.events if e.kind == "authorized"]) == 1


async def test_lost_refund_answer_is_answered_by_the_replay(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    sim.authorize("AUTH_E2E_4", "50.00", "USD")
    await client.capture("AUTH_E2E_4", "50.00", "USD")
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="refund", times=1))
    refund = await client.refund("AUTH_E2E_4", "RF_E2E_4", "5.00", "USD")
    assert refund.status is RefundStatus.REFUND_PENDING
    assert len(sim.refunds_of("AUTH_E2E_4")) == 1  # processed once, however often it was sent


async def test_pending_refund_settles(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    sim.authorize("AUTH_E2E_5", "30.00", "USD")
    await client.capture("AUTH_E2E_5", "30.00", "USD")
    pending = await client.refund("AUTH_E2E_5", "RF_E2E_5", "10.52", "USD")  # ..52: pending
    assert pending.status is RefundStatus.REFUND_PENDING and not pending.status.is_final
    sim.settle_refund("RF_E2E_5")
    done = await client.refund_query(out_refund_no="RF_E2E_5")
    assert done.status is RefundStatus.REFUND_SUCCESS and done.status.is_final


async def test_payout_and_payout_query(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    payee = PayeeInfo(
        payment_method_type="BANK_TRANSFER", account_info=PayeeAccountInfo(account_no="12345678")
    )
    paid = await client.payout("PO_E2E_1", "100.00", "USD", country="US", payee_info=payee)
    assert paid.status is PayoutStatus.PENDING and paid.trade_no  # as PayerMax: settled later
    sim.settle_payout("PO_E2E_1")
    found = await client.payout_query("PO_E2E_1")
    assert found.status is PayoutStatus.SUCCESS and found.trade_no == paid.trade_no
    assert found.trade is not None and found.trade.amount == Decimal("100.00")

    slow = await client.payout("PO_E2E_2", "7.52", "USD", country="US", payee_info=payee)
    assert slow.status is PayoutStatus.PENDING
    sim.settle_payout("PO_E2E_2", success=False)
    assert (await client.payout_query("PO_E2E_2")).status is PayoutStatus.FAILED
    [record] = sim.requests_for("paymentOrderPay")[:1]
    assert isinstance(record.data, dict) and record.data["trade"] == {"amount": "100.00", "currency": "USD"}


async def test_generic_call_reaches_any_endpoint(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    sim.authorize("AUTH_E2E_6", "9.99", "USD")
    raw = await client.call("orderQuery", {"outTradeNo": "AUTH_E2E_6"}, idempotency_key="AUTH_E2E_6")
    assert raw["status"] == "SUCCESS" and raw["totalAmount"] == Decimal("9.99")
    with pytest.raises(ApiError) as info:
        await client.call("orderQuery", {"outTradeNo": "NOPE"})
    assert info.value.code == "ORDER_NOT_EXIST"


async def test_amounts_in_exponent_form_are_taken_by_the_gateway(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    # Decimal("100").normalize() is 1E+2: the gateway reads amounts in plain digits, and gets them
    await authorize(client, "AUTH_E2E_7", Decimal("100").normalize())
    capture = await client.capture("AUTH_E2E_7", Decimal("6E+1"), "USD")
    assert capture.status is CaptureStatus.SUCCESS and capture.amount == 60
    refund = await client.refund("AUTH_E2E_7", "RF_E2E_7", Decimal("2E+1"), "USD")
    assert refund.status is RefundStatus.REFUND_PENDING
    payee = PayeeInfo(payment_method_type="BANK_TRANSFER", account_info=PayeeAccountInfo(account_no="1234"))
    paid = await client.payout("PO_E2E_7", Decimal("2E+2"), "USD", country="US", payee_info=payee)
    assert paid.status is PayoutStatus.PENDING
    [record] = sim.requests_for("paymentOrderPay")
    assert isinstance(record.data, dict) and record.data["trade"] == {"amount": "200", "currency": "USD"}
