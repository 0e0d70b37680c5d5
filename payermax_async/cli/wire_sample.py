"""One order of the demo as it crossed the wire, in PayerMax's own field names.

The demo's numbers say the client is fast and safe; these lines say what it spoke: the very
``data`` the gateway received and answered, so a reader sees PayerMax's protocol, not the
library's Python names. Card numbers are masked before they reach the screen.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..testing import RequestRecord

__all__ = ["wire_sample"]

_ASKED = {
    "orderAndPay": ("outTradeNo", "integrate", "captureMode", "totalAmount", "currency", "paymentDetail"),
    "capture": ("outTradeNo", "requestId", "amount", "currency"),
}
_ANSWERED = {
    "orderAndPay": ("status", "tradeToken"),
    "capture": ("status", "captureNo", "isFinal"),
}


def _mask(card_no: str) -> str:
    return card_no[:6] + "*" * max(0, len(card_no) - 10) + card_no[-4:] if len(card_no) > 10 else "****"


def _flat(data: dict[str, Any], names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        value = data.get(name)
        if name == "paymentDetail" and isinstance(value, dict):
            card = value.get("cardInfo") or {}
            out.append(f"paymentDetail.paymentMethodType={value.get('paymentMethodType')}")
            if isinstance(card, dict) and isinstance(card.get("cardIdentifierNo"), str):
                out.append(f"paymentDetail.cardInfo.cardIdentifierNo={_mask(card['cardIdentifierNo'])}")
        elif value is not None:
            out.append(f"{name}={json.dumps(value) if isinstance(value, bool) else value}")
    return out


def _answer(record: RequestRecord) -> dict[str, Any]:
    try:
        body = json.loads(record.response_body or b"{}", parse_float=Decimal)
    except ValueError:
        return {}
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def wire_sample(requests: Sequence[RequestRecord]) -> list[str]:
    """Lines showing the first order whose authorization and capture both went through cleanly."""
    capture = next(
        (r for r in requests if r.api_name == "capture" and r.code == "APPLY_SUCCESS" and r.fault is None),
        None,
    )
    if capture is None or capture.out_trade_no is None:
        return []
    order = next(
        (r for r in requests if r.api_name == "orderAndPay" and r.out_trade_no == capture.out_trade_no),
        None,
    )
    lines = ["", "  one order on the wire, in PayerMax's field names:"]
    for record in (order, capture):
        if record is None or not isinstance(record.data, dict):
            continue
        asked = " ".join(_flat(record.data, _ASKED[record.api_name]))
        answered = " ".join(_flat(_answer(record), _ANSWERED[record.api_name]))
        lines += textwrap.wrap(
            asked, 96, initial_indent=f"    {record.api_name:<12} ", subsequent_indent=" " * 17
        )
        lines += textwrap.wrap(
            f"-> {record.code} {answered}", 96, initial_indent=" " * 17, subsequent_indent=" " * 20
        )
    return lines
