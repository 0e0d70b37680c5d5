"""A signed ``APPLY_SUCCESS`` answer is read in one typed decode; anything that decode cannot take
goes through the envelope and then ``data``. Over every answer PayerMax documents, both must give the
same result, and no documented answer may be read differently because of the path it took."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from payermax_async._answer import _plain_success, interpret
from payermax_async._envelope import decode_envelope
from payermax_async.endpoints import ENDPOINTS
from payermax_async.transport import HttpResponse
from payermax_async.types._base import decode_data

from ._schema_examples import example_id, examples


class _Trusting:
    """The signature is not what is compared here: every answer verifies."""

    def verify(self, message: bytes, signature: bytes) -> bool:
        return True


ANSWERS = [
    pytest.param(key, example, id=example_id(section, key, part, index))
    for section, key, part, index, example, _ in examples()
    if section == "operations" and part == "response" and example.get("code") == "APPLY_SUCCESS"
]


def _ignore_clock(date: str | None) -> None:
    raise AssertionError("a success never teaches the clock")


def test_the_documented_successes_take_both_paths() -> None:
    """Most are read in one decode; some (``data`` null, a timestamp with a space before its offset)
    only by the lenient path: the comparison below covers each."""
    assert len(ANSWERS) >= 40
    paths = set()
    for param in ANSWERS:
        key, example = param.values
        assert isinstance(key, str) and isinstance(example, dict)
        result_type = ENDPOINTS[key].result_type
        assert result_type is not None
        paths.add(_plain_success(msgspec.json.encode(example), result_type) is None)
    assert paths == {True, False}


@pytest.mark.parametrize(("key", "example"), ANSWERS)
def test_a_documented_success_reads_the_same_by_either_path(key: str, example: dict[str, Any]) -> None:
    result_type = ENDPOINTS[key].result_type
    assert result_type is not None
    body = msgspec.json.encode(example)
    answer = HttpResponse(200, {"sign": "c2lnbmVk"}, body)  # base64 of b"signed"
    read = interpret(result_type, answer, {}, _Trusting(), _ignore_clock)
    two_steps = decode_data(decode_envelope(body).data, result_type)
    assert read == two_steps
    assert msgspec.to_builtins(read) == msgspec.to_builtins(two_steps)
