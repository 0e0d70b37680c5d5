"""The generated types speak PayerMax exactly: every example PayerMax published decodes into them and
encodes back with no documented field lost and amounts exact; what we send validates against the
corrected schema; every Python name is the snake_case of its wire name.
"""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest

from payermax_async import types
from payermax_async.endpoints import ENDPOINTS, endpoint_for
from payermax_async.types import notifications
from payermax_async.types._base import convert_data, decode_data, encode_request, to_wire

from ._schema_examples import DOC, example_id, examples

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
gen_naming = importlib.import_module("gen_naming")
gen_tables = importlib.import_module("gen_tables")

_EXACT = msgspec.json.Decoder(float_hook=Decimal)


def exact(value: Any) -> Any:
    """PayerMax's example as the wire carries it: fractions as Decimals, never floats."""
    return _EXACT.decode(msgspec.json.encode(value))


def _notification_types() -> dict[str, tuple[type[Any] | None, type[Any] | None]]:
    """callback key -> (its notification class, the class of the merchant's answer)."""
    found: dict[str, tuple[type[Any] | None, type[Any] | None]] = {}
    for key, stem in gen_tables.CALLBACKS.items():
        note = getattr(notifications, f"{stem}Notification", None)
        answer = getattr(notifications, f"{stem}Answer", None) or notifications.NotificationAck
        found[key] = (note, answer)
    return found


NOTES = _notification_types()


def target(
    section: str, key: str, part: str, example: dict[str, Any]
) -> tuple[type[Any] | None, Any, dict[str, Any]]:
    """(our type, the JSON it decodes, the schema node of that JSON) for one example."""
    entry = DOC[section][key]
    if section == "operations":
        endpoint = ENDPOINTS[key]
        type_ = endpoint.request_type if part == "request" else endpoint.result_type
        return type_, example.get("data"), entry[part].get("properties", {}).get("data", {})
    note, answer = NOTES[key]
    return (note if part == "request" else answer), example, entry[part]


