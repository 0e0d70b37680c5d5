"""What became of an item: the status each error maps to, and the one flat encoding of an outcome
that the journal stores and the worker processes send back."""

from __future__ import annotations

import pickle

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus, outcome_status
from payermax_async.bulk.codec import (
    decode_outcome,
    decode_result,
    encode_outcome,
    encode_result,
    error_fields,
    rebuild_error,
)
from payermax_async.errors import (
    ApiError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
    TransportError,
)

from .bulkkit import result


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRequestError("bad"), OutcomeStatus.INVALID),
        (TransportError("connect refused"), OutcomeStatus.NOT_PROCESSED),
        (ApiError("SIGN_VERIFY_FAILED", "x"), OutcomeStatus.NOT_PROCESSED),
        (ApiError("MERCHANT_INVALID", "x"), OutcomeStatus.NOT_PROCESSED),
        (ApiError("REQ_TIME_OVER_TIME", "x"), OutcomeStatus.NOT_PROCESSED),
        (ApiError("TOO_MANY_REQUEST", "x", http_status=429), OutcomeStatus.NOT_PROCESSED),
        (ApiError("AMOUNT_INVALID", "x"), OutcomeStatus.FAILED),
        (ApiError("ORDER_NOT_EXIST", "x"), OutcomeStatus.FAILED),
        (ApiError("ORDER_REPEAT", "x"), OutcomeStatus.UNKNOWN),
        (ApiError("SYSTEM_ERROR", "x"), OutcomeStatus.UNKNOWN),
        (ApiError("SOMETHING_NEW", "x", http_status=503), OutcomeStatus.UNKNOWN),
        (OutcomeUnknownError("lost", attempts=3), OutcomeStatus.UNKNOWN),
        (SignatureError("bad sign"), OutcomeStatus.UNKNOWN),
        (ResponseLostError("timeout"), OutcomeStatus.UNKNOWN),
        (MalformedResponseError("html", http_status=502), OutcomeStatus.UNKNOWN),
        # unsigned: for all we know written after forwarding (defect 12), so not a refusal
        (MalformedResponseError("proxy says no", http_status=403), OutcomeStatus.UNKNOWN),
        (ValueError("anything else"), OutcomeStatus.UNKNOWN),
    ],
)
def test_outcome_status_of_each_error(error: BaseException, status: OutcomeStatus) -> None:
    assert outcome_status(error) is status


@pytest.mark.parametrize(
    "error",
    [
        ApiError("AUTH_EXPIRED", "The authorization expired."),
        OutcomeUnknownError("no answer after 3 attempts", attempts=3),
        TransportError("could not connect"),
        SignatureError("response signature does not verify"),
        ValueError("not one of ours"),
    ],
)
def test_errors_survive_a_journal_or_process_boundary(error: BaseException) -> None:
    cls, code, message = error_fields(error)
    rebuilt = rebuild_error(cls, code, message, {"out_trade_no": "ORD_1"})
    assert isinstance(rebuilt, PayerMaxError)
    assert rebuilt.out_trade_no == "ORD_1"
    if isinstance(error, PayerMaxError):
        assert type(rebuilt) is type(error)
        assert error_fields(rebuilt) == (cls, code, message)
    else:
        assert message in str(rebuilt)


def test_results_round_trip_through_their_stored_form() -> None:
    original = result("ORD_1", "rid-1")
    assert decode_result(encode_result(original)) == original


@pytest.mark.parametrize(
    "outcome",
    [
        CaptureOutcome(
            CaptureItem("ORD_1", "10.00", "USD"), OutcomeStatus.CAPTURED, "rid-1", result("ORD_1", "rid-1")
        ),
        CaptureOutcome(
            CaptureItem("ORD_2", "10.00", "USD", "rid-2"),
            OutcomeStatus.FAILED,
            "rid-2",
            error=ApiError("AUTH_EXPIRED", "too old", operation="capture"),
        ),
        CaptureOutcome(
            CaptureItem("ORD_3", "1", "JPY"),
            OutcomeStatus.UNKNOWN,
            "rid-3",
            error=OutcomeUnknownError("lost", attempts=3, operation="capture"),
            skipped=True,
        ),
    ],
    ids=["result", "refusal", "unknown"],
)
def test_an_outcome_round_trips_through_its_one_flat_encoding(outcome: CaptureOutcome) -> None:
    encoded = encode_outcome(outcome)
    assert pickle.loads(pickle.dumps(encoded)) == encoded  # what crosses the process boundary
    back = decode_outcome(outcome.item, encoded, skipped=outcome.skipped)
    assert (back.item, back.status, back.request_id, back.skipped, back.result) == (
        outcome.item,
        outcome.status,
        outcome.request_id,
        outcome.skipped,
        outcome.result,
    )
    if outcome.error is None:
        assert back.error is None
    else:
        assert type(back.error) is type(outcome.error)
        assert error_fields(back.error) == error_fields(outcome.error)
        assert isinstance(back.error, PayerMaxError) and back.error.request_id == outcome.request_id


def test_an_unrecognised_exception_is_an_unknown_outcome() -> None:
    assert outcome_status(RuntimeError("who knows")) is OutcomeStatus.UNKNOWN


@pytest.mark.parametrize("status", list(OutcomeStatus))
def test_only_captured_and_failed_are_final(status: OutcomeStatus) -> None:
    assert status.is_final is (status in (OutcomeStatus.CAPTURED, OutcomeStatus.FAILED))
