"""Every error pickles and unpickles with its attributes: errors cross process pools (bulk
workers), task queues and error trackers, and a failure to unpickle hides the real error."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from payermax_async import errors

IDS = {"out_trade_no": "ORD1", "request_id": "REQ1"}


def examples() -> dict[str, errors.PayerMaxError]:
    made: dict[str, errors.PayerMaxError] = {
        "PayerMaxError": errors.PayerMaxError("base", operation="capture", ids=IDS),
        "ConfigurationError": errors.ConfigurationError("bad base_url"),
        "InvalidRequestError": errors.InvalidRequestError("bad amount", field="amount", ids=IDS),
        "TransportError": errors.TransportError("refused", operation="capture", ids=IDS),
        "ResponseLostError": errors.ResponseLostError("timed out", operation="refund"),
        "UnboundResponseError": errors.UnboundResponseError("another order's answer", ids=IDS),
        "ClientClosedError": errors.ClientClosedError("closed", operation="capture"),
        "SignatureError": errors.SignatureError("bad sign", ids=IDS),
        "NotificationError": errors.NotificationError("not for us"),
        "NotificationInFlightError": errors.NotificationInFlightError("busy elsewhere", ids=IDS),
        "StaleNotificationError": errors.StaleNotificationError("old"),
        "MalformedResponseError": errors.MalformedResponseError("html", http_status=502, ids=IDS),
        "ApiError": errors.ApiError(
            "ORDER_REPEAT",
            "used",
            operation="capture",
            ids=IDS,
            http_status=200,
            data={"amount": Decimal("10.00")},
        ),
        "OutcomeUnknownError": errors.OutcomeUnknownError(
            "no answer", attempts=3, landed=True, operation="capture", ids=IDS
        ),
        "JournalError": errors.JournalError("journal belongs to another merchant"),
        "WorkerProcessError": errors.WorkerProcessError("worker 2 died", ids=IDS),
        "CsvFormatError": errors.CsvFormatError("no header"),
    }
    made["ApiError"].retry_after = 2.5
    unsigned = errors.SignatureError("unsigned answer", ids=IDS)
    unsigned.shown_code = "ORDER_NOT_EXIST"
    made["SignatureError"] = unsigned
    return made


def test_every_error_class_has_an_example() -> None:
    assert set(examples()) == set(errors.__all__)


@pytest.mark.parametrize("name", sorted(errors.__all__))
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_round_trip_keeps_type_and_attributes(name: str, protocol: int) -> None:
    original = examples()[name]
    restored = pickle.loads(pickle.dumps(original, protocol=protocol))
    assert type(restored) is type(original)
    assert restored.__dict__ == original.__dict__ and restored.args == original.args
    assert str(restored) == str(original) and repr(restored) == repr(original)
    assert restored.out_trade_no == original.out_trade_no
    assert copy.deepcopy(original).__dict__ == original.__dict__


def test_specific_attributes_survive() -> None:
    api = pickle.loads(pickle.dumps(examples()["ApiError"]))
    assert isinstance(api, errors.ApiError)
    assert (api.code, api.msg, api.http_status, api.data, api.retry_after) == (
        "ORDER_REPEAT",
        "used",
        200,
        {"amount": Decimal("10.00")},
        2.5,
    )
    unknown = pickle.loads(pickle.dumps(examples()["OutcomeUnknownError"]))
    assert isinstance(unknown, errors.OutcomeUnknownError)
    assert (unknown.attempts, unknown.landed, unknown.request_id) == (3, True, "REQ1")
    invalid = pickle.loads(pickle.dumps(examples()["InvalidRequestError"]))
    assert isinstance(invalid, errors.InvalidRequestError) and isinstance(invalid, ValueError)
    assert invalid.field == "amount"
