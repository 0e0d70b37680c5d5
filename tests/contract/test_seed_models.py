"""Wire models: PayerMax's documented examples decode verbatim, quirks and all."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest

from payermax_async import PayerMaxClient
from payermax_async._envelope import RequestEnvelope, decode_envelope, format_request_time
from payermax_async.types import CaptureRequest, CaptureResult, CaptureStatus
from payermax_async.types._base import decode_data as decode_model
from payermax_async.types._base import encode_request as encode

from ..support import DATA, Keys, ScriptedGateway


def test_seed_response_example_decodes_verbatim() -> None:
    raw = (DATA / "capture_response_example.json").read_bytes()
    envelope = decode_envelope(raw)
    assert envelope.code == "APPLY_SUCCESS"
    result = decode_model(envelope.data, CaptureResult)
    assert result.capture_no == "20230806235059CP1234567890"
    assert result.amount == Decimal("10") and isinstance(result.amount, Decimal)
    assert result.is_final is True
    assert result.status is CaptureStatus.SUCCESS and result.status.is_final
    assert result.created_time == datetime(2023, 8, 6, 23, 50, 59, tzinfo=UTC)
    assert result.created_time is not None and result.created_time.tzinfo is not None


def test_seed_request_example_round_trips_byte_for_byte() -> None:
    raw = (DATA / "capture_request_example.json").read_bytes().strip()
    envelope = msgspec.json.decode(raw, type=RequestEnvelope[CaptureRequest])
    assert envelope.data.amount == Decimal("10.00")
    assert encode(envelope) == raw


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2023-08-06T23:50:59 +0000", datetime(2023, 8, 6, 23, 50, 59, tzinfo=UTC)),
        ("2023-10-20T03:28:23.092Z", datetime(2023, 10, 20, 3, 28, 23, 92000, tzinfo=UTC)),
        ("2022-01-17T09:33:54.540+00:00", datetime(2022, 1, 17, 9, 33, 54, 540000, tzinfo=UTC)),
        ("2022-01-17T12:33:54 +0300", datetime(2022, 1, 17, 9, 33, 54, tzinfo=UTC)),
        ("2022-01-17 09:33:54", datetime(2022, 1, 17, 9, 33, 54, tzinfo=UTC)),
    ],
)
def test_timestamp_shapes(stamp: str, expected: datetime) -> None:
    body = {
        "captureNo": "C",
        "requestId": "R",
        "outTradeNo": "O",
        "amount": "1.00",
        "currency": "USD",
        "status": "PENDING",
        "createdTime": stamp,
    }
    result = decode_model(json.dumps(body).encode(), CaptureResult)
    assert result.created_time == expected
    assert result.created_time is not None and result.created_time.utcoffset() is not None


@pytest.mark.parametrize(
    ("is_final", "amount", "expected_final", "expected_amount"),
    [
        ("True", '"10.50"', True, Decimal("10.50")),
        ("False", "10.50", False, Decimal("10.50")),
        ("true", "12345678901234567.89", True, Decimal("12345678901234567.89")),
        (False, "0.1", False, Decimal("0.1")),
    ],
)
def test_lenient_bools_and_exact_amounts(
    is_final: object, amount: str, expected_final: bool, expected_amount: Decimal
) -> None:
    raw = (
        '{"captureNo":"C","requestId":"R","outTradeNo":"O","currency":"USD","status":"SUCCESS",'
        f'"amount":{amount},"isFinal":{json.dumps(is_final)},"unknownField":{{"x":1}}}}'
    ).encode()
    result = decode_model(raw, CaptureResult)
    assert result.is_final is expected_final
    assert result.amount == expected_amount and str(result.amount) == str(expected_amount)


def test_exact_amounts_survive_the_slow_path_too() -> None:
    raw = (
        b'{"captureNo":"C","requestId":"R","outTradeNo":"O","currency":"USD","status":"SUCCESS",'
        b'"amount":12345678901234567.89,"createdTime":"2023-08-06T23:50:59 +0000"}'
    )
    assert decode_model(raw, CaptureResult).amount == Decimal("12345678901234567.89")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        # every answer field is optional and an unknown status decodes (not final); a wrong type does not
        (b'{"captureNo":["C"],"status":"SUCCESS"}', "captureNo"),
        (b'{"captureNo":"C","status":1}', "status"),
        (
            b'{"captureNo":"C","requestId":"R","outTradeNo":"O","amount":"x","currency":"USD","status":"SUCCESS"}',
            "amount",
        ),
    ],
)
def test_strict_where_it_matters(raw: bytes, fragment: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=fragment):
        decode_model(raw, CaptureResult)


def test_results_are_frozen() -> None:
    result = decode_model(
        decode_envelope((DATA / "capture_response_example.json").read_bytes()).data, CaptureResult
    )
    with pytest.raises(AttributeError):
        result.status = CaptureStatus.FAILED  # type: ignore[misc]


def test_request_time_format() -> None:
    assert format_request_time(1730865373.0) == "2024-11-06T03:56:13.000+00:00"
    assert format_request_time(1730865373.9999) == "2024-11-06T03:56:13.999+00:00"
    now = datetime.now(UTC).timestamp()
    parsed = datetime.fromisoformat(format_request_time(now))
    assert abs(parsed - datetime.fromtimestamp(now, UTC)) < timedelta(milliseconds=2)


def test_encoding_keeps_decimals_as_numbers_and_omits_absent_fields() -> None:
    body = encode(CaptureRequest(request_id="R", out_trade_no="O", currency="USD", amount=Decimal("0.10")))
    assert body == b'{"requestId":"R","outTradeNo":"O","currency":"USD","amount":0.10}'
    with pytest.raises(TypeError):
        CaptureRequest(request_id="R", out_trade_no="O", currency="USD")  # type: ignore[call-arg]


def test_capture_answers_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """PayerMax's own capture timestamp shape must not push every answer onto the slow path."""
    from payermax_async.types import _base

    def slow_path(*args: object) -> object:
        raise AssertionError("slow path taken")

    monkeypatch.setattr(_base, "convert_data", slow_path)
    raw = decode_envelope((DATA / "capture_response_example.json").read_bytes()).data
    result = decode_model(raw, CaptureResult)
    assert result.succeeded_time == datetime(2023, 8, 6, 23, 50, 59, tzinfo=UTC)
    note = (
        b'{"captureNo":"C","requestId":"R","outTradeNo":"O","amount":1,"currency":"USD","status":"PENDING",'
    )
    odd = decode_model(note + b'"errorMsg":"2023-08-06T23:50:59 +0000 is not a time here"}', CaptureResult)
    assert odd.error_msg == "2023-08-06T23:50:59 +0000 is not a time here"  # only whole strings are mended


async def test_seed_response_example_through_the_client(
    make_client: Callable[..., PayerMaxClient], keys: Keys, gateway: ScriptedGateway
) -> None:
    """PayerMax's capture example, signed as the gateway signs it, through the whole client pipeline."""
    body = (DATA / "capture_response_example.json").read_bytes()
    gateway.post(
        "http://127.0.0.1:9/aggregate-pay/api/gateway/capture",
        status=200,
        body=body,
        headers={"Content-Type": "application/json", "sign": keys.payermax_sign(body)},
    )
    async with make_client() as client:
        result = await client.capture("ORD_20230806_0001", "10", "USD", request_id="REQ-20230806-0001")
    assert result.amount == Decimal("10") and isinstance(result.amount, Decimal)  # a JSON number there
    assert result.is_final is True  # the final capture; a JSON bool there, "True,False" in the table
    assert result.status is CaptureStatus.SUCCESS
    assert result.succeeded_time == datetime(2023, 8, 6, 23, 50, 59, tzinfo=UTC)
    assert msgspec.to_builtins(result)["captureNo"] == "20230806235059CP1234567890"
