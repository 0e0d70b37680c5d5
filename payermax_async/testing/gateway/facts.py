"""What the simulator believes about PayerMax, read from ``payermax_async._schema`` and nowhere else.

One object holds the corrected facts and the prose rules, and answers the questions every other
module of the gateway asks: which request shapes an apiName has, which one a request must meet,
which versions are documented, how many decimals a currency takes. Tests build one with extra
corrections (``Facts.load(extra)``) to try a correction before it lands in the overlay.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from ... import _schema

__all__ = ["Facts"]


def _lookup(data: dict[str, Any], dotted: str) -> object:
    node: object = data
    for step in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def _holds(data: dict[str, Any], when: dict[str, str]) -> bool:
    for path, wanted in when.items():
        value = _lookup(data, path)
        if wanted == "present":
            if value is None:
                return False
        elif value != wanted:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Facts:
    doc: dict[str, Any]
    rules: dict[str, Any]
    #: answers computed once per question (the facts never change after loading)
    memo: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def _memo(self, question: str, subject: str, compute: Any) -> Any:
        key = (question, subject)
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @staticmethod
    def load(extra: dict[str, Any] | None = None) -> Facts:
        """The facts as ``_schema`` corrects them, plus ``extra`` corrections (same format)."""
        if extra is None:
            return _default()
        return _build(_schema.apply_overlay(_schema.load(), extra), extra.get("rules"))

    # -- endpoints ---------------------------------------------------------------------------

    def api_names(self) -> frozenset[str]:
        return frozenset(op["api_name"] for op in self.doc["operations"].values())

    def variants(self, api_name: str) -> tuple[str, ...]:
        ops = self.doc["operations"]
        return self._memo(  # type: ignore[no-any-return]
            "variants", api_name, lambda: tuple(key for key, op in ops.items() if op["api_name"] == api_name)
        )

    def envelope_schema(self, api_name: str) -> dict[str, Any]:
        """The request schema without ``data`` (checked on its own, with its own shape rules)."""

        def compute() -> dict[str, Any]:
            schema = dict(self.request_schema(self.variants(api_name)[0]))
            schema["properties"] = {k: v for k, v in schema["properties"].items() if k != "data"}
            schema["required"] = [k for k in schema.get("required", ()) if k != "data"]
            return schema

        return self._memo("envelope", api_name, compute)  # type: ignore[no-any-return]

    def operation(self, key: str) -> dict[str, Any]:
        return self.doc["operations"][key]  # type: ignore[no-any-return]

    def select_variant(self, api_name: str, data: dict[str, Any]) -> str | None:
        """The request shape ``data`` must meet; None when no documented shape applies (for
        orderAndPay: ``integrate`` is missing or unknown)."""
        table = self.rules.get(f"{_snake(api_name)}_variants")
        if table is None:
            keys = self.variants(api_name)
            return keys[0] if keys else None
        for entry in table["order"]:
            if _holds(data, entry["when"]):
                return entry["variant"]  # type: ignore[no-any-return]
        return None

    def versions(self, api_name: str) -> frozenset[str]:
        """Every version documented for the apiName: its examples' and the newest named in the rules."""
        return self._memo("versions", api_name, lambda: self._versions(api_name))  # type: ignore[no-any-return]

    def _versions(self, api_name: str) -> frozenset[str]:
        found: set[str] = set()
        by_variant = self.rules.get("versions", {}).get("by_variant", {})
        for key in self.variants(api_name):
            for example in self.operation(key)["request_examples"]:
                if isinstance(example.get("version"), str):
                    found.add(example["version"])
            if key in by_variant:
                found.add(by_variant[key])
        return frozenset(found)

    def request_schema(self, key: str) -> dict[str, Any]:
        return self.operation(key)["request"]  # type: ignore[no-any-return]

    def response_schema(self, key: str) -> dict[str, Any]:
        return self.operation(key)["response"]  # type: ignore[no-any-return]

    def callback_schema(self, callback: str) -> dict[str, Any]:
        return self.doc["callbacks"][callback]["request"]  # type: ignore[no-any-return]

    # -- prose rules ---------------------------------------------------------------------------

    def currency_decimals(self, currency: str) -> int:
        """Decimals an amount in ``currency`` may carry: PayerMax's own exceptions, then ISO 4217."""
        own = self.rules.get("currency_decimals_payermax", {})
        if currency in own and currency != "why":
            return int(own[currency])
        table = self.rules["currency_decimals"]
        for name, places in (("zero", 0), ("three", 3), ("four", 4)):
            if currency in table.get(name, ()):
                return places
        return int(table["default"])

    def refund_decimals(self, currency: str) -> int:
        own = self.rules.get("refund_decimals", {})
        if currency in own and currency != "why":
            return int(own[currency])
        return self.currency_decimals(currency)

    def notify_types(self) -> dict[str, str]:
        """notifyType by callback name (``collectResultNotifyUrl`` -> ``PAYMENT``)."""
        table = self.rules.get("notify_types", {})
        return self._memo("notify_types", "", lambda: {k: v for k, v in table.items() if k != "why"})  # type: ignore[no-any-return]

    def resend_schedule(self) -> tuple[float, ...]:
        seconds = self.rules["notification_ack"]["resend_schedule_seconds"]
        return self._memo("resend", "", lambda: tuple(float(s) for s in seconds))  # type: ignore[no-any-return]

    def ack_body(self) -> dict[str, str]:
        return dict(self.rules["notification_ack"]["body"])

    def request_time_window(self) -> float:
        return float(self.rules.get("request_time_window_seconds", 120))


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _build(doc: dict[str, Any], extra_rules: dict[str, Any] | None) -> Facts:
    rules = _schema.rules()
    for key, value in (extra_rules or {}).items():
        rules[key] = copy.deepcopy(value)
    _apply_prose_limits(doc, rules)
    return Facts(doc, rules)


def _apply_prose_limits(doc: dict[str, Any], rules: dict[str, Any]) -> None:
    """Limits stated only in prose, written into the request schemas so one checker enforces all."""
    ops = doc["operations"]
    payout_max = rules.get("out_trade_no", {}).get("payout_max_length")
    if payout_max is not None and "paymentOrderPay" in ops:
        _schema.schema_at(ops["paymentOrderPay"]["request"], "data.outTradeNo")["maxLength"] = payout_max
    hosted = rules.get("hosted_front_callback_url", {}).get("max_length")
    if hosted is not None:
        for entry in rules.get("order_and_pay_variants", {}).get("order", ()):
            if entry["when"].get("integrate") == "Hosted_Checkout" and entry["variant"] in ops:
                node = _schema.schema_at(ops[entry["variant"]]["request"], "data.frontCallbackUrl")
                node["maxLength"] = hosted


@functools.lru_cache(maxsize=1)
def _default() -> Facts:
    return _build(_schema.load(), None)
