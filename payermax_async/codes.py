"""Every PayerMax result code the library acts on, described once.

Each code carries two facts: what a replay can do about it (its :class:`FailureKind`), and what it
proves about whether the gateway processed the request (:class:`Processed`). The retry layer,
the request pipeline, the bulk outcomes and the simulator all read this table, so the meaning
of a code cannot drift between them. A code not listed here is a business refusal: final, and
proof that the gateway looked at the request and said no.

All of this holds only for an answer whose signature verified: an unsigned answer proves nothing,
whatever code it shows, because anything between us and PayerMax can write one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "AMOUNT_INVALID",
    "APPLY_SUCCESS",
    "AUTH_EXPIRED",
    "CODES",
    "COUNTRY_INVALID",
    "CURRENCY_INVALID",
    "ILLEGAL_IP_REQUEST",
    "MERCHANT_APP_INVALID",
    "MERCHANT_INVALID",
    "ORDER_CLOSED",
    "ORDER_NOT_EXIST",
    "ORDER_REPEAT",
    "ORDER_STATUS_INVALID",
    "PARAMS_INVALID",
    "REQUEST_TIMEOUT",
    "REQ_TIME_OVER_TIME",
    "SIGN_VERIFY_FAILED",
    "SYSTEM_ERROR",
    "TOO_MANY_REQUEST",
    "UNEXPECTED_ERROR",
    "CodeInfo",
    "FailureKind",
    "Processed",
    "describe",
]


class FailureKind(enum.Enum):
    """What a replay under the same business id can do about a failure."""

    NOT_SENT = "not_sent"  # certainly not processed: always safe to retry
    MAYBE_SENT = "maybe_sent"  # may have been processed: safe only because the id is fixed
    CLOCK_SKEW = "clock_skew"  # refused for our clock; fix the offset and resend at once
    FATAL = "fatal"  # final: a replay cannot change the answer


class Processed(enum.Enum):
    """What an answer with this code proves about the request itself."""

    NO = "no"  # refused before acting on it: sending it again is safe
    REFUSED = "refused"  # looked at and refused: a definite outcome
    LANDED = "landed"  # the id was already used: an earlier attempt of ours landed
    UNKNOWN = "unknown"  # proves nothing: it may or may not have been processed


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    kind: FailureKind
    processed: Processed


APPLY_SUCCESS = "APPLY_SUCCESS"

REQ_TIME_OVER_TIME = "REQ_TIME_OVER_TIME"
TOO_MANY_REQUEST = "TOO_MANY_REQUEST"
SYSTEM_ERROR = "SYSTEM_ERROR"
UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
ORDER_REPEAT = "ORDER_REPEAT"
SIGN_VERIFY_FAILED = "SIGN_VERIFY_FAILED"
MERCHANT_INVALID = "MERCHANT_INVALID"
MERCHANT_APP_INVALID = "MERCHANT_APP_INVALID"
ILLEGAL_IP_REQUEST = "ILLEGAL_IP_REQUEST"
PARAMS_INVALID = "PARAMS_INVALID"
AMOUNT_INVALID = "AMOUNT_INVALID"
CURRENCY_INVALID = "CURRENCY_INVALID"
COUNTRY_INVALID = "COUNTRY_INVALID"
ORDER_NOT_EXIST = "ORDER_NOT_EXIST"
ORDER_STATUS_INVALID = "ORDER_STATUS_INVALID"
ORDER_CLOSED = "ORDER_CLOSED"
AUTH_EXPIRED = "AUTH_EXPIRED"

_F = FailureKind
_P = Processed

#: the codes with a meaning beyond "refused"; see the module docstring for the rest
CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(REQ_TIME_OVER_TIME, _F.CLOCK_SKEW, _P.NO),
        # a signed rate-limit refusal: PayerMax turned it away before acting on it
        CodeInfo(TOO_MANY_REQUEST, _F.NOT_SENT, _P.NO),
        CodeInfo(SYSTEM_ERROR, _F.MAYBE_SENT, _P.UNKNOWN),
        CodeInfo(UNEXPECTED_ERROR, _F.MAYBE_SENT, _P.UNKNOWN),
        CodeInfo(REQUEST_TIMEOUT, _F.MAYBE_SENT, _P.UNKNOWN),
        CodeInfo(ORDER_REPEAT, _F.FATAL, _P.LANDED),
        CodeInfo(SIGN_VERIFY_FAILED, _F.FATAL, _P.NO),
        CodeInfo(MERCHANT_INVALID, _F.FATAL, _P.NO),
        CodeInfo(MERCHANT_APP_INVALID, _F.FATAL, _P.NO),
        CodeInfo(ILLEGAL_IP_REQUEST, _F.FATAL, _P.NO),
    )
}


def describe(code: str) -> CodeInfo:
    """The facts for ``code``; an unlisted code is a final refusal."""
    return CODES.get(code) or CodeInfo(code, FailureKind.FATAL, Processed.REFUSED)
