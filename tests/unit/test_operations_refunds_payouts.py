"""Refunds and payouts at unit level (a scripted gateway, no socket): the wire request, the typed
result, input refused before sending, and reconciliation when a retry meets ORDER_REPEAT after a
lost answer (and the refusal when what it finds is someone else's)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import (
    ApiError,
    InvalidRequestError,
    OutcomeUnknownError,
    PayeeAccountInfo,
    PayeeInfo,
    PayeeName,
    PayerMaxClient,
    PayoutStatus,
    RefundStatus,
)
from payermax_async.types import RefundRequest, RefundResult

from ..support import Keys
from .opskit import Gateway, lost, lost_then_repeated, ok

# ---------------------------------------------------------------------------- refunds


async def test_refund_request_and_result(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on(
        "refund",
        ok(keys, outRefundNo="R_1", tradeOrderNo="T-1", refundTradeNo="RT-1", status="REFUND_PENDING"),
    )
    result = await client.refund(
        "O_1", "R_1", "7.5", "USD", comments="damaged", refund_notify_url="https://merchant.test/refunds"
    )
    [env] = gw.envelopes("refund")
    assert env["version"] == "1.5"
    assert env["data"] == {
        "outRefundNo": "R_1",
        "refundAmount": 7.5,
        "refundCurrency": "USD",
        "outTradeNo": "O_1",
        "comments": "damaged",
        "refundNotifyUrl": "https://merchant.test/refunds",
    }
    assert result.status is RefundStatus.REFUND_PENDING and result.refund_trade_no == "RT-1"
    assert result.trade_order_no == "T-1"  # PayerMax names the payment, not our outTradeNo


async def test_refund_lost_answer_is_reconciled_by_refund_query(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    lost_then_repeated(gw, "refund")
    gw.on(
        "refundQuery",
        ok(
            keys,
            outRefundNo="R_2",
            refundTradeNo="RT-2",
            outTradeNo="O_1",
            refundAmount=3,
            refundCurrency="USD",
            status="REFUND_SUCCESS",
        ),
    )
    result = await client.refund("O_1", "R_2", 3, "USD")
    assert result.reconciled and result.status is RefundStatus.REFUND_SUCCESS
    assert gw.envelopes("refundQuery")[0]["data"] == {"outRefundNo": "R_2"}


async def test_refund_reconcile_refuses_a_different_refund(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    lost_then_repeated(gw, "refund")
    other = {"outRefundNo": "R_4", "outTradeNo": "O_OTHER", "refundAmount": 3, "refundCurrency": "USD"}
    gw.on("refundQuery", ok(keys, status="REFUND_SUCCESS", **other))
    with pytest.raises(ApiError) as info:
        await client.refund("O_1", "R_4", 3, "USD")
    assert info.value.code == "ORDER_REPEAT" and info.value.out_refund_no == "R_4"


async def test_refund_without_reconcile_answer_is_outcome_unknown(
    make_client: Callable[..., PayerMaxClient], gw: Gateway
) -> None:
    gw.on("refund", *[lost() for _ in range(2)])
    async with make_client(max_retries=1) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.refund("O_1", "R_3", 3, "USD")
    assert info.value.out_refund_no == "R_3" and info.value.out_trade_no == "O_1"


async def test_refund_query_by_either_id_but_exactly_one(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on(
        "refundQuery",
        ok(keys, outRefundNo="R_1", refundTradeNo="RT-1", status="REFUND_FAILED", resultMsg="issuer refused"),
        repeat=True,
    )
    by_trade = await client.refund_query(refund_trade_no="RT-1")
    assert gw.envelopes("refundQuery")[0]["data"] == {"refundTradeNo": "RT-1"}
    assert by_trade.status is RefundStatus.REFUND_FAILED and by_trade.status.is_final
    bad: list[dict[str, Any]] = [{}, {"out_refund_no": "R_1", "refund_trade_no": "RT-1"}]
    for kwargs in bad:
        with pytest.raises(InvalidRequestError):
            await client.refund_query(**kwargs)
    assert len(gw.sent) == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("O_1", "R_1", "-1", "USD"), "refundAmount"),
        (("O_1", "R_1", "100", "JPY", "x"), "refundNotifyUrl"),
        (("O_1", "R_1", "1.5", "IDR"), "refundAmount"),  # PayerMax refunds IDR whole
        (("O_1", "R_1", "1.001", "KWD"), "refundAmount"),  # and KWD to 2 places (ISO 4217: 3)
    ],
)
async def test_refund_refuses_bad_input(
    client: PayerMaxClient, gw: Gateway, args: tuple[Any, ...], field: str | None
) -> None:
    url = args[4] if len(args) == 5 else None  # a refund URL that is not a URL
    with pytest.raises(InvalidRequestError) as info:
        await client.refund(*args[:4], refund_notify_url=url)
    assert info.value.field == field
    assert not gw.m.requests


async def test_a_hand_built_refund_must_name_its_payment(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    # PayerMax needs outTradeNo or tradeToken; neither is required on its own, so a request built
    # by hand could leave both out, through call() as through the flat method.
    gw.on("refund", ok(keys, outRefundNo="R_1", status="REFUND_PENDING"))
    bare = RefundRequest(out_refund_no="R_1", refund_amount=Decimal("5"), refund_currency="USD")
    with pytest.raises(InvalidRequestError) as info:
        await client.call("refund", bare, result_type=RefundResult)
    assert info.value.field == "outTradeNo" and "tradeToken" in str(info.value)
    with pytest.raises(InvalidRequestError) as info:
        await client.refund(None, "R_1", "5", "USD")  # type: ignore[arg-type]  # on purpose
    assert info.value.field == "outTradeNo"
    assert not gw.m.requests
    bare.trade_token = "TT_1"
    await client.call("refund", bare, result_type=RefundResult)
    assert gw.envelopes("refund")[0]["data"]["tradeToken"] == "TT_1"


async def test_ddc_needs_a_card_or_a_token(client: PayerMaxClient, gw: Gateway) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.payments.apply_ddc(
            payment_method_type="CARD", payment_amount="1.00", payment_currency="USD", user_id="u1"
        )
    assert info.value.field == "cardIdentifierNo" and "paymentTokenID" in str(info.value)
    assert not gw.m.requests


# ---------------------------------------------------------------------------- payouts


def payee() -> PayeeInfo:
    return PayeeInfo(
        payment_method_type="BANK_TRANSFER",
        target_org="NBE",
        account_info=PayeeAccountInfo(account_no="EG380019000500000000263180002"),
        name=PayeeName(full_name="Test Payee"),
    )


async def test_payout_sends_the_amount_as_an_exact_string(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    gw.on("paymentOrderPay", ok(keys, outTradeNo="PO_1", tradeNo="TN-1", status="PENDING"))
    result = await client.payout(
        "PO_1",
        Decimal("100.5"),
        "EGP",
        country="EG",
        payee_info=payee(),
        notify_url="https://merchant.test/payouts",
        reference="batch-7",
        destination_currency="EGP",
        expiry_days=3,
        extra={"merchantVersion": "2.0"},
    )
    [env] = gw.envelopes("paymentOrderPay")
    assert env["version"] == "1.5"
    # trade.amount is a JSON string on the wire, exact as given (never through a float)
    assert env["data"]["trade"] == {"amount": "100.5", "currency": "EGP"}
    assert "paymentMethod" not in env["data"]["payeeInfo"]
    assert env["data"]["payeeInfo"]["paymentMethodType"] == "BANK_TRANSFER"
    assert env["data"]["destinationCurrency"] == "EGP" and env["data"]["expiryDays"] == "3"
    assert env["data"]["merchantVersion"] == "2.0" and env["data"]["reference"] == "batch-7"
    assert env["data"]["payeeInfo"]["accountInfo"]["accountNo"] == "EG380019000500000000263180002"
    assert result.status is PayoutStatus.PENDING and result.trade_no == "TN-1"


async def test_payout_lost_answer_is_reconciled_by_payout_query(
    client: PayerMaxClient, gw: Gateway, keys: Keys
) -> None:
    lost_then_repeated(gw, "paymentOrderPay")
    gw.on(
        "paymentOrderQry",
        ok(
            keys,
            outTradeNo="PO_2",
            tradeNo="TN-2",
            status="SUCCESS",
            trade={"amount": "1.00", "currency": "USD"},
        ),
    )
    result = await client.payout("PO_2", 1, "USD", country="US", payee_info=payee())
    assert result.reconciled and result.status is PayoutStatus.SUCCESS
    assert gw.attempts("paymentOrderPay") == 2  # the lost one and the ORDER_REPEAT, never a third


async def test_payout_query(client: PayerMaxClient, gw: Gateway, keys: Keys) -> None:
    gw.on("paymentOrderQry", ok(keys, outTradeNo="PO_1", status="FAILED", responseCode="ACCOUNT_INVALID"))
    found = await client.payout_query("PO_1")
    assert found.status is PayoutStatus.FAILED and found.response_code == "ACCOUNT_INVALID"
    assert gw.envelopes("paymentOrderQry")[0]["data"] == {"outTradeNo": "PO_1"}


async def test_payout_refuses_bad_input(client: PayerMaxClient, gw: Gateway) -> None:
    with pytest.raises(InvalidRequestError, match="payeeInfo"):
        await client.payout("PO_1", 1, "USD", country="US", payee_info={"paymentMethod": "X"})  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as info:
        await client.payout("P-1", 1, "USD", country="US", payee_info=payee())
    assert info.value.field == "outTradeNo"
    no_account = PayeeInfo(payment_method_type="X", account_info=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as info:
        await client.payout("PO_1", 1, "USD", country="US", payee_info=no_account)
    assert info.value.field == "payeeInfo.accountInfo"
    assert not gw.m.requests
