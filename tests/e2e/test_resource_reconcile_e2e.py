"""A lost answer on the resource namespaces against the embedded gateway (real HTTP on 127.0.0.1, real
signatures): the gateway processes the first attempt and drops the connection, the client retries
with the same business id, and the gateway's own books show exactly one effect.

Pay-by-link and exchange refuse a repeated id with ORDER_REPEAT, so the client settles by the query
the endpoint table names and returns a result marked ``reconciled``. The simulator answers a repeated
token application or subscription with the original's current state instead, so there the replay
itself is the answer (one binding, one subscription; nothing to reconcile).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.testing import Fault, FaultKind, GatewaySimulator
from payermax_async.types import MerchantInfo, UserInfo
from payermax_async.types.links import CreatePaybylinkGoodsDetail
from payermax_async.types.subscriptions import (
    SubscriptionCreatePeriodAmount,
    SubscriptionCreatePeriodRule,
    SubscriptionCreateSubscriptionPlan,
)
from payermax_async.types.tokens import ApplyPaymentTokenCardInfo


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    async with GatewaySimulator() as simulator:
        yield simulator


@pytest.fixture
async def client(sim: GatewaySimulator) -> AsyncIterator[PayerMaxClient]:
    retry = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.01, rng=random.Random(3))
    async with sim.client(retry=retry, timeout=2.0) as c:
        yield c


def lose_first(sim: GatewaySimulator, api_name: str) -> None:
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name=api_name, times=1))


def codes(sim: GatewaySimulator, api_name: str) -> list[str | None]:
    return [r.code for r in sim.requests_for(api_name)]


async def test_pay_by_link_lost_answer_is_reconciled_by_queryPaybylink(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    lose_first(sim, "createPaybylink")
    link = await client.payment_links.create(
        merchant_link_id="LINK_LOST_1", link_type="ONETIME", country="SA", currency="SAR",
        total_amount="25.00", description="Order 7", user_info=UserInfo(user_id="u1"),
        goods_details=[
            CreatePaybylinkGoodsDetail(
                goods_name="Mug", goods_description="A mug", quantity="1", price=Decimal("25.00"),
                goods_currency="SAR", show_url="https://merchant.test/mug",
            )
        ],
        merchant_info=MerchantInfo(contact_email="shop@merchant.test"),
        notify_url="https://merchant.test/notify",
    )  # fmt: skip
    assert link.reconciled and link.merchant_link_id == "LINK_LOST_1"
    assert link.link_status == "ACTIVE" and link.link_url and link.link_id
    assert codes(sim, "createPaybylink") == [None, "ORDER_REPEAT"]
    assert codes(sim, "queryPaybylink") == ["APPLY_SUCCESS"]
    assert (await client.payment_links.query("LINK_LOST_1")).link_id == link.link_id  # the one link


async def test_exchange_lost_answer_is_reconciled_by_exchangeQuery(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    lose_first(sim, "exchange")
    deal = await client.fx.exchange(
        ccy_pair="USDSAR", side="SELL", transaction_amount="100.00", transaction_ccy="USD",
        target_ccy="SAR", out_trade_no="FX_LOST_1",
    )  # fmt: skip
    assert deal.reconciled and deal.out_trade_no == "FX_LOST_1" and deal.trade_no
    assert deal.transaction_amount == Decimal("100.00") and deal.status == "SUCCESS"
    assert codes(sim, "exchange") == [None, "ORDER_REPEAT"]
    assert (await client.fx.exchange_query("FX_LOST_1")).trade_no == deal.trade_no  # the one deal


async def test_token_application_lost_answer_binds_once(
    sim: GatewaySimulator, client: PayerMaxClient
) -> None:
    lose_first(sim, "applyPaymentToken")
    card = ApplyPaymentTokenCardInfo(
        card_org="VISA", card_identifier_no="4111111111111111", card_holder_full_name="A Payer",
        card_expiration_month="12", card_expiration_year="30", cvv="123",
    )  # fmt: skip
    applied = await client.tokens.apply(
        country="US", payment_method_type="CARD", user_id="u5", token_scope="tokenAcq",
        front_callback_url="https://merchant.test/bound", request_id="BIND_LOST_1", card_info=card,
    )  # fmt: skip
    assert applied.request_id == "BIND_LOST_1" and applied.status == "SUCCESS" and applied.payment_token_id
    assert not applied.reconciled  # the simulator replays a repeated requestId
    assert codes(sim, "applyPaymentToken") == [None, "APPLY_SUCCESS"]
    listed = await client.tokens.inquire(user_id="u5", token_scope="tokenAcq")
    assert [t.payment_token_id for t in listed.token_list or []] == [applied.payment_token_id]


async def test_subscription_lost_answer_creates_one(sim: GatewaySimulator, client: PayerMaxClient) -> None:
    lose_first(sim, "subscriptionCreate")
    plan = SubscriptionCreateSubscriptionPlan(
        subject="Box", total_periods=3,
        period_rule=SubscriptionCreatePeriodRule(period_unit="M", period_count=1),
        period_amount=SubscriptionCreatePeriodAmount(amount=Decimal("9.99"), currency="USD"),
    )  # fmt: skip
    created = await client.subscriptions.create(
        user_id="u6", callback_url="https://merchant.test/sub", subscription_plan=plan,
        subscription_request_id="SUB_LOST_1",
    )  # fmt: skip
    assert created.subscription_request_id == "SUB_LOST_1" and created.subscription_plan
    number = created.subscription_plan.subscription_no
    assert number and not created.reconciled  # the simulator replays a repeated request id
    assert codes(sim, "subscriptionCreate") == [None, "APPLY_SUCCESS"]
    found = await client.subscriptions.query(subscription_request_id="SUB_LOST_1")
    assert found.subscription_plan and found.subscription_plan.subscription_no == number
