"""What the generated wire types stand on (hand-written): bases, money, timestamps, tolerant enums,
the request encoder and the lenient answer decoder.

PayerMax's examples disagree with its own tables about representation (amounts as numbers or
strings, four timestamp shapes, ``""`` for "no time"), so decoding is lax about shape and exact about
value: amounts are parsed from their JSON text into Decimals, never through float.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar, cast

import msgspec

from .._sensitive import SENSITIVE
from ..errors import InvalidRequestError

__all__ = [
    "AwareDatetime",
    "NotificationEnvelope",
    "StrDecimal",
    "TolerantEnum",
    "WireRequest",
    "WireResult",
    "as_str_decimal",
    "convert_data",
    "decode_data",
    "encode_envelope",
    "encode_request",
    "reconciled",
    "to_wire",
]

T = TypeVar("T")

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class StrDecimal(Decimal):
    """An amount PayerMax types as a JSON string (payout ``trade.amount``, ``goodsDetails[].price``).

    Request structs turn such fields into this type on construction, so the one request encoder
    writes them as strings while every other Decimal goes out as a JSON number.
    """

    __slots__ = ()


def as_str_decimal(value: Any) -> Any:
    """Decimal, int or decimal string -> StrDecimal; anything else is left for the checker to name."""
    if value is None or type(value) is StrDecimal:
        return value
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        try:
            return StrDecimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            return value
    return value


class TolerantEnum(str, Enum):
    """A status PayerMax may extend: an unknown value decodes to a member of its own (not final)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        return self._value_ in type(self)._value2member_map_

    def __str__(self) -> str:
        return str(self._value_)


_MASK = "***"


