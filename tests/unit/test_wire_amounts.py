"""Amounts leave the client in plain positional digits whatever form their Decimal is in.

msgspec writes a Decimal as ``str()`` does: ``Decimal("100").normalize()`` is ``1E+2`` there, and
PayerMax reads ``100``. The value never changes, only its spelling; the bytes checked here are the
ones signed and sent.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from typing import Any

import pytest

from payermax_async import InvalidRequestError, PayeeAccountInfo, PayeeInfo, PayerMaxClient

from ..support import Keys
from .opskit import BACK, Gateway, ok

#: (the Decimal a caller has, the digits PayerMax must see)
FORMS = [
    pytest.param(Decimal("1E+2"), b"100", id="1E+2"),
    pytest.param(Decimal("100").normalize(), b"100", id="normalized"),
    pytest.param(Decimal("1.0E+2"), b"100", id="1.0E+2"),
    pytest.param(Decimal("1.25E+3"), b"1250", id="1.25E+3"),
]


def data_of(gw: Gateway) -> bytes:
    """The ``data`` object of the last request, byte for byte as signed."""
    body = gw.m.requests[-1].body
    found = re.search(rb'"data":(\{.*\})[,}]', body)
    assert found is not None, body
    return found.group(1)


@pytest.mark.parametrize(("amount", "digits"), FORMS)
async def test_capture_sends_plain_digits(
    client: PayerMaxClient, gw: Gateway, keys: Keys, amount: Decimal, digits: bytes
) -> None:
    gw.on("capture", ok(keys, outTradeNo="O_1", requestId="R_1", status="SUCCESS"))
    await client.capture("O_1", amount, "USD", request_id="R_1")
    assert data_of(gw) == b'{"requestId":"R_1","outTradeNo":"O_1","currency":"USD","amount":' + digits + b"}"


@pytest.mark.parametrize(("amount", "digits"), [*FORMS, pytest.param(Decimal("10.00"), b"10.00", id="plain")])
async def test_an_id_with_dashes_leaves_the_amount_as_it_would(
    client: PayerMaxClient, gw: Gateway, keys: Keys, amount: Decimal, digits: bytes
) -> None:
    rid = "0b6c1e2a-7f3d-4c59-9e1a-2d8f4b7c6a50"  # "-" sends the encoder looking for an exponent
    gw.on("capture", ok(keys, outTradeNo="O_1", requestId=rid, status="SUCCESS"))
    await client.capture("O_1", amount, "USD", request_id=rid)
    assert data_of(gw) == b'{"requestId":"%s","outTradeNo":"O_1","currency":"USD","amount":%s}' % (
        rid.encode(),
        digits,
    )


@pytest.mark.parametrize(("amount", "digits"), FORMS)
async def test_refund_sends_plain_digits(
    client: PayerMaxClient, gw: Gateway, keys: Keys, amount: Decimal, digits: bytes
) -> None:
    gw.on("refund", ok(keys, outRefundNo="RF_1", status="REFUND_PENDING"))
    await client.refund("O_1", "RF_1", amount, "USD")
    assert data_of(gw) == (
        b'{"outRefundNo":"RF_1","refundAmount":' + digits + b',"refundCurrency":"USD","outTradeNo":"O_1"}'
    )


@pytest.mark.parametrize(("amount", "digits"), FORMS)
async def test_order_and_pay_sends_plain_digits(
    client: PayerMaxClient, gw: Gateway, keys: Keys, amount: Decimal, digits: bytes
) -> None:
    gw.on("orderAndPay", ok(keys, outTradeNo="O_1", status="PENDING", redirectUrl="https://c.test/x"))
    # a string that reads like an exponent is text, and stays exactly as given
    await client.order_and_pay(
        "O_1", amount, "USD", subject="Pack 1E+2", user_id="u1", front_callback_url=BACK
    )
    sent = data_of(gw)
    assert b'"totalAmount":' + digits + b"," in sent and b'"subject":"Pack 1E+2"' in sent


@pytest.mark.parametrize(("amount", "digits"), FORMS)
async def test_payout_sends_plain_digits_as_its_string(
    client: PayerMaxClient, gw: Gateway, keys: Keys, amount: Decimal, digits: bytes
) -> None:
    gw.on("paymentOrderPay", ok(keys, outTradeNo="PO_1", tradeNo="TN-1", status="PENDING"))
    payee = PayeeInfo(payment_method_type="BANK_TRANSFER", account_info=PayeeAccountInfo(account_no="1"))
    await client.payout("PO_1", amount, "USD", country="US", payee_info=payee)
    assert b'"trade":{"amount":"' + digits + b'","currency":"USD"}' in data_of(gw)


async def test_precision_is_kept_and_plain_amounts_go_out_as_given(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("capture", ok(keys, outTradeNo="O_1", requestId="R_1", status="SUCCESS"), repeat=True)
    # "100.00" first, so that the checks' memo of passed amounts holds 100 when 1E+2 comes
    for amount, digits in (
        ("100.00", b"100.00"),
        (Decimal("1E+2"), b"100"),
        (Decimal("1.50E+1"), b"15.0"),
        (Decimal("10.00"), b"10.00"),
        (7, b"7"),
    ):
        await client.capture("O_1", amount, "USD", request_id="R_1")
        assert data_of(gw).endswith(b'"amount":' + digits + b"}"), amount


async def test_a_context_writing_lower_case_exponents_changes_nothing(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("capture", ok(keys, outTradeNo="O_1", requestId="R-1e-2", status="SUCCESS"))
    with localcontext() as ctx:
        ctx.capitals = 0  # str(Decimal("1E+2")) is now "1e+2"
        await client.capture("O_1", Decimal("1E+2"), "USD", request_id="R-1e-2")
    assert data_of(gw) == b'{"requestId":"R-1e-2","outTradeNo":"O_1","currency":"USD","amount":100}'


async def test_call_with_a_dict_sends_plain_digits(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("somethingNew", ok(keys))
    data: dict[str, Any] = {"id": "CAPTURE-E+1", "amounts": [Decimal("2E+1"), {"value": Decimal("5E+0")}]}
    await client.call("somethingNew", data)
    assert data_of(gw) == b'{"id":"CAPTURE-E+1","amounts":[20,{"value":5}]}'


async def test_a_payout_amount_too_long_once_written_out_is_refused(
    client: PayerMaxClient, gw: Gateway
) -> None:
    # trade.amount is a string of at most 12 characters: 1E+12 is 13 of them on the wire
    payee = PayeeInfo(payment_method_type="BANK_TRANSFER", account_info=PayeeAccountInfo(account_no="1"))
    with pytest.raises(InvalidRequestError) as caught:
        await client.payout("PO_1", Decimal("1E+12"), "USD", country="US", payee_info=payee)
    assert caught.value.field == "trade.amount"
    assert not gw.m.requests


async def test_a_number_that_cannot_be_written_out_is_refused_before_sending(
    client: PayerMaxClient, gw: Gateway
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.capture("O_1", Decimal("1E+100"), "USD")
    assert caught.value.field == "amount" and caught.value.operation == "capture"
    with pytest.raises(InvalidRequestError) as caught:
        await client.call("somethingNew", {"fee": Decimal("1E-1000")})
    assert caught.value.field == "fee"
    assert not gw.m.requests
