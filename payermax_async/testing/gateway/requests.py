"""Is this request's ``data`` one PayerMax would take? The schema's rules, then the prose ones.

The order matters only for which field a refusal names: the request shape is picked first (for
orderAndPay, by ``integrate``, ``captureMode`` and ``paymentDetail.paymentToken``), then the shape's
schema is checked, then the rules PayerMax states only in prose (amount precision per currency and,
for refunds, per operation; amounts in plain digits; the ``outTradeNo`` charset). Every refusal is
``PARAMS_INVALID`` with a message that starts with the dotted path of the field, as PayerMax's own
messages name the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from .facts import Facts
from .schema import Violation, violations
from .wire import PARAMS_INVALID, ExponentNumber, Refusal

__all__ = ["AMOUNT_PAIRS", "check_data", "decimals_of", "parse_amount", "refuse"]

#: (amount field, its currency field beside it, operation whose precision applies)
AMOUNT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("totalAmount", "currency", "pay"),
    ("amount", "currency", "pay"),
    ("price", "goodsCurrency", "pay"),
    ("paymentAmount", "paymentCurrency", "pay"),
    ("transactionAmount", "transactionCcy", "pay"),
    ("refundAmount", "refundCurrency", "refund"),
)


def refuse(violation: Violation) -> Refusal:
    return Refusal(PARAMS_INVALID, f"{violation.message()}.", violation.field)


def parse_amount(value: object) -> Decimal | None:
    """An amount sent as a JSON number or a numeric string; None when it is neither."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str, float)):
        return None
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _exponent_written(value: object) -> bool:
    """``1E+2`` as a JSON number (the decoder marks it) or inside a string amount."""
    return isinstance(value, ExponentNumber) or (isinstance(value, str) and "e" in value.lower())


def decimals_of(amount: Decimal) -> int:
    """Significant decimals: ``1.50`` has one, as trailing zeros change no amount."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_data(facts: Facts, api_name: str, data: dict[str, Any]) -> str:
    """The request shape (operation key) ``data`` meets; raises ``Refusal`` naming the field."""
    key = facts.select_variant(api_name, data)
    if key is None:
        raise refuse(_no_variant(facts, api_name, data))
    schema = facts.request_schema(key)["properties"]["data"]
    for violation in violations(data, schema, null_is_absent=True):
        raise refuse(violation)
    for violation in _prose(facts, data):
        raise refuse(violation)
    return key


def _no_variant(facts: Facts, api_name: str, data: dict[str, Any]) -> Violation:
    """Names the field that picks the shape: the first condition no request shape accepts."""
    table = facts.rules.get("order_and_pay_variants" if api_name == "orderAndPay" else "", {})
    choices: dict[str, set[str]] = {}
    for entry in table.get("order", ()):
        for path, wanted in entry["when"].items():
            if wanted != "present":
                choices.setdefault(path, set()).add(wanted)
    for path, allowed in choices.items():
        value = data.get(path) if "." not in path else None
        if value is None:
            return Violation(path, "is required")
        if value not in allowed:
            return Violation(path, f"must be one of {', '.join(sorted(allowed))}")
    return Violation("data", f"matches no documented {api_name} request")


def _prose(facts: Facts, data: dict[str, Any]) -> Iterator[Violation]:
    rule = facts.rules.get("out_trade_no", {})
    out_trade_no = data.get("outTradeNo")
    pattern = rule.get("pattern")
    if isinstance(out_trade_no, str) and pattern and re.search(pattern, out_trade_no) is None:
        yield Violation("outTradeNo", "may hold only letters, digits and underscore")
    yield from _precision(facts, data, "")


def _precision(facts: Facts, node: object, path: str) -> Iterator[Violation]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _precision(facts, item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    for amount_key, currency_key, operation in AMOUNT_PAIRS:
        if node.get(amount_key) is None:
            continue
        field = f"{path}.{amount_key}" if path else amount_key
        amount = parse_amount(node[amount_key])
        if amount is None:
            yield Violation(field, "is not a number")
            continue
        if _exponent_written(node[amount_key]):
            yield Violation(field, "must be written in plain digits, without an exponent")
            continue
        currency = node.get(currency_key)
        if not isinstance(currency, str):
            continue
        refund = operation == "refund"
        places = facts.refund_decimals(currency) if refund else facts.currency_decimals(currency)
        if decimals_of(amount) > places:
            yield Violation(field, f"has more than {places} decimals for {currency}")
    for name, sub in node.items():
        if isinstance(sub, (dict, list)):
            yield from _precision(facts, sub, f"{path}.{name}" if path else name)