def _masked(value: Any) -> Any:
    """Free-form objects (``dict``-typed fields such as ``riskParams``) masked by wire name."""
    if isinstance(value, dict):
        return {k: _MASK if str(k).strip() in SENSITIVE else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _masked_repr(obj: msgspec.Struct, hidden: frozenset[str]) -> str:
    parts = []
    for name in obj.__struct_fields__:
        value = getattr(obj, name)
        if value is None:
            continue
        parts.append(f"{name}={_MASK if name in hidden else repr(_masked(value))}")
    return f"{type(obj).__name__}({', '.join(parts)})"


class WireRequest(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A request ``data`` object: PayerMax's names on the wire, absent fields left out."""

    __sensitive__: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        return _masked_repr(self, self.__sensitive__)


class WireResult(msgspec.Struct, omit_defaults=True, kw_only=True, frozen=True):
    """An answer or notification object: every field optional, unknown fields ignored.

    ``reconciled`` is not a wire field: it is True only on a result the client rebuilt from a
    query after ORDER_REPEAT (the lost first attempt had landed), see :func:`reconciled`.
    """

    __sensitive__: ClassVar[frozenset[str]] = frozenset()
    reconciled: ClassVar[bool] = False

    def __repr__(self) -> str:
        return _masked_repr(self, self.__sensitive__)


R = TypeVar("R", bound=WireResult)


@functools.cache
def _reconciled_class(cls: type[R]) -> type[R]:
    # Same name, same fields, same wire shape: only the class-level flag differs.
    return type(cls.__name__, (cls,), {"reconciled": True, "__module__": cls.__module__})


def reconciled(result: R) -> R:
    """``result`` marked as rebuilt from a query (``result.reconciled`` is True); the wire fields
    are untouched, so ``msgspec.to_builtins`` gives the same dict."""
    cls = _reconciled_class(type(result))
    marked: R = cls(**{name: getattr(result, name) for name in result.__struct_fields__})
    return marked


# The business ids of a notification's ``data``, in key order (Python names; absent ones skipped).
# The first five are 0.1's (PAYMENT, CAPTURE, CANCEL, REFUND, PAYOUT keys stay what they were, so a
# seen-store survives the upgrade); the rest identify the families typed since.
_EVENT_IDS = (
    "out_trade_no",
    "request_id",
    "capture_no",
    "cancel_no",
    "out_refund_no",
    "subscription_request_id",
    "subscription_no",
    "merchant_link_id",
    "payment_token_id",
    "case_id",
    "rfi_no",
    "request_no",  # a virtual account's receipt
    "related_trade_no",  # a balance movement
)
# Where a type keeps the state that a real change moves ("status" unless named here): without it, a
# subscription's second period or a link's expiry would look like a re-send of the first event.
_EVENT_STATE: dict[str, tuple[str, ...]] = {
    "PAYBYLINK": ("link_status", "pay_by_link_info[].out_trade_no", "pay_by_link_info[].status"),
    "SUBSCRIPTION": ("subscription_plan.subscription_status",),
    "SUBSCRIPTION_PAYMENT": (
        "subscription_payment_detail.subscription_index",
        "subscription_payment_detail.payment_status",
    ),
    "TOKENIZATION": ("payment_token_status",),
    "REPAYMENT_RECEIPT": ("trade_token", "pay_status"),
    # A fraud alert need not name an order: the payer and the trade's time tell two alerts apart.
    "FRAUD": ("out_user_id", "trade_create_time"),
    # One exchange moves two balances under one relatedTradeNo: the direction and currency differ.
    **dict.fromkeys(("DEPOSIT", "EXCHANGE", "WITHDRAW", "TRANSFER"), ("direction", "amount.currency")),
}
# A notification without a class of its own keeps its data as a dict: 0.1 keyed it by these.
_EVENT_WIRE_IDS = (
    "outTradeNo",
    "requestId",
    "captureNo",
    "cancelNo",
    "outRefundNo",
    "tradeNo",
    "subscriptionRequestId",
    "subscriptionNo",
    "merchantLinkId",
    "paymentTokenID",
    "caseId",
    "rfiNo",
)


class NotificationEnvelope(WireResult, kw_only=True, frozen=True):
    """What every typed notification shares beyond its fields: who it is for, and its event key."""

    @property
    def application_id(self) -> str | None:
        # Older notifications say merchantAppId where newer ones say appId.
        return getattr(self, "app_id", None) or getattr(self, "merchant_app_id", None)

    @property
    def idempotency_key(self) -> str:
        """Same event, same key: ``notifyType``, the business ids and the status.

        PayerMax re-sends a notification until it is acknowledged; a re-send yields the same key,
        while a real change (a SUCCESS payout turning BOUNCEBACK) yields a new one.
        """
        data = getattr(self, "data", None)
        notify_type = str(getattr(self, "notify_type", None) or "")
        parts = [notify_type]
        if isinstance(data, dict):
            for name in _EVENT_WIRE_IDS:
                if data.get(name) is not None:
                    parts.append(str(data[name]))
            states: list[Any] = [data.get("status")]
        else:
            parts.extend(str(v) for n in _EVENT_IDS if (v := getattr(data, n, None)) is not None)
            states = [_at(data, path) for path in _EVENT_STATE.get(notify_type, ("status",))]
        parts.extend(str(getattr(state, "value", state) or "") for state in states)
        return ":".join(parts)


def _at(obj: Any, path: str) -> Any:
    """The value at a dotted attribute path; ``name[].rest`` joins ``rest`` over a list's items."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = getattr(obj, head[:-2], None) or ()
        return ",".join(str(_at(item, rest) or "") for item in items)
    value = getattr(obj, head, None)
    return _at(value, rest) if rest else value


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, StrDecimal):
        return format(obj, "f")  # str() would write 1E+2
    raise TypeError(f"cannot encode {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(decimal_format="number", enc_hook=_enc_hook)
_EXACT = msgspec.json.Decoder(float_hook=Decimal)

#: The envelope's encoder: its ``data`` is already bytes from :func:`encode_request`. (The
#: encoder's own method, not a function around it: it runs once per attempt.)
encode_envelope: Callable[[Any], bytes] = _ENCODER.encode

# msgspec writes a Decimal as str() does: 1E+2 for Decimal("100").normalize(), 0E-7 for
# Decimal("0.0000000"), and 1e+2 under a decimal context with capitals=0. Such a number holds "E" or
# "e" followed by a sign; a string may too, and is skipped.
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"(:?)|(-?[0-9][0-9.]*[Ee][+-][0-9]+)')
_PLAIN_MAX = 64  # characters of a number written out; beyond that it is no amount


def encode_request(obj: Any) -> bytes:
    """A request's ``data`` as sent: Decimals as JSON numbers in plain positional digits (PayerMax
    reads ``100``, not ``1E+2``), StrDecimals as strings, never floats.

    The value is never changed, only how it is written (``1.50E+1`` goes out as ``15.0``). A body
    without a sign character costs two byte tests; the rewrite runs only where an exponent was written.
    """
    data = _ENCODER.encode(obj)
    # 43, 45: "+", "-" (a byte given as an int is one memchr; a bytes needle costs several times
    # more). Ids often hold "-" (UUIDs): then substring tests, not the regex engine entered cold.
    if (43 in data or 45 in data) and (b"E+" in data or b"E-" in data or b"e+" in data or b"e-" in data):
        return _positional(data)
    return data


def _positional(data: bytes) -> bytes:
    """Every number written with an exponent, in plain digits; strings (keys too) are passed over
    whole, so text that reads like a number is never touched."""
    key = ["data"]  # the field a number belongs to, for the error

    def plain(m: re.Match[bytes]) -> bytes:
        if m.group(3) is None:
            if m.group(2):
                key[0] = m.group(1).decode("utf-8", "replace")
            return m.group()
        value = Decimal(m.group(3).decode("ascii"))
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or abs(exponent) > _PLAIN_MAX:
            raise InvalidRequestError(f"{key[0]} is too large or too fine for plain digits", field=key[0])
        return format(value, "f").encode("ascii")

    return _TOKEN.sub(plain, data)


def to_wire(obj: Any) -> Any:
    """Builtins with PayerMax's names and shapes (what :func:`encode_request` would send)."""
    return _EXACT.decode(encode_request(obj))


# "2023-08-06T23:50:59 +0000": a space before the offset, which RFC 3339 has not. PayerMax's capture
# answers use it, so it is mended in the bytes (whole JSON strings only) before the fast decode.
_SPACED_OFFSET = re.compile(rb'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?) ([+-]\d\d:?\d\d)"')
_LOOSE_TIME = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)\s?([+-]\d\d:?\d\d|Z)?")


