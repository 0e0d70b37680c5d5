"""Our JSON-Schema subset checker against the reference implementation (jsonschema, a test-only
dependency; this module is skipped where it is not installed): on every PayerMax request example and
on each with one required field dropped, both must agree."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from payermax_async.testing.gateway.schema import violations

from .kit import EXAMPLE_IDS, EXAMPLES, FACTS, exact
from .synth import drop, required_paths

jsonschema = pytest.importorskip("jsonschema")


def agree(value: Any, schema: dict[str, Any]) -> tuple[bool, bool]:
    ours = not any(violations(value, schema))
    plain = json.loads(json.dumps(value, default=float))
    theirs = bool(jsonschema.Draft202012Validator(schema).is_valid(plain))
    return ours, theirs


@pytest.mark.parametrize(("key", "index", "example"), EXAMPLES, ids=EXAMPLE_IDS)
def test_agreement_on_examples_and_their_mutations(key: str, index: int, example: dict[str, Any]) -> None:
    schema = FACTS.request_schema(key)["properties"]["data"]
    data = exact(example["data"])
    ours, theirs = agree(data, schema)
    assert ours == theirs
    for path in list(required_paths(data, schema))[:10]:
        broken = copy.deepcopy(data)
        drop(broken, path)
        assert agree(broken, schema) == (False, False), path
