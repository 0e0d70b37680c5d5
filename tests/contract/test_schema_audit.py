"""Facts of PayerMax's schema (api.json, read through facts.json) and of ERRATA.md that an audit found
the library departing from; each test states the fact from the schema itself, not from our models."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from payermax_async import Notification, WebhookVerifier, _schema
from payermax_async._log import redact
from payermax_async.endpoints import ENDPOINTS
from payermax_async.errors import InvalidRequestError
from payermax_async.testing import GatewaySimulator
from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.gateway.requests import check_data
from payermax_async.testing.gateway.wire import Refusal
from payermax_async.testing.notifications import make_notification
from payermax_async.types import ApplyPaymentTokenRequest, OrderAndPayRequest, RiskParams
from payermax_async.types._base import encode_request
from payermax_async.types.notifications import BalanceNotification, BalanceNotificationData

FACTS = _schema.facts()


def _published(key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """PayerMax's own request schema (``data``) and first request example of one operation."""
    entry = FACTS["operations"][key]
    return entry["request"]["properties"]["data"], entry["request_examples"][0]["data"]


def test_apply_payment_token_sends_the_screen_size_as_the_string_its_schema_and_example_have() -> None:
    schema, example = _published("applyPaymentToken")
    env = schema["properties"]["envInfo"]["properties"]
    assert env["screenHeight"]["type"] == env["screenWidth"]["type"] == "string"
    assert isinstance(example["envInfo"]["screenHeight"], str)
    request = msgspec.convert(example, ApplyPaymentTokenRequest)
    ENDPOINTS["applyPaymentToken"].check(request)
    sent = msgspec.json.decode(encode_request(request))
    assert sent["envInfo"]["screenHeight"] == example["envInfo"]["screenHeight"]
    assert sent["envInfo"]["screenWidth"] == example["envInfo"]["screenWidth"]


def test_order_and_pay_still_sends_the_screen_size_as_its_examples_do() -> None:
    _, example = _published("orderAndPay")
    assert isinstance(example["envInfo"]["screenHeight"], int)
    request = msgspec.convert(example, OrderAndPayRequest)
    assert msgspec.json.decode(encode_request(request))["envInfo"]["screenHeight"] == 768


def _direct_card_example(key: str) -> dict[str, Any]:
    for example in FACTS["operations"][key]["request_examples"]:
        if "cardInfo" in example["data"].get("paymentDetail", {}):
            return copy.deepcopy(example["data"])
    raise AssertionError(f"no card example for {key}")


@pytest.mark.parametrize("key", ["orderAndPay/delSuffixStart1", "orderAndPay(for-auth-caputre-dont-copy-me)"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cardExpirationMonth", "5"),  # ERRATA: two digits
        ("cardExpirationMonth", "o5"),
        ("cardExpirationYear", "7"),  # ERRATA: the last two digits of the year
        ("cvv", "12"),  # api.json: three digits (Visa, Mastercard) or four (AMEX)
        ("cvv", "12a"),
    ],
)
def test_direct_card_data_has_the_documented_digits(key: str, field: str, value: str) -> None:
    data = _direct_card_example(key)
    endpoint = ENDPOINTS[key]
    endpoint.check(msgspec.convert(data, OrderAndPayRequest))  # PayerMax's own example passes
    data["paymentDetail"]["cardInfo"][field] = value
    with pytest.raises(InvalidRequestError) as refused:
        endpoint.check(msgspec.convert(data, OrderAndPayRequest))
    assert refused.value.field == f"paymentDetail.cardInfo.{field}"
    assert value not in str(refused.value)
    with pytest.raises(Refusal) as simulated:  # the simulator, reading the schema on its own, agrees
        check_data(Facts.load(), "orderAndPay", data)
    assert simulated.value.field == refused.value.field


@pytest.fixture(scope="module")
def sim() -> GatewaySimulator:
    return GatewaySimulator()


