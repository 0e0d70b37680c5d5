"""Shared pieces for the gateway's pure-logic tests: the corrected facts, PayerMax's examples with
fresh ids, and schema-driven request builders."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from payermax_async.testing.gateway.facts import Facts

FACTS = Facts.load()

#: business ids PayerMax's examples carry; each is replaced so an example never collides with another
ID_FIELDS = (
    "outTradeNo",
    "requestId",
    "outRefundNo",
    "merchantLinkId",
    "subscriptionRequestId",
    "outUserId",
)
_counter = itertools.count(1)


def fresh_id(prefix: str = "T") -> str:
    return f"{prefix}{next(_counter):08d}"


def exact(value: Any) -> Any:
    """A JSON value as the gateway decodes it: numbers exact (Decimal), never float."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def with_fresh_ids(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = exact(data)
    for key in ID_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = fresh_id(key[:3].upper())
    return out


def request_examples(facts: Facts = FACTS) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(operation key, index, whole example envelope) for every PayerMax request example."""
    for key, op in facts.doc["operations"].items():
        for index, example in enumerate(op["request_examples"]):
            yield key, index, copy.deepcopy(example)


EXAMPLE_IDS = [f"{k}#{i}" for k, i, _ in request_examples()]
EXAMPLES = list(request_examples())
