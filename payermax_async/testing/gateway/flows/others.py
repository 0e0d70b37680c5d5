"""The endpoints the simulator answers without a flow of their own: disputes, balances, FX, risk
lists, RFI material, field validation, order confirmation.

Each answer is PayerMax's own response example for the operation, with the request's ids echoed
into it, made to fit the response schema (a field PayerMax's example gets wrong is replaced by a
value the schema allows, a missing required one is added). An FX exchange is remembered so that
exchangeQuery finds it and a repeated ``outTradeNo`` is ``ORDER_REPEAT``.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..schema import violations
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal
from .books import ORDER_REPEAT, Books, key_of, money

__all__ = ["HANDLERS", "conform", "synthesize"]


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", "object" if "properties" in schema else "string")
    found = [declared] if isinstance(declared, str) else list(declared)
    return [t for t in found if t != "null"] or ["null"]


def synthesize(schema: dict[str, Any]) -> Any:
    """A small value the schema allows (its required fields only)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = _types(schema)[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: synthesize(props.get(name, {})) for name in schema.get("required", ())}
    if kind == "array":
        items = schema.get("items")
        return (
            [synthesize(items) for _ in range(schema.get("minItems", 0))] if isinstance(items, dict) else []
        )
    if kind in ("number", "integer"):
        return 0
    if kind == "boolean":
        return False
    return "0" * min(schema.get("minLength", 0), schema.get("maxLength", 1 << 30))


def conform(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` made to meet ``schema``: undocumented fields dropped, wrong ones replaced, missing
    required ones added."""
    kind = _types(schema)[0]
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties", {})
        out = {name: conform(sub, props[name]) for name, sub in value.items() if name in props}
        for name in schema.get("required", ()):
            if name not in out:
                out[name] = synthesize(props.get(name, {}))
        return out
    if kind == "array" and isinstance(value, list) and isinstance(schema.get("items"), dict):
        kept = [conform(item, schema["items"]) for item in value][: schema.get("maxItems", len(value))]
        return kept if len(kept) >= schema.get("minItems", 0) else synthesize(schema)
    return value if not any(violations(value, schema)) else synthesize(schema)


def _example_data(books: Books, key: str) -> dict[str, Any] | None:
    for example in books.facts.operation(key)["response_examples"]:
        if example.get("code") == APPLY_SUCCESS and isinstance(example.get("data"), dict):
            return copy.deepcopy(example["data"])  # type: ignore[no-any-return]
    return None


def _answer(books: Books, key: str, data: dict[str, Any], **fixed: Any) -> Answer:
    schema = books.facts.response_schema(key)["properties"].get("data")
    if schema is None:
        return Answer(APPLY_SUCCESS, SUCCESS_MSG)
    base = _example_data(books, key) or {}
    props = schema.get("properties", {})
    for name, sent in data.items():
        if name in props and isinstance(sent, str):
            base[name] = sent
    base.update(fixed)
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, conform(base, schema))


def example_answer(books: Books, key: str, data: dict[str, Any]) -> Answer:
    return _answer(books, key, data)


def exchange(books: Books, key: str, data: dict[str, Any]) -> Answer:
    deals = books.family("fx")
    if key_of(data["outTradeNo"]) in deals:
        raise Refusal(ORDER_REPEAT, "The outTradeNo has been used.")
    example = _example_data(books, key) or {}
    rate = money(example.get("rate", "1"))
    target = (money(data["transactionAmount"]) * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    now = books.stamp()
    answer = _answer(
        books,
        key,
        data,
        tradeNo=books.new_id("FX"),
        targetAmount=str(target),
        rate=str(rate),
        completeTime=now,
        rateTime=now,  # RFC 3339, as PayerMax's exchange and exchangeQuery examples send it
        status="SUCCESS",
        errorCode="",
        errorMsg="",
    )
    deals[key_of(data["outTradeNo"])] = answer.data
    return answer


def exchange_query(books: Books, key: str, data: dict[str, Any]) -> Answer:
    deal = books.found("fx", key_of(data["outTradeNo"]), "order")
    schema = books.facts.response_schema(key)["properties"]["data"]
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, conform(copy.deepcopy(deal), schema))


HANDLERS = {
    "caseSearch": example_answer,
    "caseReplay": example_answer,
    "currentBalanceQuery": example_answer,
    "dayEndBalanceQuery": example_answer,
    "quoteQuery": example_answer,
    "queryClientExchangeRate": example_answer,
    "exchange": exchange,
    "exchangeQuery": exchange_query,
    "addOrDelRiskNameList": example_answer,
    "putRfiMaterialList": example_answer,
    "paymentFieldValidation": example_answer,
    "orderConfirm": example_answer,
    "confirmPayment": example_answer,
}
