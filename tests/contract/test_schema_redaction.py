"""Redaction over every PayerMax example: no card number, CVV, expiry, wallet cryptogram, identity,
contact or token value survives in a log line (at any length cap) or in a repr of our types."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from payermax_async._log import redact
from payermax_async._sensitive import SENSITIVE, SENSITIVE_BY_CATEGORY
from payermax_async.types._base import convert_data

from ._schema_examples import example_id, examples
from .test_schema_types import exact, target


def _values(node: Any, sensitive: bool = False) -> tuple[set[str], set[str]]:
    """(sensitive scalar values, other scalar values and key names) of an example, as text."""
    secret: set[str] = set()
    other: set[str] = set()
    if isinstance(node, dict):
        other |= set(node)
        for key, value in node.items():
            s, o = _values(value, key.strip() in SENSITIVE)
            secret |= s
            other |= o
    elif isinstance(node, list):
        for value in node:
            s, o = _values(value, sensitive)
            secret |= s
            other |= o
    elif node is not None and not isinstance(node, bool):
        (secret if sensitive else other).add(str(node))
    return secret, other


def _masked_everywhere(node: Any) -> bool:
    if isinstance(node, dict):
        return all(
            (value == "***" if k.strip() in SENSITIVE and isinstance(value, (str, int, float)) else True)
            and _masked_everywhere(value)
            for k, value in node.items()
        )
    if isinstance(node, list):
        return all(_masked_everywhere(v) for v in node)
    return True


CASES = [pytest.param(ex, id=example_id(s, k, p, i)) for s, k, p, i, ex, _ in examples()]
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


@pytest.mark.parametrize("example", CASES)
def test_redaction_leaves_no_sensitive_value(example: dict[str, Any]) -> None:
    body = json.dumps(example, ensure_ascii=False).encode()
    full = redact(body, limit=len(body) * 2)
    assert _masked_everywhere(json.loads(full))
    secret, other = _values(example)
    findable = {v for v in secret if len(v) >= 6 and not any(v in o for o in other)}
    for limit in (64, 256, 1024, len(body)):
        text = redact(body, limit=limit)
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
    secret, other = _values(payload)
    findable = {v for v in secret if len(v) >= 6 and not any(v in o for o in other)}
    assert not [v for v in findable if v in text]


def test_decoded_card_data_is_still_all_there() -> None:
    # Masking is for display only: the values themselves are intact for sending.
    from payermax_async import types

    detail = msgspec.convert({"cardInfo": {"cardIdentifierNo": "4111111111111111"}}, types.PaymentDetail)
    assert detail.card_info is not None and detail.card_info.card_identifier_no == "4111111111111111"
