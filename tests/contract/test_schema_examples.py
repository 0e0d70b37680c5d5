"""Every example PayerMax published agrees with the corrected schema.

PayerMax's examples are the only place where the wire is shown rather than described. Where an
example and the table disagree, the overlay decides which one is wrong and says why; this test keeps
that decision complete, so a new export with a new disagreement fails here instead of at a merchant.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from payermax_async import _schema

from ._schema_examples import example_id, examples, undocumented

CASES = [pytest.param(ex, schema, id=example_id(s, k, p, i)) for s, k, p, i, ex, schema in examples()]


def test_there_are_examples_of_every_kind() -> None:
    parts = {(s, p) for s, _, p, _, _, _ in examples()}
    assert {("operations", "request"), ("operations", "response"), ("callbacks", "request")} <= parts
    assert len(CASES) >= 142


@pytest.mark.parametrize(("example", "schema"), CASES)
def test_example_validates_against_corrected_schema(example: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)]
    assert not problems


def test_uncorrected_facts_do_disagree_with_examples() -> None:
    # The test above would pass vacuously if the corrections touched nothing; PayerMax's own facts
    # (without them) must still show the disagreements the overlay resolves.
    raw = _schema.facts()
    bad = 0
    for section in ("operations", "callbacks"):
        for entry in raw[section].values():
            for part in ("request", "response"):
                validator = jsonschema.Draft202012Validator(entry[part])
                bad += sum(1 for ex in entry[f"{part}_examples"] if not validator.is_valid(ex))
    assert bad >= 30


def test_send_as_names_one_of_the_accepted_types() -> None:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            yield node
            for sub in node.get("properties", {}).values():
                yield from walk(sub)
            if isinstance(node.get("items"), dict):
                yield from walk(node["items"])

    seen = 0
    for _, _, _, _, _, schema in examples():
        for node in walk(schema):
            if "x-send-as" in node:
                seen += 1
                assert isinstance(node["type"], list) and node["x-send-as"] in node["type"]
    assert seen


def test_patch_example_ops() -> None:
    doc = {
        "operations": {
            "op": {
                "request": {},
                "response": {},
                "request_examples": [{"data": {"a": 1, "g": {"x": 1}}}],
                "response_examples": [],
            }
        },
        "callbacks": {},
    }
    fixed = _schema.apply_overlay(
        doc,
        {
            "corrections": [
                {
                    "why": "t",
                    "patch_example": "operations/op/request#0",
                    "set_values": {"data.a": 2},
                    "wrap_in_list": ["data.g"],
                }
            ]
        },
    )
    assert fixed["operations"]["op"]["request_examples"][0] == {"data": {"a": 2, "g": [{"x": 1}]}}
    with pytest.raises(KeyError):
        _schema.apply_overlay(
            doc,
            {
                "corrections": [
                    {"why": "t", "patch_example": "operations/op/request#0", "set_values": {"data.b": 1}}
                ]
            },
        )


def test_every_root_reaches_each_envelope() -> None:
    doc = _schema.load()
    for entry in doc["operations"].values():
        assert "data" not in entry["response"].get("required", [])
    assert "data" in _schema.facts()["operations"]["orderAndPay"]["response"]["required"]


def test_every_field_in_payermax_examples_is_documented() -> None:
    # A field PayerMax sends that the schema lacks would be dropped by our types without a trace.
    found = {
        example_id(s, k, p, i): undocumented(ex, schema, "")
        for s, k, p, i, ex, schema in examples()
        if undocumented(ex, schema, "")
    }
    # The one exception is a merchant's refusal of a notification: not a body PayerMax sends.
    assert found == {"callbacks/disbursementResultNotifyUrl/response#1": [".bizCode", ".message"]}
