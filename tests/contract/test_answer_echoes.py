"""Which ids a success answer must carry back, per endpoint, against PayerMax's own examples.

The generator derives ``Endpoint.echoes`` from the answer schema and the documented successes. Here
the same rule is worked out again from PayerMax's export itself, and every documented success is
read by both decode paths: with its own ids it binds, and without any one of them it is no answer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from payermax_async import UnboundResponseError, _answer, _schema
from payermax_async._answer import interpret
from payermax_async.endpoints import ENDPOINTS
from payermax_async.transport import HttpResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import extract_schema

SOURCE = extract_schema.DEFAULT_SOURCE
DOC = _schema.load()
GATEWAY = "/aggregate-pay/api/gateway/"

#: every request field the client binds an answer by (the ``ids`` its methods pass the pipeline)
IDS = frozenset(
    {
        "outTradeNo",
        "requestId",
        "outRefundNo",
        "refundTradeNo",
        "tradeToken",
        "caseId",
        "merchantLinkId",
        "rfiNo",
        "subscriptionRequestId",
        "subscriptionNo",
        "paymentTokenID",
    }
)

#: what PayerMax's examples show today, reviewed: a new export that changes it fails here first
EXPECTED = {
    "capture": {"outTradeNo", "requestId"},
    "cancel": {"outTradeNo", "requestId"},
    "orderAndPay": {"outTradeNo"},
    "orderQuery": {"outTradeNo"},
    "paymentOrderPay": {"outTradeNo"},
    "paymentOrderQry": {"outTradeNo"},
    "refund": {"outRefundNo"},  # the answer names the payment tradeOrderNo, not outTradeNo
    "refundQuery": {"outRefundNo", "refundTradeNo"},
    "orderConfirm": {"tradeToken"},
    "caseSearch": {"caseId"},
    "exchange": {"outTradeNo"},
    "exchangeQuery": {"outTradeNo"},
    "createPaybylink": {"merchantLinkId"},
    "queryPaybylink": {"merchantLinkId"},
    "expirePaybylink": {"merchantLinkId"},
    "addOrDelRiskNameList": {"requestId"},
    "subscriptionCreate": {"subscriptionRequestId"},
    "subscriptionQuery": {"subscriptionRequestId"},
    "removePaymentToken": {"paymentTokenID"},
    "applyPaymentToken": {"requestId"},
    "InquireApplyRequest": {"requestId"},
}


def oracle(request: dict[str, Any], response: dict[str, Any], examples: list[Any]) -> set[str]:
    """The rule, worked out independently of the generator."""

    def data_names(schema: dict[str, Any]) -> set[str]:
        data = schema.get("properties", {}).get("data", {})
        return {name.strip() for name in data.get("properties", {})}

    successes = [e.get("data") for e in examples if isinstance(e, dict) and e.get("code") == "APPLY_SUCCESS"]
    if not successes:
        return set()
    return {
        name
        for name in IDS & data_names(request) & data_names(response)
        if all(isinstance(d, dict) and d.get(name) is not None for d in successes)
    }


def export() -> dict[str, Any]:
    if not SOURCE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"PayerMax's export is missing at {SOURCE}")
        pytest.skip("PayerMax's export is not beside this checkout")
    return json.loads(SOURCE.read_bytes())  # type: ignore[no-any-return]


def _content(body: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    content: dict[str, Any] = next(iter(body.get("content", {}).values()), {})
    examples = [content["example"]] if "example" in content else []
    examples += [e["value"] for e in content.get("examples", {}).values() if "value" in e]
    return extract_schema.clean_schema(content.get("schema", {}), spec), examples


def test_the_echo_table_is_what_payermax_export_shows() -> None:
    spec = export()
    seen = set()
    for path, item in spec["paths"].items():
        if not path.startswith(GATEWAY):
            continue
        key = path[len(GATEWAY) :]
        request, _ = _content(item["post"].get("requestBody", {}), spec)
        response, examples = _content(item["post"]["responses"].get("200", {}), spec)
        assert set(ENDPOINTS[key].echoes_wire) == oracle(request, response, examples), key
        seen.add(key)
    assert set(ENDPOINTS) - seen == {"orderClose"}  # not in the export (from PayerMax's Java SDK)
    assert ENDPOINTS["orderClose"].echoes == ()  # no example of its answer: nothing can be required


def test_the_echo_table_is_what_the_corrected_facts_show() -> None:
    for key, entry in DOC["operations"].items():
        want = oracle(entry["request"], entry["response"], entry["response_examples"])
        assert set(ENDPOINTS[key].echoes_wire) == want, key


def test_the_echo_table_is_the_reviewed_one() -> None:
    found: dict[str, set[str]] = {}
    for endpoint in ENDPOINTS.values():
        found.setdefault(endpoint.api_name, set(endpoint.echoes_wire))
        assert set(endpoint.echoes_wire) == found[endpoint.api_name], endpoint.key  # variants agree
    assert {api: ids for api, ids in found.items() if ids} == EXPECTED


def test_every_id_the_table_names_is_a_bound_id_and_a_python_name_of_it() -> None:
    bound = {w for e in ENDPOINTS.values() for w in e.idempotency_wire}
    assert bound <= IDS
    for endpoint in ENDPOINTS.values():
        assert set(endpoint.echoes_wire) <= IDS
        result = endpoint.result_type
        fields = {f.encode_name: f.name for f in msgspec.structs.fields(result)} if result else {}
        assert endpoint.echoes == tuple(fields[w] for w in endpoint.echoes_wire), endpoint.key


# ------------------------------------------------------------------------------ every documented success


class _Trusting:
    def verify(self, message: bytes, signature: bytes) -> bool:
        return True


def _ignore_clock(date: str | None) -> None:
    raise AssertionError("a success never teaches the clock")


def successes() -> Iterator[Any]:
    for key, entry in DOC["operations"].items():
        for index, example in enumerate(entry["response_examples"]):
            if example.get("code") == "APPLY_SUCCESS":
                yield pytest.param(key, example, id=f"{key}#{index}")


#: typed: the one decode where it takes the answer, else the envelope and then data; typed, made to
#: take the envelope-then-data path; and untyped (``call()`` without a result type)
READS = ["typed", "typed-envelope", "dict"]


def read(key: str, example: dict[str, Any], how: str, ids: dict[str, str]) -> Any:
    endpoint = ENDPOINTS[key]
    result_type = dict if how == "dict" or endpoint.result_type is None else endpoint.result_type
    answer = HttpResponse(200, {"sign": "c2lnbmVk"}, msgspec.json.encode(example))
    with pytest.MonkeyPatch.context() as patch:
        if how == "typed-envelope":
            patch.setattr(_answer, "_plain_success", lambda raw, result_type: None)
        return interpret(result_type, answer, ids, _Trusting(), _ignore_clock, endpoint.echoes)


def own_ids(key: str, example: dict[str, Any]) -> dict[str, str]:
    """Every id of the example's answer the client could have sent, as the request's."""
    endpoint, data = ENDPOINTS[key], example.get("data") or {}
    fields = msgspec.structs.fields(endpoint.result_type) if endpoint.result_type else ()
    return {f.name: data[f.encode_name] for f in fields if f.encode_name in IDS and f.encode_name in data}


@pytest.mark.parametrize("how", READS)
@pytest.mark.parametrize(("key", "example"), list(successes()))
def test_a_documented_success_binds_to_the_request_with_its_ids(
    key: str, example: dict[str, Any], how: str
) -> None:
    ids = own_ids(key, example)
    assert set(ENDPOINTS[key].echoes) <= set(ids)
    read(key, example, how, ids)


def without_each_echo() -> Iterator[Any]:
    for param in successes():
        key, example = param.values
        for wire in ENDPOINTS[key].echoes_wire:
            for gone in ("left-out", "null"):
                yield pytest.param(key, example, wire, gone, id=f"{param.id}-{wire}-{gone}")


@pytest.mark.parametrize("how", READS)
@pytest.mark.parametrize(("key", "example", "wire", "gone"), list(without_each_echo()))
def test_a_documented_success_without_one_of_its_ids_is_no_answer(
    key: str, example: dict[str, Any], wire: str, gone: str, how: str
) -> None:
    ids = own_ids(key, example)
    data = dict(example["data"])
    if gone == "null":
        data[wire] = None
    else:
        del data[wire]
    with pytest.raises(UnboundResponseError, match="does not name"):
        read(key, {**example, "data": data}, how, ids)


def test_every_endpoint_that_echoes_has_a_documented_success_to_read() -> None:
    covered = {param.values[0] for param in successes()}
    assert {k for k, e in ENDPOINTS.items() if e.echoes} <= covered
