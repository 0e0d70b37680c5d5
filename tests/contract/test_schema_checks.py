"""The request checks derived from the schema stop bad input before any byte is sent, and name the
field by its wire path without repeating a value that could be a card number."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from payermax_async import InvalidRequestError, _schema, types
from payermax_async.endpoints import ENDPOINTS, endpoint_for, validate_request


def capture(**overrides: Any) -> types.CaptureRequest:
    fields: dict[str, Any] = {
        "request_id": "REQ1",
        "out_trade_no": "ORD_1",
        "currency": "USD",
        "amount": Decimal("10.00"),
    }
    fields.update(overrides)
    return types.CaptureRequest(**fields)


def direct(**overrides: Any) -> types.OrderAndPayRequest:
    fields: dict[str, Any] = {
        "out_trade_no": "ORD_1",
        "subject": "s",
        "total_amount": Decimal("10"),
        "currency": "USD",
        "country": "US",
        "user_id": "u1",
        "integrate": "Direct_Payment",
        "terminal_type": "WEB",
        "payment_detail": types.PaymentDetail(
            payment_method_type="CARD",
            card_info=types.CardInfo(card_identifier_no="4111111111111111", cvv="123"),
            buyer_info=types.BuyerInfo(client_ip="127.0.0.1", user_agent="ua"),
        ),
    }
    fields.update(overrides)
    return types.OrderAndPayRequest(**fields)


def field_of(api: str, data: Any) -> str | None:
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(api, data)
    return caught.value.field


def test_a_good_capture_passes_and_names_its_endpoint() -> None:
    endpoint = validate_request("capture", capture())
    assert endpoint.key == "capture" and endpoint.version == "1.5"
    assert endpoint.idempotency == ("request_id",) and endpoint.reconcile == "replay"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"request_id": None}, "requestId"),
        ({"request_id": "x" * 65}, "requestId"),
        ({"out_trade_no": "ORD-1"}, "outTradeNo"),
        ({"out_trade_no": ""}, "outTradeNo"),
        ({"amount": 10.0}, "amount"),
        ({"amount": Decimal("10.001")}, "amount"),
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"currency": "JPY", "amount": Decimal("1.5")}, "amount"),
        ({"currency": "USS"}, "currency"),  # unknown: the currency is wrong, not the amount
        ({"currency": "usd"}, "currency"),
        ({"currency": "US$"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"final_capture": "yes"}, "finalCapture"),
        ({"currency": 840}, "currency"),
    ],
)
def test_capture_refusals_name_the_field(overrides: dict[str, Any], field: str) -> None:
    assert field_of("capture", capture(**overrides)) == field


def test_currency_precision_follows_the_currency() -> None:
    validate_request("capture", capture(currency="KWD", amount=Decimal("1.125")))
    validate_request("capture", capture(currency="JPY", amount=Decimal("100")))
    validate_request("capture", capture(currency="IDR", amount=Decimal("10000.00")))
    assert field_of("capture", capture(currency="IDR", amount=Decimal("10000.5"))) == "amount"


def test_refund_precision_is_the_refund_pages() -> None:
    def refund(amount: str, currency: str) -> types.RefundRequest:
        return types.RefundRequest(
            out_refund_no="RF1", refund_amount=Decimal(amount), refund_currency=currency, out_trade_no="O1"
        )

    validate_request("refund", refund("1.12", "KWD"))
    assert field_of("refund", refund("1.125", "KWD")) == "refundAmount"  # 3 in ISO 4217, 2 for refunds
    assert field_of("refund", refund("10.5", "TWD")) == "refundAmount"
    validate_request("refund", refund("10", "TWD"))
    # refundAmount comes first on the wire; a bad currency is still named as itself
    assert field_of("refund", refund("10", "XYZ")) == "refundCurrency"
    assert field_of("refund", refund("10", "twd")) == "refundCurrency"


def test_the_variant_is_chosen_by_the_fields() -> None:
    assert endpoint_for("orderAndPay", direct()).key == "orderAndPay/delSuffixStart1"
    assert endpoint_for("orderAndPay", direct(capture_mode="MANUAL")).key == (
        "orderAndPay(for-auth-caputre-dont-copy-me)"
    )
    dropin = direct(
        payment_detail=types.PaymentDetail(
            payment_token="t", buyer_info=types.BuyerInfo(client_ip="1.1.1.1", user_agent="ua")
        )
    )
    assert endpoint_for("orderAndPay", dropin).key == "orderAndPay(for-drop-dont-copy-me)"
    hosted = direct(integrate="Hosted_Checkout", terminal_type=None, payment_detail=None)
    assert endpoint_for("orderAndPay", hosted).key == "orderAndPay"
    assert endpoint_for("orderAndPay").key == "orderAndPay"
    assert field_of("orderAndPay", direct(integrate="Other")) == "integrate"


def test_direct_api_requirements() -> None:
    validate_request("orderAndPay", direct())
    assert field_of("orderAndPay", direct(terminal_type=None)) == "terminalType"
    assert field_of("orderAndPay", direct(terminal_type="TV")) == "terminalType"
    no_ip = types.PaymentDetail(
        payment_method_type="CARD",
        buyer_info=types.BuyerInfo(client_ip=None, user_agent="ua"),  # type: ignore[arg-type]  # on purpose
    )
    assert field_of("orderAndPay", direct(payment_detail=no_ip)) == "paymentDetail.buyerInfo.clientIp"
    no_method = types.PaymentDetail(buyer_info=types.BuyerInfo(client_ip="1.1.1.1", user_agent="ua"))
    assert field_of("orderAndPay", direct(payment_detail=no_method)) == "paymentDetail.paymentMethodType"


def test_hosted_checkout_requirements_and_fields_it_does_not_take() -> None:
    hosted = direct(integrate="Hosted_Checkout", terminal_type=None, payment_detail=None)
    assert field_of("orderAndPay", hosted) == "frontCallbackUrl"
    hosted = direct(
        integrate="Hosted_Checkout", terminal_type=None, payment_detail=None, front_callback_url="myapp://x"
    )
    validate_request("orderAndPay", hosted)
    with_card = direct(
        integrate="Hosted_Checkout",
        terminal_type=None,
        front_callback_url="https://m.example/r",
        payment_detail=types.PaymentDetail(card_info=types.CardInfo(cvv="1")),
    )
    assert field_of("orderAndPay", with_card) == "paymentDetail.cardInfo"


def test_nested_lists_and_string_amounts() -> None:
    goods = [types.GoodsDetail(goods_id="g", goods_name="n", quantity="1", price=Decimal("1.5"))]
    validate_request("orderAndPay", direct(goods_details=goods))
    bad = [*goods, types.GoodsDetail(goods_id="g", goods_name="n", quantity="1", price=Decimal("-1"))]
    assert field_of("orderAndPay", direct(goods_details=bad)) == "goodsDetails[1].price"
    assert field_of("orderAndPay", direct(goods_details=[{"price": "1"}])) == "goodsDetails[0]"


def test_shipping_info_once_sent_has_its_own_requirements() -> None:
    # Required fields are required by the constructor too; the check still catches an explicit None.
    shipping = types.ShippingInfo(
        first_name="A",
        last_name=None,  # type: ignore[arg-type]  # on purpose
        phone_no="1",
        email="e",
        address1="a",
        city="c",
        country="US",
        zip_code="1",
    )
    assert field_of("orderAndPay", direct(shipping_info=shipping)) == "shippingInfo.lastName"


def test_payout_payee_needs_method_and_account() -> None:
    def payout(payee: types.PayeeInfo) -> types.PayoutRequest:
        return types.PayoutRequest(
            out_trade_no="P1",
            country="ID",
            trade=types.PayoutTrade(amount=Decimal("100"), currency="IDR"),
            payee_info=payee,
        )

    good = types.PayeeInfo(payment_method_type="WALLET", account_info=types.PayeeAccountInfo(account_no="08"))
    validate_request("paymentOrderPay", payout(good))
    missing_account = types.PayeeInfo(payment_method_type="WALLET", account_info=None)  # type: ignore[arg-type]  # on purpose
    assert field_of("paymentOrderPay", payout(missing_account)) == "payeeInfo.accountInfo"
    assert (
        field_of(
            "paymentOrderPay",
            types.PayoutRequest(out_trade_no="P" * 64, country="ID", trade=None, payee_info=good),  # type: ignore[arg-type]  # on purpose
        )
        == "outTradeNo"
    )


#: (apiName, its request with the rest filled in, the fields of which PayerMax needs one)
ONE_OF: list[tuple[str, Callable[..., Any], tuple[tuple[str, str], ...]]] = [
    (
        "refund",
        lambda **ids: types.RefundRequest(
            out_refund_no="RF1", refund_amount=Decimal("1"), refund_currency="USD", **ids
        ),
        (("out_trade_no", "outTradeNo"), ("trade_token", "tradeToken")),
    ),
    (
        "refundQuery",
        types.RefundQueryRequest,
        (("out_refund_no", "outRefundNo"), ("refund_trade_no", "refundTradeNo")),
    ),
    (
        "subscriptionQuery",
        types.SubscriptionQueryRequest,
        (("subscription_request_id", "subscriptionRequestId"), ("subscription_no", "subscriptionNo")),
    ),
    (
        "applyDDC",
        lambda **ids: types.ApplyDdcRequest(
            payment_method_type="CARD",
            payment_amount=Decimal("1"),
            payment_currency="USD",
            user_id="u",
            **ids,
        ),
        (("card_identifier_no", "cardIdentifierNo"), ("payment_token_id", "paymentTokenID")),
    ),
]


@pytest.mark.parametrize(("api", "make", "group"), ONE_OF, ids=[api for api, _, _ in ONE_OF])
def test_one_of_the_ids_is_required(
    api: str, make: Callable[..., Any], group: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(api, make())
    assert caught.value.field == group[0][1]
    assert all(wire in str(caught.value) for _, wire in group)
    for name, _ in group:  # either one alone will do, and so will both
        validate_request(api, make(**{name: "A1"}))
    validate_request(api, make(**{name: "A1" for name, _ in group}))


def test_every_one_of_rule_of_the_overlay_is_checked() -> None:
    rules = {
        c["where"].split("/")[1]: tuple(c["one_of_required"])
        for c in _schema.overlay()["corrections"]
        if "one_of_required" in c
    }
    assert rules == {api: tuple(wire for _, wire in group) for api, _, group in ONE_OF}


def test_errors_never_repeat_a_card_number() -> None:
    long_card = types.CardInfo(card_identifier_no="41111111111111111111")
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(
            "orderAndPay",
            direct(
                payment_detail=types.PaymentDetail(
                    payment_method_type="CARD",
                    card_info=long_card,
                    buyer_info=types.BuyerInfo(client_ip="1.1.1.1", user_agent="ua"),
                )
            ),
        )
    assert caught.value.field == "paymentDetail.cardInfo.cardIdentifierNo"
    assert "4111" not in str(caught.value)


def test_a_wrong_type_for_data_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        ENDPOINTS["capture"].validate(types.CancelRequest(request_id="r", out_trade_no="o"))
    assert caught.value.field == "data"


def test_every_endpoint_has_a_version_and_a_family() -> None:
    assert len(ENDPOINTS) == 40
    for endpoint in ENDPOINTS.values():
        assert endpoint.version and endpoint.family
        for name in endpoint.idempotency:
            assert endpoint.request_type is not None
            assert name in endpoint.request_type.__struct_fields__
    assert ENDPOINTS["applyDropinSession"].version == "1.6"
    assert ENDPOINTS["InquireApplyRequest"].api_name == "InquireApplyRequest"
