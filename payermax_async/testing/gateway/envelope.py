"""The envelope around ``data``: who sends it, when, under which version.

Tolerant exactly where real clients differ and PayerMax accepts: any ``requestTime`` shape PayerMax's
SDKs send, ``null`` for an optional envelope field (``"spMerchantNo": null``), the ``merchantAppId``
spelling that some operations' schemas use for the app id, and every version documented for the
apiName. The HTTP layer verifies the signature between ``check_envelope`` (who is this) and
``check_request_time`` (is it fresh), as PayerMax's order of refusals goes.
"""

from __future__ import annotations

from typing import Any

from .facts import Facts
from .requests import refuse
from .schema import Violation, violations
from .wire import PARAMS_INVALID, Refusal, parse_request_time

__all__ = [
    "MERCHANT_APP_INVALID",
    "MERCHANT_INVALID",
    "REQ_TIME_OVER_TIME",
    "check_envelope",
    "check_request_time",
]

MERCHANT_APP_INVALID = "MERCHANT_APP_INVALID"
MERCHANT_INVALID = "MERCHANT_INVALID"
REQ_TIME_OVER_TIME = "REQ_TIME_OVER_TIME"
KEY_VERSION = "1"


def check_envelope(
    facts: Facts, api_name: str, envelope: dict[str, Any], *, app_id: str, merchant_no: str
) -> dict[str, Any]:
    """The request's ``data``; raises ``Refusal`` for an envelope PayerMax would refuse."""
    if not facts.variants(api_name):
        raise Refusal(PARAMS_INVALID, f"apiName {api_name} is not a PayerMax operation.", "apiName")
    schema = facts.envelope_schema(api_name)
    for violation in violations(envelope, schema, null_is_absent=True):
        raise refuse(violation)
    data = envelope.get("data")
    if data is None:
        raise refuse(Violation("data", "is required"))
    if not isinstance(data, dict):
        raise refuse(Violation("data", "must be object"))
    app_field = "appId" if "appId" in schema["properties"] else "merchantAppId"
    if envelope.get(app_field) != app_id:
        raise Refusal(MERCHANT_APP_INVALID, f"{app_field} does not belong to this merchant.", app_field)
    sent_merchant = envelope.get("merchantNo")
    if sent_merchant is not None and sent_merchant != merchant_no:
        raise Refusal(MERCHANT_INVALID, "merchantNo does not match the app.", "merchantNo")
    if envelope.get("keyVersion") != KEY_VERSION:
        raise refuse(Violation("keyVersion", f"must be {KEY_VERSION}"))
    documented = facts.versions(api_name)
    if documented and envelope.get("version") not in documented:
        raise refuse(Violation("version", f"must be one of {', '.join(sorted(documented))} for {api_name}"))
    return data


def check_request_time(facts: Facts, value: object, now: float) -> float:
    """Epoch seconds of a ``requestTime`` within PayerMax's window of ``now``."""
    sent = parse_request_time(value)
    if sent is None:
        raise refuse(Violation("requestTime", "must be an RFC 3339 time with a zone"))
    if abs(now - sent) > facts.request_time_window():
        raise Refusal(REQ_TIME_OVER_TIME, "requestTime is outside the allowed window.", "requestTime")
    return sent