def decode_data(raw: bytes | msgspec.Raw, type_: type[T]) -> T:
    """Decode an answer's or notification's JSON into ``type_``, leniently.

    The fast path is one msgspec decode. Only when it fails does the slow path mend the shapes
    PayerMax also sends where a timestamp belongs (``""``, no zone = UTC, a spaced offset) and
    convert; a genuine problem still raises ``msgspec.ValidationError``.
    """
    data = bytes(raw)
    if data == b"null":
        # PayerMax answers some successes with "data": null (applyDDC's examples): every field absent
        data = b"{}"
    if b" " in data and (b" +" in data or b" -" in data):  # one memchr when there is no space at all
        data = _SPACED_OFFSET.sub(rb'"\1\2"', data)
    decoder = _DECODERS.get(type_)
    if decoder is None:
        decoder = _DECODERS[type_] = msgspec.json.Decoder(type_, strict=False)
    try:
        return cast(T, decoder.decode(data))
    except msgspec.ValidationError:
        return convert_data(_EXACT.decode(data), type_)


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}  # one per result type: built once, not per answer


def convert_data(obj: Any, type_: type[T]) -> T:
    """Builtins (numbers exact) -> ``type_``, with the timestamp shapes mended where the type has one."""
    paths = _time_paths(type_)  # type: ignore[arg-type]  # struct classes are hashable
    return msgspec.convert(_mend(obj, paths), type_, strict=False)


_Paths = dict[str, Any]  # wire name -> True (a timestamp here) or the paths below it


def _mend(value: Any, paths: _Paths) -> Any:
    if not paths:
        return value
    if isinstance(value, list):
        return [_mend(v, paths) for v in value]
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, below in paths.items():
        if name not in out:
            continue
        if below is True:
            out[name] = _mend_time(out[name])
        else:
            out[name] = _mend(out[name], below)
    return out


def _mend_time(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, str):
        m = _LOOSE_TIME.fullmatch(value.strip())
        if m:
            return f"{m.group(1)}T{m.group(2)}{m.group(3) or 'Z'}"
    return value


@functools.cache
def _time_paths(type_: Any) -> _Paths:
    return _paths_of(msgspec.inspect.type_info(type_), set())


def _paths_of(info: msgspec.inspect.Type, seen: set[Any]) -> _Paths:
    if isinstance(info, msgspec.inspect.UnionType):
        found: _Paths = {}
        for t in info.types:
            found.update(_paths_of(t, seen))
        return found
    if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)):
        return _paths_of(info.item_type, seen)
    if not isinstance(info, msgspec.inspect.StructType) or info.cls in seen:
        return {}
    seen = seen | {info.cls}
    paths: _Paths = {}
    for f in info.fields:
        if _is_time(f.type):
            paths[f.encode_name] = True
        else:
            below = _paths_of(f.type, seen)
            if below:
                paths[f.encode_name] = below
    return paths


def _is_time(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_is_time(t) for t in info.types)
    return isinstance(info, msgspec.inspect.DateTimeType)