def _notify(sim: GatewaySimulator, notify_type: str, data: dict[str, Any], at: float) -> Notification:
    verifier = WebhookVerifier(sim.payermax_public_key, max_age=None)
    return verifier.parse(*make_notification(notify_type, data, simulator=sim, notify_time=at))


#: the balance callback's notifyType values, as its field description in api.json lists them
BALANCE_TYPES = ("DEPOSIT", "EXCHANGE", "WITHDRAW", "TRANSFER")


@pytest.mark.parametrize("notify_type", BALANCE_TYPES)
def test_balance_notifications_parse_typed_and_each_movement_keeps_its_own_key(
    sim: GatewaySimulator, notify_type: str
) -> None:
    callback = FACTS["callbacks"]["balanceNotifyUrl"]["request"]
    assert "relatedTradeNo" in callback["properties"]["data"]["required"]
    example = FACTS["callbacks"]["balanceNotifyUrl"]["request_examples"][0]["data"]
    first = _notify(sim, notify_type, example, 1_700_000_000)
    assert isinstance(first, BalanceNotification) and isinstance(first.data, BalanceNotificationData)
    assert first.data.related_trade_no == example["relatedTradeNo"]
    resent = _notify(sim, notify_type, example, 1_700_000_600)
    assert resent.idempotency_key == first.idempotency_key
    other = {**example, "relatedTradeNo": "T2"}
    assert _notify(sim, notify_type, other, 1_700_000_000).idempotency_key != first.idempotency_key
    # the other leg of one exchange: same trade, the other currency's balance moving the other way
    leg = {**example, "direction": "INCREASE", "amount": {"currency": "USD", "value": "100.00"}}
    assert _notify(sim, notify_type, leg, 1_700_000_000).idempotency_key != first.idempotency_key


def test_fraud_alerts_about_different_payers_keep_their_own_keys(sim: GatewaySimulator) -> None:
    example = FACTS["callbacks"]["fraudNotifyUrl"]["request_examples"][0]["data"]
    assert "outTradeNo" not in example  # a fraud alert need not name an order
    first = _notify(sim, "FRAUD", {}, 1_700_000_000)
    assert _notify(sim, "FRAUD", {}, 1_700_000_600).idempotency_key == first.idempotency_key
    payer = _notify(sim, "FRAUD", {"outUserId": "another"}, 1_700_000_000)
    later = _notify(sim, "FRAUD", {"tradeCreateTime": "2024-10-30T20:39:28.925+08:00"}, 1_700_000_000)
    assert len({first.idempotency_key, payer.idempotency_key, later.idempotency_key}) == 3


@pytest.mark.parametrize(
    ("callback", "path", "value"),
    [
        # api.json: for a deposit or withdrawal, the counterparty's bank account number
        ("balanceNotifyUrl", ("counterparty", "identifyId"), "6222020000001234"),
        ("vaResultNotifyUrl", ("paymentDetail", "payeeInfo", "accountNickName"), "Nick Payee"),
    ],
)
def test_account_numbers_and_nicknames_in_notifications_are_masked(
    sim: GatewaySimulator, callback: str, path: tuple[str, ...], value: str
) -> None:
    example = FACTS["callbacks"][callback]["request_examples"][0]
    data = copy.deepcopy(example["data"])
    holder = data
    for step in path[:-1]:
        holder = holder.setdefault(step, {})
    holder[path[-1]] = value
    raw, _ = make_notification(example["notifyType"], data, simulator=sim)
    assert value not in redact(raw)
    assert value not in repr(_notify(sim, example["notifyType"], data, 1_700_000_000).data)


def test_payout_risk_identifiers_of_the_payer_are_masked() -> None:
    risk = {"nickName": "nick_7", "registerNo": "reg_8", "registerName": "lily"}
    body = msgspec.json.encode({"data": {"riskParams": risk}})
    masked = redact(body)
    assert not any(value in masked for value in risk.values())
    shown = repr(RiskParams(nick_name="nick_7", register_no="reg_8", register_name="lily"))
    assert not any(value in shown for value in risk.values())
