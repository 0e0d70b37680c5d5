"""Redaction over every PayerMax example: no card number, CVV, expiry, wallet cryptogram, identity,
contact or token value survives in a log line (at any length cap) or in a repr of our types; nor,
in the risk endpoints' bodies, a listed card, user or IP."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from payermax_async import PayerMaxClient
from payermax_async._log import redact
from payermax_async._sensitive import SENSITIVE, SENSITIVE_BY_API, SENSITIVE_BY_CATEGORY
from payermax_async.types._base import convert_data
from payermax_async.types.risk import MaterialListItem, NameListItem, RiskNameListRequest

from ..support import Keys, ScriptedGateway, reply
from ._schema_examples import DOC, example_id, examples
from .test_schema_types import exact, target


def _api(section: str, key: str) -> str | None:
    """The apiName an example's bodies are logged under (notifications: none)."""
    return str(DOC[section][key]["api_name"]) if section == "operations" else None


def _names(api: str | None) -> frozenset[str]:
    """The names masked in one apiName's bodies: everywhere's, and its own (a risk list's value)."""
    return SENSITIVE | SENSITIVE_BY_API.get(api or "", frozenset())


def _values(node: Any, names: frozenset[str], sensitive: bool = False) -> tuple[set[str], set[str]]:
    """(sensitive scalar values, other scalar values and key names) of an example, as text."""
    secret: set[str] = set()
    other: set[str] = set()
    if isinstance(node, dict):
        other |= set(node)
        for key, value in node.items():
            s, o = _values(value, names, key.strip() in names)
            secret |= s
            other |= o
    elif isinstance(node, list):
        for value in node:
            s, o = _values(value, names, sensitive)
            secret |= s
            other |= o
    elif node is not None and not isinstance(node, bool):
        (secret if sensitive else other).add(str(node))
    return secret, other


def _masked_everywhere(node: Any, names: frozenset[str]) -> bool:
    if isinstance(node, dict):
        return all(
            (value == "***" if k.strip() in names and isinstance(value, (str, int, float)) else True)
            and _masked_everywhere(value, names)
            for k, value in node.items()
        )
    if isinstance(node, list):
        return all(_masked_everywhere(v, names) for v in node)
    return True


CASES = [pytest.param(ex, _api(s, k), id=example_id(s, k, p, i)) for s, k, p, i, ex, _ in examples()]
TYPED = [
    pytest.param(s, k, p, ex, id=example_id(s, k, p, i))
    for s, k, p, i, ex, _ in examples()
    if target(s, k, p, ex)[0] is not None and isinstance(target(s, k, p, ex)[1], dict)
]


def test_the_table_covers_payermax_card_and_wallet_fields() -> None:
    assert {"cardIdentifierNo", "cvv", "cardExpirationMonth", "cardExpirationYear"} <= SENSITIVE_BY_CATEGORY[
        "card"
    ]
    assert {"pan", "cryptogram", "applicationPrimaryAccountNumber", "onlinePaymentCryptogram", "cavv"} <= (
        SENSITIVE_BY_CATEGORY["wallet"]
    )
    assert {"idNo", "notifyEmail", "notifyPhone", "paymentTokenID", "sessionKey"} <= SENSITIVE
    # a risk list's value is a card, a user or an IP; "value" elsewhere is an amount's figure
    assert SENSITIVE_BY_API["addOrDelRiskNameList"] == {"value"} and "value" not in SENSITIVE


@pytest.mark.parametrize(("example", "api"), CASES)
def test_redaction_leaves_no_sensitive_value(example: dict[str, Any], api: str | None) -> None:
    body = json.dumps(example, ensure_ascii=False).encode()
    full = redact(body, limit=len(body) * 2, api_name=api)
    assert _masked_everywhere(json.loads(full), _names(api))
    secret, other = _values(example, _names(api))
    findable = {v for v in secret if len(v) >= 6 and not any(v in o for o in other)}
    for limit in (64, 256, 1024, len(body)):
        text = redact(body, limit=limit, api_name=api)
        assert not [v for v in findable if v in text], limit
        # a value cut by the cap must not leak either: no 6-character piece of one survives
        pieces = {v[i : i + 6] for v in findable for i in range(len(v) - 5)}
        pieces = {p for p in pieces if not any(p in o for o in other)}
        assert not [p for p in pieces if p in text]


