"""Typed decoding of PayerMax's documented examples for every API family, and the request models'
wire shape: what a merchant sends is camelCase, exact and free of unset fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from payermax_async.errors import InvalidRequestError
from payermax_async.types import (
    BuyerInfo,
    CancelResult,
    CancelStatus,
    CaptureNotificationData,
    CardInfo,
    CloseStatus,
    OrderAndPayResult,
    OrderCloseResult,
    OrderQueryResult,
    PayeeAccountInfo,
    PayeeInfo,
    PaymentDetail,
    PaymentNotification,
    PaymentStatus,
    PayoutNotification,
    PayoutQueryResult,
    PayoutResult,
    PayoutStatus,
    RefundNotification,
    RefundQueryResult,
    RefundResult,
    RefundStatus,
    ShippingInfo,
)
from payermax_async.types._base import decode_data as decode_model
from payermax_async.types._base import encode_request as encode
from payermax_async.validation import check_url

from ..support import DATA


def data_of(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope["data"]).encode()


# orderAndPay (hosted checkout) answers with where to send the payer.
ORDER_AND_PAY_RESPONSE = {
    "code": "APPLY_SUCCESS",
    "msg": "Success.",
    "data": {
        "redirectUrl": "https://cashier-n-uat.payermax.com/index.html#/cashier/home?token=T2024",
        "outTradeNo": "P1642410680681",
        "tradeToken": "T2024062702289232000001",
        "status": "PENDING",
    },
}

# PayerMax's "Transaction Status / Errorcode" page: a PAYMENT notification for an order that closed.
PAYMENT_CLOSED_NOTIFICATION = {
    "msg": "Payment was not completed on time.",
    "code": "PAYMENT_FAILED",
    "data": {
        "reference": "JOLLY",
        "country": "TH",
        "totalAmount": 300,
        "outTradeNo": "TP002024051309261650130939",
        "currency": "THB",
        "tradeToken": "T2024051309124735760727",
        "paymentDetails": [],
        "status": "CLOSED",
    },
    "keyVersion": "1",
    "appId": "5a48dcf440074021b87d4ef901bf9629",
    "merchantNo": "SP18440851",
    "notifyTime": "2024-05-13T10:28:03.606Z",
    "notifyType": "PAYMENT",
}

# The shape PayerMax's own WooCommerce plugin documents: older envelope (merchantAppId, version),
# amounts as strings.
PAYMENT_SUCCESS_NOTIFICATION = {
    "code": "APPLY_SUCCESS",
    "msg": "",
    "version": "1.0",
    "keyVersion": "1",
    "merchantAppId": "3b242b56a8b64274bcc37dac281120e3",
    "merchantNo": "020213827212251",
    "notifyTime": "2022-01-17T09:33:54.540+00:00",
    "notifyType": "PAYMENT",
    "data": {
        "outTradeNo": "P1642410680681",
        "tradeToken": "TOKEN20220117070423078754880",
        "totalAmount": "10000",
        "currency": "IDR",
        "country": "ID",
        "status": "SUCCESS",
        "paymentDetails": [{"paymentMethod": "WALLET", "targetOrg": "DANA"}],
        "reference": "020213827524152",
    },
}

REFUND_NOTIFICATION = {
    "code": "APPLY_SUCCESS",
    "msg": "",
    "version": "1.0",
    "keyVersion": "1",
    "merchantAppId": "3b242b56a8b64274bcc37dac281120e3",
    "merchantNo": "020213827212251",
    "notifyTime": "2022-01-17T09:33:54.540+00:00",
    "notifyType": "REFUND",
    "data": {
        "outRefundNo": "R1642411016202",
        "refundTradeNo": "20220117091657TI790000055087",
        "outTradeNo": "P1642410680681",
        "refundAmount": "10000",
        "refundCurrency": "IDR",
        "status": "REFUND_SUCCESS",
    },
}


def test_order_and_pay_response() -> None:
    result = decode_model(data_of(ORDER_AND_PAY_RESPONSE), OrderAndPayResult)
    assert result.redirect_url is not None and result.redirect_url.startswith("https://cashier")
    assert result.trade_token == "T2024062702289232000001"
    assert result.status is PaymentStatus.PENDING and not result.status.is_final
    assert result.reconciled is False


def test_order_and_pay_response_without_status_has_none() -> None:
    # every answer field is optional: an absent status is None, never a guess
    raw = b'{"outTradeNo":"O-1","tradeToken":"T-1","redirectUrl":"https://x.test/pay"}'
    assert decode_model(raw, OrderAndPayResult).status is None


def test_order_query_of_an_authorization() -> None:
    raw = json.dumps(
        {
            "outTradeNo": "AUTH_1",
            "tradeToken": "T-9",
            "totalAmount": 10.50,
            "currency": "USD",
            "country": "US",
            "status": "SUCCESS",
            "resultMsg": "",
            "unknownNewField": {"x": 1},
            "paymentDetails": [
                {
                    "paymentMethodType": "CARD",
                    "targetOrg": "",
                    "payAmount": "10.50",
                    "payCurrency": "USD",
                    "cardInfo": {"cardOrg": "VISA", "country": "US"},
                }
            ],
        }
    ).encode()
    result = decode_model(raw, OrderQueryResult)
    assert result.total_amount == Decimal("10.50") and isinstance(result.total_amount, Decimal)
    assert result.status is PaymentStatus.SUCCESS and result.status.is_final
    assert result.payment_details is not None
    [detail] = result.payment_details
    assert detail.card_info is not None and detail.card_info.card_org == "VISA"
    assert detail.card_info.country == "US" and detail.pay_amount == Decimal("10.50")


def test_an_unknown_status_decodes_and_is_not_final() -> None:
    raw = b'{"outTradeNo":"O","tradeToken":"T","totalAmount":1,"currency":"USD","status":"MAYBE"}'
    status = decode_model(raw, OrderQueryResult).status
    assert status is not None and status == "MAYBE" and not status.known and not status.is_final
    with pytest.raises(msgspec.ValidationError):
        decode_model(b'{"outTradeNo":"O","status":7}', OrderQueryResult)


def test_order_close_response() -> None:
    closed = decode_model(
        b'{"outTradeNo":"O-1","status":"CLOSED","closedTime":"2023-10-20T03:28:23.092Z"}', OrderCloseResult
    )
    assert closed.status is CloseStatus.CLOSED and closed.status.is_final
    accepted = decode_model(b'{"outTradeNo":"O-1","status":"SUCCESS"}', OrderCloseResult)
    assert accepted.status is CloseStatus.SUCCESS
    assert closed.closed_time == datetime(2023, 10, 20, 3, 28, 23, 92000, tzinfo=UTC)


def test_cancel_response_with_spaced_offset_timestamps() -> None:
    raw = json.dumps(
        {
            "cancelNo": "CN-1",
            "requestId": "REQ-1",
            "outTradeNo": "AUTH_1",
            "status": "SUCCESS",
            "createdTime": "2023-08-06T23:50:59 +0000",
            "succeededTime": "2023-08-06T23:51:00 +0000",
        }
    ).encode()
    result = decode_model(raw, CancelResult)
    assert result.status is CancelStatus.SUCCESS and result.status.is_final
    assert result.succeeded_time == datetime(2023, 8, 6, 23, 51, tzinfo=UTC)


def test_refund_and_refund_query_responses() -> None:
    accepted = decode_model(
        b'{"outRefundNo":"R-1","refundTradeNo":"RT-1","status":"REFUND_PENDING"}', RefundResult
    )
    assert accepted.status is RefundStatus.REFUND_PENDING and not accepted.status.is_final
    done = decode_model(
        json.dumps(
            {
                "outRefundNo": "R-1",
                "refundTradeNo": "RT-1",
                "outTradeNo": "O-1",
                "refundAmount": 5.25,
                "refundCurrency": "USD",
                "status": "REFUND_SUCCESS",
                "resultMsg": "",
                "refundFinishTime": "2022-01-17T09:33:54.540+00:00",
            }
        ).encode(),
        RefundQueryResult,
    )
    assert done.refund_amount == Decimal("5.25") and done.status is RefundStatus.REFUND_SUCCESS
    assert done.refund_finish_time is not None and done.refund_finish_time.tzinfo is not None


def test_payout_response_and_query_with_string_amounts() -> None:
    accepted = decode_model(
        b'{"outTradeNo":"PO_1","tradeNo":"20201112400101244339","status":"PENDING"}', PayoutResult
    )
    assert accepted.status is PayoutStatus.PENDING and not accepted.status.is_final
    query = decode_model(
        json.dumps(
            {
                "outTradeNo": "PO_1",
                "tradeNo": "20201112400101244339",
                "status": "BOUNCEBACK",
                "trade": {"amount": "100.50", "currency": "EGP"},
                "source": {"amount": "6.51", "currency": "USD", "fee": "0.20", "exchangeRate": "15.4321"},
                "transactionUtcTime": "2023-08-06T23:50:59 +0000",
                "bounceBackTime": "2023-08-08T01:00:00 +0000",
                "redeemCode": "8812-7730",
                "responseCode": "",
                "responseMsg": "",
            }
        ).encode(),
        PayoutQueryResult,
    )
    assert query.status is PayoutStatus.BOUNCEBACK and query.status.is_final
    assert query.trade is not None and query.trade.amount == Decimal("100.50")
    # exchangeRate is a string in PayerMax's schema (not an amount): kept as sent
    assert query.source is not None and query.source.exchange_rate == "15.4321"
    assert query.source.fee == Decimal("0.20")
    assert "8812-7730" not in repr(query) and "redeem_code=***" in repr(query)
    assert "PO_1" in repr(query)


@pytest.mark.parametrize("status", ["SUCCESS", "FAILED", "BOUNCEBACK"])
def test_payout_final_states(status: str) -> None:
    assert PayoutStatus(status).is_final


def test_documented_payment_notification_for_a_closed_order() -> None:
    n = decode_model(json.dumps(PAYMENT_CLOSED_NOTIFICATION).encode(), PaymentNotification)
    assert n.code == "PAYMENT_FAILED"  # describes the notification; the outcome is data.status
    assert n.data is not None and n.data.status is PaymentStatus.CLOSED and n.data.status.is_final
    assert n.data.total_amount == Decimal(300) and n.data.payment_details == []
    assert n.notify_time == datetime(2024, 5, 13, 10, 28, 3, 606000, tzinfo=UTC)
    assert n.application_id == "5a48dcf440074021b87d4ef901bf9629"
    assert n.idempotency_key == "PAYMENT:TP002024051309261650130939:CLOSED"


def test_older_payment_and_refund_notifications() -> None:
    paid = decode_model(json.dumps(PAYMENT_SUCCESS_NOTIFICATION).encode(), PaymentNotification)
    # merchantAppId is not in PayerMax's PAYMENT schema: no application id to check against
    assert paid.application_id is None
    assert paid.data is not None and paid.data.total_amount == Decimal(10000)
    assert paid.data.payment_details is not None and paid.data.payment_details[0].target_org == "DANA"
    refund = decode_model(json.dumps(REFUND_NOTIFICATION).encode(), RefundNotification)
    assert refund.data is not None and refund.data.status is RefundStatus.REFUND_SUCCESS
    assert refund.data.refund_amount == Decimal(10000)
    assert refund.idempotency_key == "REFUND:P1642410680681:R1642411016202:REFUND_SUCCESS"


def test_capture_response_example_decodes_as_capture_notification_data() -> None:
    envelope = json.loads((DATA / "capture_response_example.json").read_text())
    data = decode_model(data_of(envelope), CaptureNotificationData)
    assert data.amount == Decimal(10) and data.capture_no == "20230806235059CP1234567890"


def test_payout_notification_key_changes_when_status_changes() -> None:
    def note(status: str) -> PayoutNotification:
        return decode_model(
            json.dumps(
                {
                    "notifyType": "PAYOUT",
                    "notifyTime": "2024-05-13T10:28:03.606Z",
                    "data": {"outTradeNo": "PO_1", "tradeNo": "T-1", "status": status},
                }
            ).encode(),
            PayoutNotification,
        )

    assert note("SUCCESS").idempotency_key == note("SUCCESS").idempotency_key
    assert note("SUCCESS").idempotency_key != note("BOUNCEBACK").idempotency_key


def test_request_models_encode_camel_case_exactly_and_omit_unset() -> None:
    detail = PaymentDetail(
        payment_method_type="CARD",
        card_info=CardInfo(
            card_identifier_no="4111111111111111",
            card_expiration_year="27",
            card_expiration_month="12",
            cvv="123",
        ),
        buyer_info=BuyerInfo(email="a@b.test", client_ip="127.0.0.1", user_agent="UA/1"),
        payment_token_id="PT-1",
    )
    wire = json.loads(encode(detail))
    assert wire == {
        "paymentMethodType": "CARD",
        "cardInfo": {
            "cardIdentifierNo": "4111111111111111",
            "cardExpirationYear": "27",
            "cardExpirationMonth": "12",
            "cvv": "123",
        },
        "buyerInfo": {"email": "a@b.test", "clientIp": "127.0.0.1", "userAgent": "UA/1"},
        "paymentTokenID": "PT-1",
    }


def test_card_and_personal_data_never_show_in_a_repr() -> None:
    detail = PaymentDetail(
        card_info=CardInfo(
            card_identifier_no="4111111111119876", cvv="737", card_holder_full_name="Ada Lovelace"
        ),
        buyer_info=BuyerInfo(
            email="ada@example.test", phone_no="+15550001", client_ip="10.1.2.3", user_agent="UA/1"
        ),
    )
    shipping = ShippingInfo(
        first_name="Ada",
        last_name="King",
        phone_no="+15550001",
        email="ada@example.test",
        address1="1 Secret Lane",
        city="London",
        country="GB",
        zip_code="90210",
    )
    payee = PayeeInfo(
        payment_method_type="BANK_TRANSFER", account_info=PayeeAccountInfo(account_no="DE8937040044")
    )
    text = repr(detail) + str(detail) + repr(shipping) + repr(payee)
    for secret in (
        "4111111111119876",
        "737",
        "Ada",
        "ada@example",
        "+1555",
        "Secret Lane",
        "90210",
        "DE8937040044",
        "10.1.2.3",
    ):
        assert secret not in text
    assert "BANK_TRANSFER" in text and "London" in text


@pytest.mark.parametrize(
    "url",
    ["", None, "http://", "/relative/path", "javascript:alert(1)", "https://x.test/a b", "http://[::1",
     "https://x.test/" + "a" * 300],
)  # fmt: skip
def test_callback_urls_are_checked(url: object) -> None:
    with pytest.raises(InvalidRequestError) as info:
        check_url(url, "notify_url")
    assert info.value.field == "notify_url"


def test_a_good_callback_url_passes_unchanged() -> None:
    url = "https://merchant.test/payermax/notify?shop=7"
    assert check_url(url, "notify_url") is url
