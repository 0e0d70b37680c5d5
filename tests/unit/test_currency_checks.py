"""A malformed or unknown currency is refused before any byte is sent, under the currency's own wire
name: PayerMax's schema gives currency fields only a length, and the overlay adds that they are ISO
4217 codes in upper case. Before that, capture and refund reported a bad currency as a bad amount."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import InvalidRequestError, PayeeAccountInfo, PayeeInfo, PayerMaxClient
from payermax_async.types import MerchantInfo, UserInfo
from payermax_async.types.links import CreatePaybylinkGoodsDetail

from ..support import URL, Keys, ScriptedGateway, capture_data, reply

BAD = ["usd", "US$", "XYZ", "US", "", "U5D"]  # lower case, symbol, unknown, short, empty, digit

PAYEE = PayeeInfo(
    payment_method_type="BANK_TRANSFER",
    account_info=PayeeAccountInfo(account_no="123", account_type="CPF", check_digit="0"),
)


def link(client: PayerMaxClient, currency: str) -> Awaitable[Any]:
    return client.payment_links.create(
        link_type="ONETIME", country="SA", currency=currency, total_amount="10.50", description="d",
        user_info=UserInfo(user_id="u1"),
        goods_details=[
            CreatePaybylinkGoodsDetail(
                goods_name="Cup", goods_description="A cup", quantity="1", price=Decimal("10.50"),
                goods_currency="SAR", show_url="https://merchant.test/cup",
            )
        ],
        merchant_info=MerchantInfo(contact_email="shop@merchant.test"),
        notify_url="https://merchant.test/notify",
    )  # fmt: skip


CALLS: list[tuple[str, Callable[[PayerMaxClient, str], Awaitable[Any]], str]] = [
    ("capture", lambda c, cur: c.capture("ORD_1", "10.50", cur), "currency"),
    ("refund", lambda c, cur: c.refund("ORD_1", "RF_1", "10.50", cur), "refundCurrency"),
    (
        "payout",
        lambda c, cur: c.payout("PO_1", "10.50", cur, country="BR", payee_info=PAYEE),
        "trade.currency",
    ),
    ("payment_links.create", link, "currency"),
    (
        "fx.exchange",
        lambda c, cur: c.fx.exchange(
            ccy_pair="USDSAR", side="SELL", transaction_amount="1", transaction_ccy="USD", target_ccy=cur
        ),
        "targetCcy",
    ),
    (
        "dropin.apply_session",  # a currency with no amount beside it
        lambda c, cur: c.dropin.apply_session(currency=cur, country="US", user_id="u1"),
        "currency",
    ),
]


@pytest.mark.parametrize("currency", BAD)
@pytest.mark.parametrize(("name", "call", "field"), CALLS, ids=[c[0] for c in CALLS])
async def test_a_bad_currency_is_named_as_itself_before_sending(
    client: PayerMaxClient,
    gateway: ScriptedGateway,
    name: str,
    call: Callable[[PayerMaxClient, str], Awaitable[Any]],
    field: str,
    currency: str,
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await call(client, currency)
    assert info.value.field == field, info.value.message
    assert not gateway.requests


@pytest.mark.parametrize(("name", "call", "field"), CALLS[:3], ids=[c[0] for c in CALLS[:3]])
async def test_the_amount_is_still_named_when_the_currency_is_good(
    client: PayerMaxClient,
    gateway: ScriptedGateway,
    name: str,
    call: Callable[[PayerMaxClient, str], Awaitable[Any]],
    field: str,
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await call(client, "JPY")  # 10.50 JPY: JPY has no decimals
    assert info.value.field in {"amount", "refundAmount", "trade.amount"}
    assert not gateway.requests


async def test_an_amount_judged_before_is_judged_by_its_own_value_and_currency(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys
) -> None:
    """Amounts that passed are remembered (a bulk run's repeat): what passed for one currency, or
    one value, must not let another through."""
    for otn, rid in (("ORD_OK", "REQ_OK"), ("ORD_OK2", "REQ_OK2")):
        answer = reply(keys, data=capture_data(outTradeNo=otn, requestId=rid))
        gateway.post(URL, status=answer.status, body=answer.body, headers=answer.headers)
    await client.capture("ORD_OK", "10.50", "USD", "REQ_OK")
    await client.capture("ORD_OK2", Decimal("10.500"), "USD", "REQ_OK2")  # the same value, passed
    sent = len(gateway.requests)
    refused = [
        ("10.50", "JPY", "amount"),  # passed for USD; JPY has no decimals
        ("10.501", "USD", "amount"),  # a different value
        ("10.50", "usd", "currency"),
        ("0", "USD", "amount"),
    ]
    for amount, currency, field in refused:
        for _ in range(2):  # refused again: nothing refused is remembered as passed
            with pytest.raises(InvalidRequestError) as info:
                await client.capture("ORD_NO", amount, currency, "REQ_NO")
            assert info.value.field == field, info.value.message
    assert len(gateway.requests) == sent