def test_a_body_cut_inside_a_card_number_leaks_nothing() -> None:
    body = b'{"paymentDetail":{"cardInfo":{"cardIdentifierNo":"4111111111111111","cvv":"123"}}}'
    for cut in range(len(body)):
        assert "41111111" not in redact(body[:cut], limit=10_000)
        assert "41111111" not in redact(body, limit=cut)


@pytest.mark.parametrize(("section", "key", "part", "example"), TYPED)
def test_reprs_of_decoded_examples_mask_the_same_fields(
    section: str, key: str, part: str, example: dict[str, Any]
) -> None:
    type_, payload, _ = target(section, key, part, example)
    assert type_ is not None
    text = repr(convert_data(exact(payload), type_))
    secret, other = _values(payload, _names(_api(section, key)))
    findable = {v for v in secret if len(v) >= 6 and not any(v in o for o in other)}
    assert not [v for v in findable if v in text]


#: what a merchant lists: a masked card (NEG0001), a user (NEG0002), an IP (NEG0003), a card BIN
RISK_LIST = [
    ("NEG0001", "411111-1111"),
    ("NEG0002", "payer-7731@example.com"),
    ("NEG0003", "203.0.113.77"),
    ("NEG0004", "424242"),
]


def test_a_risk_list_leaves_no_listed_value_in_logs_or_reprs() -> None:
    items = [{"key": key, "value": value, "expireType": "DAY"} for key, value in RISK_LIST]
    data = {"nameType": "BLACK", "remark": "chargebacks", "operateType": "ADD", "requestId": "RQ_1"}
    body = json.dumps({"version": "1.0", "data": {**data, "nameList": items}}).encode()
    text = redact(body, api_name="addOrDelRiskNameList")
    assert not [value for _, value in RISK_LIST if value in text]
    assert all(key in text for key, _ in RISK_LIST) and "chargebacks" in text  # only the values go
    request = RiskNameListRequest(
        name_type="BLACK",
        remark="r",
        operate_type="ADD",
        request_id="RQ_1",
        name_list=[NameListItem(key=key, value=value) for key, value in RISK_LIST],
    )
    shown = repr(request)
    assert not [value for _, value in RISK_LIST if value in shown] and "NEG0003" in shown
    material = MaterialListItem(field_name="ID", field_value="https://files.example/kyc/passport.zip?sig=k3y")
    assert "passport" not in repr(material) and "sig=" not in redact(
        b'{"data":{"materialList":[{"fieldName":"ID","fieldValue":"https://f.example/p?sig=k3y"}]}}',
        api_name="putRfiMaterialList",
    )


def test_a_value_elsewhere_is_not_masked() -> None:
    # "value" is an amount's figure in a balance notification: hiding it would help nobody
    body = b'{"notifyType":"DEPOSIT","data":{"amount":{"value":"448.13","currency":"USD"}}}'
    assert "448.13" in redact(body) and "448.13" in redact(body, api_name="capture")
    assert "448.13" not in redact(body, api_name="addOrDelRiskNameList")


async def test_the_client_logs_a_risk_list_masked(
    client: PayerMaxClient, gateway: ScriptedGateway, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="payermax_async")
    gateway.post(
        "http://127.0.0.1:9/aggregate-pay/api/gateway/addOrDelRiskNameList",
        callback=lambda url, **kw: reply(keys, data={"requestId": "RQ_2"}),
    )
    items = [NameListItem(key=key, value=value, expire_type="DAY") for key, value in RISK_LIST]
    await client.risk.name_list(
        name_type="BLACK", operate_type="ADD", name_list=items, remark="r", request_id="RQ_2"
    )
    assert "NEG0002" in caplog.text
    assert not [value for _, value in RISK_LIST if value in caplog.text]


def test_decoded_card_data_is_still_all_there() -> None:
    # Masking is for display only: the values themselves are intact for sending.
    from payermax_async import types

    detail = msgspec.convert({"cardInfo": {"cardIdentifierNo": "4111111111111111"}}, types.PaymentDetail)
    assert detail.card_info is not None and detail.card_info.card_identifier_no == "4111111111111111"