def _parse_time(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    # fromisoformat (3.11+) reads "Z", "+0000" and a space for "T"; PayerMax also spaces an offset
    moment = datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same(theirs: Any, ours: Any) -> bool:
    """One documented value, as PayerMax wrote it and as we encode it back: equal in meaning."""
    if theirs is None or theirs == "":
        return ours in (None, "")
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return str(theirs).lower() == str(ours).lower()
    if isinstance(theirs, (int, Decimal)) or isinstance(ours, (int, Decimal)):
        return Decimal(str(theirs)) == Decimal(str(ours))
    if theirs == ours:
        return True
    if isinstance(theirs, str) and isinstance(ours, str):
        try:
            return _parse_time(theirs) == _parse_time(ours)
        except ValueError:
            return False
    return False


def lost(theirs: Any, ours: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Documented fields of PayerMax's example that we drop or change."""
    if isinstance(theirs, dict) and "properties" in schema:
        mine = ours if isinstance(ours, dict) else {}
        problems = []
        for name, value in theirs.items():
            if name in schema["properties"]:
                problems += lost(value, mine.get(name), schema["properties"][name], f"{path}.{name}")
        return problems
    if isinstance(theirs, list) and isinstance(schema.get("items"), dict):
        items: list[Any] = ours if isinstance(ours, list) else []
        if len(items) != len(theirs):
            return [f"{path}: {len(theirs)} items became {len(items)}"]
        return [p for i, v in enumerate(theirs) for p in lost(v, items[i], schema["items"], f"{path}[{i}]")]
    if isinstance(theirs, (dict, list)):
        return [] if theirs == ours or (not theirs and ours is None) else [f"{path}: changed"]
    return [] if same(theirs, ours) else [f"{path}: {theirs!r} became {ours!r}"]


CASES = [
    pytest.param(s, k, p, ex, id=example_id(s, k, p, i))
    for s, k, p, i, ex, _ in examples()
    if target(s, k, p, ex)[0] is not None and isinstance(target(s, k, p, ex)[1], dict)
]


def test_nearly_every_example_has_a_type() -> None:
    # Error answers carry no data and the page return has no body: everything else is typed.
    assert len(CASES) >= 125


@pytest.mark.parametrize(("section", "key", "part", "example"), CASES)
def test_example_decodes_and_encodes_back_with_nothing_documented_lost(
    section: str, key: str, part: str, example: dict[str, Any]
) -> None:
    type_, payload, schema = target(section, key, part, example)
    assert type_ is not None
    wire = exact(payload)
    decoded = convert_data(wire, type_)
    # The bytes path (what the client uses) agrees with the builtins path.
    assert decode_data(msgspec.json.encode(payload), type_) == decoded
    assert lost(wire, to_wire(decoded), schema) == []


@pytest.mark.parametrize(
    ("section", "key", "part", "example"),
    [c for c in CASES if c.values[2] == "request" and c.values[0] == "operations"],
)
def test_what_we_send_validates_against_the_schema(
    section: str, key: str, part: str, example: dict[str, Any]
) -> None:
    endpoint = ENDPOINTS[key]
    assert endpoint.request_type is not None
    data = convert_data(exact(example["data"]), endpoint.request_type)
    assert endpoint_for(endpoint.api_name, data).key == key, "variant selection picks this example's variant"
    endpoint.validate(data)
    sent = dict(exact(example))
    sent["data"] = msgspec.json.decode(encode_request(data))
    schema = DOC["operations"][key]["request"]
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(sent)]
    assert errors == []
    _assert_sent_as(sent["data"], schema["properties"]["data"])


def _assert_sent_as(value: Any, schema: dict[str, Any]) -> None:
    """Where PayerMax accepts two JSON types, we send the one the overlay names (x-send-as)."""
    if isinstance(value, dict):
        for name, sub in value.items():
            if name in schema.get("properties", {}):
                _assert_sent_as(sub, schema["properties"][name])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _assert_sent_as(item, schema["items"])
    elif "x-send-as" in schema:
        wanted = {"number": (int, float), "integer": (int,), "string": (str,)}[schema["x-send-as"]]
        assert isinstance(value, wanted) and not isinstance(value, bool)


def test_order_close_has_no_example_but_its_request_validates() -> None:
    endpoint = ENDPOINTS["orderClose"]
    data = types.OrderCloseRequest(out_trade_no="ORD_1", reason="user left")
    endpoint.validate(data)
    envelope = {"version": "1.4", "keyVersion": "1", "requestTime": "t", "appId": "a", "merchantNo": "m"}
    envelope["data"] = msgspec.json.decode(encode_request(data))
    assert jsonschema.Draft202012Validator(DOC["operations"]["orderClose"]["request"]).is_valid(envelope)


def _structs() -> list[type[msgspec.Struct]]:
    return [
        obj
        for name in types.__all__
        if isinstance(obj := getattr(types, name), type) and issubclass(obj, msgspec.Struct)
    ]


def test_every_python_name_is_the_snake_case_of_its_wire_name() -> None:
    structs = _structs()
    assert len(structs) > 150
    for cls in structs:
        for f in msgspec.structs.fields(cls):
            assert f.name == gen_naming.snake(f.encode_name), (cls.__name__, f.encode_name)


def test_public_names_carry_payermax_field_names() -> None:
    card = types.CardInfo(card_identifier_no="4111111111111111", card_expiration_month="01")
    assert msgspec.json.decode(encode_request(card)) == {
        "cardIdentifierNo": "4111111111111111",
        "cardExpirationMonth": "01",
    }
    payee = msgspec.convert(
        {"paymentMethodType": "WALLET", "accountInfo": {"accountNo": "0812"}}, types.PayeeInfo
    )
    assert payee.payment_method_type == "WALLET" and payee.account_info is not None
    assert payee.account_info.account_no == "0812"
    detail = msgspec.convert({"paymentTokenID": "T1", "cardInfo": {"cvv": "1"}}, types.PaymentDetail)
    assert detail.payment_token_id == "T1"


def test_money_is_sent_as_the_schema_types_it_and_never_through_float() -> None:
    goods = types.GoodsDetail(goods_id="g", goods_name="n", quantity="1", price=Decimal("14999.00"))
    trade = types.PayoutTrade(amount=Decimal("100.10"), currency="IDR")
    capture = types.CaptureRequest(request_id="r", out_trade_no="o", currency="USD", amount=Decimal("0.10"))
    assert b'"price":"14999.00"' in encode_request(goods)
    assert b'"amount":"100.10"' in encode_request(trade)
    assert b'"amount":0.10' in encode_request(capture)
    result = decode_data(b'{"amount":0.1000000000000000055511151231257827}', types.CaptureResult)
    assert result.amount == Decimal("0.1000000000000000055511151231257827")
    assert decode_data(b'{"amount":"10"}', types.CaptureResult).amount == Decimal("10")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-08-06T23:50:59 +0000", datetime(2023, 8, 6, 23, 50, 59, tzinfo=UTC)),
        ("2023-10-20T03:28:23.092Z", datetime(2023, 10, 20, 3, 28, 23, 92000, tzinfo=UTC)),
        ("2022-01-17T09:33:54.540+00:00", datetime(2022, 1, 17, 9, 33, 54, 540000, tzinfo=UTC)),
        ("2023-03-12 02:37:37", datetime(2023, 3, 12, 2, 37, 37, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_every_timestamp_shape_is_an_aware_datetime_or_none(
    raw: str | None, expected: datetime | None
) -> None:
    body = msgspec.json.encode({"captureNo": "C1", "createdTime": raw})
    result = decode_data(body, types.CaptureResult)
    assert result.created_time == expected
    assert result.created_time is None or result.created_time.tzinfo is not None
    assert result.capture_no == "C1"


def test_payout_query_with_empty_times_decodes() -> None:
    body = b'{"outTradeNo":"P1","status":"PENDING","expiryTime":"","bounceBackTime":""}'
    result = decode_data(body, types.PayoutQueryResult)
    assert result.status is types.PayoutStatus.PENDING and not result.status.is_final


def test_an_unknown_status_decodes_and_is_not_final() -> None:
    result = decode_data(b'{"status":"PARTIALLY_CAPTURED","isFinal":true}', types.CaptureResult)
    assert result.status == "PARTIALLY_CAPTURED" and result.status is not None
    assert not result.status.known and not result.status.is_final
    # isFinal is "the final capture of the authorization", a field of its own, not the status's finality
    assert result.is_final is True
    assert types.CaptureStatus("SUCCESS").is_final and types.CaptureStatus("SUCCESS").known
    assert types.RefundStatus.REFUND_PENDING.is_final is False
    assert types.PaymentStatus.CLOSED.is_final


def test_unknown_answer_fields_are_ignored_and_absent_ones_are_none() -> None:
    result = decode_data(b'{"refundTradeNo":"R1","somethingNew":{"x":1}}', types.RefundResult)
    assert result.refund_trade_no == "R1" and result.status is None


def test_reprs_mask_sensitive_fields() -> None:
    card = types.CardInfo(card_identifier_no="4111111111111111", cvv="123", card_holder_full_name="J S")
    text = repr(types.PaymentDetail(payment_method_type="CARD", card_info=card))
    assert "4111111111111111" not in text and "123" not in text and "J S" not in text
    assert "payment_method_type='CARD'" in text and "card_identifier_no=***" in text


def test_the_comparison_sees_a_dropped_or_changed_field() -> None:
    schema: dict[str, Any] = {
        "properties": {"amount": {}, "createdTime": {}, "items": {"items": {"properties": {"a": {}}}}}
    }
    theirs = {"amount": Decimal("10.5"), "createdTime": "2023-08-06T23:50:59 +0000", "items": [{"a": "x"}]}
    ours = {"amount": Decimal("10.50"), "createdTime": "2023-08-06T23:50:59Z", "items": [{"a": "x"}]}
    assert lost(theirs, ours, schema) == []
    assert lost(theirs, {**ours, "amount": Decimal("10.51")}, schema)
    assert lost(theirs, {k: v for k, v in ours.items() if k != "createdTime"}, schema)
    assert lost(theirs, {**ours, "items": []}, schema)
    assert lost(theirs, {**ours, "items": [{"a": "y"}]}, schema)


# The wire names the package exports today (payermax_async/__init__.py, DESIGN.md "Public API"):
# each exists among the generated types, so the client integration can switch to them by name.
EXPORTED = """
AuthorizationType BillingInfo BuyerInfo CancelResult CancelStatus CaptureMode CaptureResult CaptureStatus
CardInfo CloseStatus GoodsDetail Integrate OrderAndPayResult OrderCloseResult OrderQueryResult
PayeeAccountInfo PayeeAddress PayeeBankInfo PayeeDocument PayeeInfo PayeeName PaymentDetail PaymentStatus
PayoutQueryResult PayoutResult PayoutStatus RefundQueryResult RefundResult RefundStatus ShippingInfo
CancelNotification CaptureNotification GenericNotification PaymentNotification PayoutNotification
RefundNotification NotificationType PaymentDetailResult PayoutTrade
""".split()


def test_exported_names_exist_among_the_generated_types() -> None:
    assert [name for name in EXPORTED if name not in types.__all__] == []
    assert notifications.BY_NOTIFY_TYPE["CAPTURE"] is types.CaptureNotification
    assert notifications.BY_NOTIFY_TYPE["PAYMENT"] is types.PaymentNotification
