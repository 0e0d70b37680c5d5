"""The schema facts: derived from PayerMax's export exactly, free of its prose, corrected on purpose.

These guard the one source of truth the generator and the simulator read: a stale facts file, a
correction that no longer matches anything, or a description that slipped in would each let the
wire drift from what PayerMax published without any other test noticing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from payermax_async import _schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import extract_schema  # noqa: E402

SOURCE = extract_schema.DEFAULT_SOURCE


def _keys(node: Any) -> set[str]:
    """Every keyword used in the schemas: property names and examples are data, not keywords."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "operations", "callbacks"):
                for sub in value.values():
                    found |= _keys(sub)
            elif key not in ("request_examples", "response_examples", "examples"):
                found |= _keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _keys(value)
    return found


def test_facts_match_payermax_export() -> None:
    if not SOURCE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"PayerMax's export is missing at {SOURCE}")
        pytest.skip("PayerMax's export is not beside this checkout")
    raw = SOURCE.read_bytes()
    assert extract_schema.render(extract_schema.extract(json.loads(raw), raw)) == (
        ROOT / "payermax_async" / "_schema" / "facts.json"
    ).read_text(encoding="utf-8"), "facts.json is stale: run python tools/extract_schema.py"


def test_facts_carry_no_prose() -> None:
    keys = _keys(_schema.facts())
    assert not keys & {"description", "title", "summary"}


def test_every_gateway_path_and_callback_is_kept() -> None:
    facts = _schema.facts()
    assert len(facts["operations"]) == 39
    assert facts["operations"]["orderAndPay/delSuffixStart1"]["api_name"] == "orderAndPay"
    assert facts["operations"]["orderAndPay(for-drop-dont-copy-me)"]["variant"] == "for-drop-dont-copy-me"
    assert "captureResultNotifyUrl" in facts["callbacks"]


def test_ref_is_inlined_with_the_inline_copy_winning() -> None:
    data = _schema.schema_at(_schema.facts()["operations"]["capture"]["response"], "data")
    # The component requires amount; the inline copy beside the $ref does not, and wins.
    assert "amount" not in data["required"]
    assert set(data["properties"]) >= {"captureNo", "isFinal", "errorMsg"}


def test_overlay_trims_names_and_fixes_known_slips() -> None:
    doc = _schema.load()
    payee = _schema.schema_at(doc["operations"]["paymentOrderPay"]["request"], "data.payeeInfo")
    assert "payeeType" in payee["properties"] and "payeeType " not in payee["properties"]
    capture_notify = doc["callbacks"]["captureResultNotifyUrl"]["request"]
    assert capture_notify["properties"]["notifyType"]["enum"] == ["CAPTURE"]
    cancel = _schema.schema_at(doc["operations"]["cancel"]["response"], "data")
    assert "errorCode" not in cancel["required"]
    assert cancel["properties"]["errorCode"]["type"] == ["string", "null"]
    assert "orderClose" in doc["operations"]
    # PayerMax's published facts stay untouched beside the corrected ones.
    raw_payee = _schema.schema_at(
        _schema.facts()["operations"]["paymentOrderPay"]["request"], "data.payeeInfo"
    )
    assert "payeeType " in raw_payee["properties"]


def test_every_correction_has_a_reason_and_a_target() -> None:
    with pytest.raises(ValueError, match="without a reason"):
        _schema.apply_overlay(_schema.facts(), {"corrections": [{"trim_names": True}]})
    stale = {
        "why": "x",
        "where": "operations/capture/request",
        "path": "data",
        "every_property": "noSuchName",
    }
    _schema.apply_overlay(_schema.facts(), {"corrections": [stale]})  # a where-target always exists
    with pytest.raises(ValueError, match="matched nothing"):
        _schema.apply_overlay(
            _schema.facts(), {"corrections": [{"why": "x", "every_property": "noSuchName"}]}
        )
    with pytest.raises(KeyError):
        _schema.apply_overlay(
            _schema.facts(),
            {"corrections": [{"why": "x", "where": "operations/capture/request", "path": "data.nope"}]},
        )


def test_a_one_of_rule_names_fields_that_exist() -> None:
    def rule(*names: str) -> dict[str, Any]:
        where = {"where": "operations/refund/request", "path": "data"}
        return {"corrections": [{"why": "x", **where, "one_of_required": list(names)}]}

    doc = _schema.apply_overlay(_schema.facts(), rule("outTradeNo", "tradeToken"))
    data = _schema.schema_at(doc["operations"]["refund"]["request"], "data")
    assert data["x-one-of-required"] == [["outTradeNo", "tradeToken"]]
    with pytest.raises(ValueError, match="tradeTokn"):
        _schema.apply_overlay(_schema.facts(), rule("outTradeNo", "tradeTokn"))
    with pytest.raises(ValueError, match="one_of_required"):
        _schema.apply_overlay(_schema.facts(), rule("outTradeNo"))


def test_load_returns_a_private_copy() -> None:
    first = _schema.load()
    first["operations"].clear()
    assert _schema.load()["operations"]
