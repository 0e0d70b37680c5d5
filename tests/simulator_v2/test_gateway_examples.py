"""Every PayerMax request example, given the state it needs, is accepted, and every answer and
notification it causes matches PayerMax's response and callback schemas."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from payermax_async.endpoints import ENDPOINTS
from payermax_async.testing.gateway.flows import Gateway
from payermax_async.testing.gateway.wire import APPLY_SUCCESS, Answer, rfc3339_millis

from .kit import EXAMPLE_IDS, EXAMPLES, FACTS, with_fresh_ids
from .states import prepare

APP, MERCHANT = "app_1", "M001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_772_452_800.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(FACTS, app_id=APP, merchant_no=MERCHANT, clock=Clock(), check_shapes=True)


def send(gateway: Gateway, key: str, example: dict[str, Any]) -> tuple[dict[str, Any], Answer]:
    """The example (fresh ids, the state it needs) as the gateway gets it, and its answer."""
    api = FACTS.operation(key)["api_name"]
    data = with_fresh_ids(example["data"])
    prepare(gateway, key, data)
    envelope = dict(example, data=data, requestTime=rfc3339_millis(gateway.books.now()), keyVersion="1")
    envelope.pop("merchantAppId", None)
    app_field = "appId" if "appId" in FACTS.request_schema(key)["properties"] else "merchantAppId"
    envelope[app_field] = APP
    envelope["merchantNo"] = MERCHANT
    return data, gateway.handle(api, envelope)


@pytest.mark.parametrize(("key", "index", "example"), EXAMPLES, ids=EXAMPLE_IDS)
def test_each_example_is_accepted_with_a_documented_answer(
    gateway: Gateway, key: str, index: int, example: dict[str, Any]
) -> None:
    _, answer = send(gateway, key, example)
    assert answer.code == APPLY_SUCCESS, answer
    for notice in gateway.take_notices():
        assert not gateway.check_notice(notice)


ECHOING = [(k, i, e) for k, i, e in EXAMPLES if ENDPOINTS[k].echoes_wire]


@pytest.mark.parametrize(("key", "index", "example"), ECHOING, ids=[f"{k}#{i}" for k, i, _ in ECHOING])
def test_each_answer_carries_back_the_ids_payermax_answers_carry(
    gateway: Gateway, key: str, index: int, example: dict[str, Any]
) -> None:
    """The client refuses a success without them (``Endpoint.echoes``, from PayerMax's examples)."""
    sent, answer = send(gateway, key, example)
    assert answer.code == APPLY_SUCCESS and answer.data is not None, answer
    for wire in ENDPOINTS[key].echoes_wire:
        assert answer.data.get(wire) is not None, wire
        if wire in sent:
            assert answer.data[wire] == sent[wire], wire


def test_every_served_api_name_has_an_example_or_a_flow_test() -> None:
    served = {FACTS.operation(k)["api_name"] for k, _, _ in EXAMPLES}
    assert served | {"orderClose"} == FACTS.api_names()
    assert all(Gateway(FACTS, app_id=APP, merchant_no=MERCHANT).serves(a) for a in FACTS.api_names())
    assert not Gateway(FACTS, app_id=APP, merchant_no=MERCHANT).serves("noSuchApi")


def test_ids_are_unique_and_fit_every_id_field(gateway: Gateway) -> None:
    ids = {gateway.books.new_id("PMTOKEN") for _ in itertools.repeat(None, 50)}
    assert len(ids) == 50 and max(map(len, ids)) <= 32
