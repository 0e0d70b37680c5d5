"""Reading one answer: verify its signature, decode it, and bind it to the request it answers.

The rule it keeps is the library's first: nothing from a body is believed before PayerMax's
signature over it checks out, and then only if the ids it echoes are the request's, and a success
echoes those PayerMax's own always do. Everything else (unsigned, forged, about another request or
about none that can be told) is "no answer", which the retry loop replays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

import msgspec

from ._envelope import decode_envelope, decode_exact
from .codes import APPLY_SUCCESS, REQ_TIME_OVER_TIME
from .errors import ApiError, MalformedResponseError, SignatureError, UnboundResponseError
from .retry import parse_retry_after
from .signing import Verifier, verify_sign_header
from .transport import HttpResponse
from .types._base import decode_data as decode_model

__all__ = ["MAX_CLOCK_OFFSET", "bind", "clock_offset_from", "interpret"]

T = TypeVar("T")


def interpret(
    result_type: type[Any],
    response: HttpResponse,
    ids: Mapping[str, str],
    verifier: Verifier,
    learn_clock: Callable[[str | None], None],
    echoes: tuple[str, ...] = (),
) -> Any:
    """Verify, decode, then bind. Only a body PayerMax signed can be a verdict: an unsigned one
    may come from anything between us and the gateway, after it forwarded the request.
    ``echoes``: the ids of ``ids`` a success must carry back (see :func:`bind`)."""
    raw = response.body
    sign = response.headers.get("sign")
    if sign is not None and not verify_sign_header(verifier, raw, sign):
        forged = SignatureError("response signature does not verify; the outcome is unknown")
        forged.forged = True
        raise forged
    verified = sign is not None
    if verified and result_type is not dict:
        result = _plain_success(raw, result_type)
        if result is not None:
            bind(result, ids, echoes)
            return result
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    try:
        envelope = decode_envelope(raw)
    except _UNREADABLE:
        ctype = response.headers.get("Content-Type", "none")
        error = MalformedResponseError(
            f"HTTP {response.status} ({ctype}): not a PayerMax JSON envelope"
            + (" (signed)" if verified else ""),
            http_status=response.status,
        )
        error.verified = verified
        error.retry_after = retry_after
        raise error from None
    if not verified:
        unsigned = SignatureError(
            f"HTTP {response.status}: unsigned answer showing {envelope.code!r}; not believed, "
            "the outcome is unknown"
        )
        unsigned.shown_code = envelope.code
        unsigned.retry_after = retry_after
        raise unsigned
    if envelope.code != APPLY_SUCCESS:
        if envelope.code == REQ_TIME_OVER_TIME:
            learn_clock(response.headers.get("Date"))
        try:
            error_data = decode_exact(envelope.data) if len(envelope.data) else None
        except _UNREADABLE:
            error_data = None
        api_error = ApiError(envelope.code, envelope.msg or "", http_status=response.status, data=error_data)
        api_error.retry_after = retry_after
        raise api_error
    try:
        if result_type is dict:
            result = decode_exact(envelope.data)
        else:
            result = decode_model(envelope.data, result_type)
    except _UNREADABLE as exc:
        error = MalformedResponseError(
            f"signed response data does not match {result_type.__name__}: "
            f"{exc.__class__.__name__}: {str(exc)[:200]}",
            http_status=response.status,
        )
        error.verified = True
        raise error from None
    bind(result, ids, echoes)
    return result


class _Success(msgspec.Struct, Generic[T]):
    code: str
    msg: str | None = None  # read, though unused: a body that cannot be read is no success
    data: T | None = None


_SUCCESS_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _plain_success(raw: bytes, result_type: type[T]) -> T | None:
    """The result of an ``APPLY_SUCCESS`` answer in one decode, or None for anything else (an
    error code, ``data`` null or in a shape only the lenient path mends): the path nearly every
    answer takes, so it skips decoding the envelope and then its ``data`` a second time."""
    decoder = _SUCCESS_DECODERS.get(result_type)
    if decoder is None:
        decoder = _SUCCESS_DECODERS[result_type] = msgspec.json.Decoder(_Success[result_type], strict=False)  # type: ignore[valid-type]
    try:
        answer = decoder.decode(raw)
    except _UNREADABLE:
        return None
    return answer.data if answer.code == APPLY_SUCCESS else None


def clock_offset_from(date_header: str | None, now: float) -> float | None:
    """The offset a verified REQ_TIME_OVER_TIME's ``Date`` shows, or None when absent, junk, or
    beyond MAX_CLOCK_OFFSET (a broken clock somewhere, not a fact to build every requestTime on)."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None
    offset = server - now
    return offset if abs(offset) <= MAX_CLOCK_OFFSET else None


#: what decoding hostile bytes can raise besides msgspec's own errors
_UNREADABLE = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    RecursionError,
    UnicodeDecodeError,
    ValueError,
    TypeError,
    OverflowError,
)

#: seconds; a bigger disagreement than this between our clock and the gateway's is not learnt
MAX_CLOCK_OFFSET = 24 * 3600.0

#: PayerMax matches these ids without regard to case
_CASELESS_IDS = frozenset({"out_trade_no"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _wire_field(answer: dict[str, Any], name: str) -> Any:
    """``name`` read from a wire-named dict. snake_case drops an acronym's case (``payment_token_id``
    is ``paymentTokenID``), so a miss is looked up again without regard to case."""
    value = answer.get(_camel(name))
    if value is None:
        flat = name.replace("_", "")
        for key, found in answer.items():
            if isinstance(key, str) and key.casefold() == flat:
                return found
    return value


def bind(result: Any, ids: Mapping[str, str], echoes: tuple[str, ...] = ()) -> None:
    """Every business id the request carried that the answer echoes must be the request's, and
    those in ``echoes`` must be echoed: every success PayerMax documents carries them, so a signed
    one without them may answer any request (and a ``data`` null names none).

    Generic by name, so it holds for every result type: a hand-written model or a generated one
    (attribute ``out_trade_no``), or a plain dict (wire name ``outTradeNo``: ``call()`` without a type).
    """
    as_dict = isinstance(result, dict)
    for name, wanted in ids.items():
        seen = _wire_field(result, name) if as_dict else getattr(result, name, None)
        if seen == wanted:
            continue
        if seen is None:
            if name in echoes:
                raise UnboundResponseError(
                    f"the signed answer does not name its {name}, so it may answer another request; "
                    "treated as no answer"
                )
            continue
        seen_text = str(seen)
        if name in _CASELESS_IDS:
            same = seen_text.casefold() == str(wanted).casefold()
        else:
            same = seen_text == str(wanted)
        if not same:
            raise UnboundResponseError(
                f"the signed answer is about {name}={seen_text[:64]!r}, not this request's; "
                "treated as no answer"
            )
