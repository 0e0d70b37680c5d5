"""Over HTTP, with hand-made requests (RawCaller, no client code): every PayerMax request example is
accepted with a signed answer that matches PayerMax's response schema, and dropping any required
field is refused with ``PARAMS_INVALID`` naming it."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from payermax_async.testing import GatewaySimulator, RawCaller
from payermax_async.testing.gateway.answers import answer_violations
from payermax_async.testing.plugin import SimulatorKeys
from payermax_async.testing.wire import encode, rfc3339_millis
from tests.simulator_v2.kit import EXAMPLE_IDS, EXAMPLES, FACTS, with_fresh_ids
from tests.simulator_v2.states import prepare
from tests.simulator_v2.synth import build, drop, required_paths, when_fields


@pytest.fixture
async def raw(payermax_simulator_keys: SimulatorKeys) -> AsyncIterator[RawCaller]:
    keys = payermax_simulator_keys
    async with (
        GatewaySimulator(
            merchant_private_key=keys.merchant_private_key,
            merchant_public_key=keys.merchant_public_key,
            payermax_private_key=keys.payermax_private_key,
            payermax_public_key=keys.payermax_public_key,
            check_shapes=True,
        ) as sim,
        aiohttp.ClientSession() as session,
    ):
        yield RawCaller(sim, session)
        assert sim.shape_errors == []


def envelope_of(raw: RawCaller, key: str, example: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The example's own envelope (its version), this merchant's ids and a fresh requestTime."""
    env = dict(example, data=data, keyVersion="1", requestTime=rfc3339_millis(raw.sim.now()))
    env.pop("merchantAppId", None)
    app_field = "appId" if "appId" in FACTS.request_schema(key)["properties"] else "merchantAppId"
    env[app_field] = raw.sim.app_id
    env["merchantNo"] = raw.sim.merchant_no
    return env


@pytest.mark.parametrize(("key", "index", "example"), EXAMPLES, ids=EXAMPLE_IDS)
async def test_each_payermax_example_is_accepted_over_http(
    raw: RawCaller, key: str, index: int, example: dict[str, Any]
) -> None:
    api = FACTS.operation(key)["api_name"]
    data = with_fresh_ids(example["data"])
    prepare(raw.sim.gateway, key, data)  # the state it refers to, through the gateway's own steps
    body = encode(envelope_of(raw, key, example, data))
    answer = await raw.post(api, body, raw.sign(body))
    assert answer.status == 200 and raw.verified(answer)
    assert answer.code == "APPLY_SUCCESS", answer.json
    assert [v.message() for v in answer_violations(FACTS, key, answer.json)] == []
    (record,) = [r for r in raw.sim.requests if r.body == body]
    assert record.processed and record.code == "APPLY_SUCCESS"


OPERATIONS = sorted(FACTS.doc["operations"])


@pytest.mark.parametrize("key", OPERATIONS)
async def test_dropping_each_required_field_is_refused_naming_it_over_http(raw: RawCaller, key: str) -> None:
    api = FACTS.operation(key)["api_name"]
    data = build(FACTS, key)
    schema = FACTS.request_schema(key)["properties"]["data"]
    paths = [p for p in required_paths(data, schema) if p not in when_fields(FACTS)]
    assert paths or not schema.get("required")
    example = FACTS.operation(key)["request_examples"][0] if FACTS.operation(key)["request_examples"] else {}
    version = example.get("version") or max(FACTS.versions(api) or {"1.4"})
    for path in paths:
        broken = copy.deepcopy(data)
        drop(broken, path)
        answer = await raw.call(api, broken, version=version)
        assert raw.verified(answer)
        assert (answer.code, answer.json["msg"].split(" ")[0]) == ("PARAMS_INVALID", path), answer.json
        assert "data" not in answer.json  # an error answer carries no data, as PayerMax's
    assert not any(r.processed and r.code == "APPLY_SUCCESS" for r in raw.sim.requests)
