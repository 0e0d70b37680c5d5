"""The cost of building and checking one capture request, and of decoding its answer: today's
hand-written path (``validation.check_*`` + ``models``) next to the generated one (``types`` +
``endpoints``), in microseconds per call, measured in one run (best of several repeats).

Run: ``python benchmarks/bench_validate.py`` (a few seconds).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from decimal import Decimal

from _server import CAPTURE_RESPONSE
from payermax_async.models.capture import CaptureRequest as OldCaptureRequest
from payermax_async.models.capture import CaptureResult as OldCaptureResult
from payermax_async.models.common import decode_envelope, decode_model

from payermax_async.endpoints import ENDPOINTS
from payermax_async.types import CaptureRequest, CaptureResult
from payermax_async.types._base import decode_data, encode_request
from payermax_async.validation import check_amount, check_currency, check_id

AMOUNT = Decimal("10.00")
CHECK_CAPTURE = ENDPOINTS["capture"].check
DATA = bytes(decode_envelope(CAPTURE_RESPONSE).data)


def old_build() -> object:
    check_id("ORD_0000001", "out_trade_no")
    currency = check_currency("USD")
    value = check_amount(AMOUNT, currency)
    request_id = check_id("0123456789abcdef0123456789abcdef", "request_id", strict_charset=False)
    return OldCaptureRequest(
        request_id=request_id, out_trade_no="ORD_0000001", currency=currency, amount=value
    )


def new_build() -> object:
    data = CaptureRequest(
        request_id="0123456789abcdef0123456789abcdef",
        out_trade_no="ORD_0000001",
        currency="USD",
        amount=AMOUNT,
    )
    CHECK_CAPTURE(data)
    return data


def old_decode() -> object:
    return decode_model(DATA, OldCaptureResult)


def new_decode() -> object:
    return decode_data(DATA, CaptureResult)


def best_us(fn: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    assert encode_request(new_build()) == encode_request(old_build())  # same bytes on the wire
    rows = [
        ("capture request build + validate", best_us(old_build), best_us(new_build)),
        ("capture answer decode", best_us(old_decode), best_us(new_decode)),
    ]
    print(f"{'':36} {'hand-written':>12} {'generated':>10}")
    for name, old, new in rows:
        print(f"{name:36} {old:9.2f} µs {new:7.2f} µs")


if __name__ == "__main__":
    main()
