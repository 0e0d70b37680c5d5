"""The cost of building and checking one capture request, and of decoding its answer, on the
generated wire (``types`` + ``endpoints``), in microseconds per call (best of several repeats).
(The hand-written ``models`` it was first compared with are gone since 0.2.)

Run: ``python benchmarks/bench_validate.py`` (a few seconds).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from decimal import Decimal

from _server import CAPTURE_RESPONSE

from payermax_async._envelope import decode_envelope
from payermax_async.endpoints import ENDPOINTS
from payermax_async.types import CaptureRequest, CaptureResult
from payermax_async.types._base import decode_data

AMOUNT = Decimal("10.00")
CHECK_CAPTURE = ENDPOINTS["capture"].check
DATA = bytes(decode_envelope(CAPTURE_RESPONSE).data)


def new_build() -> object:
    data = CaptureRequest(
        request_id="0123456789abcdef0123456789abcdef",
        out_trade_no="ORD_0000001",
        currency="USD",
        amount=AMOUNT,
    )
    CHECK_CAPTURE(data)
    return data


def new_decode() -> object:
    return decode_data(DATA, CaptureResult)


def best_us(fn: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    rows = [
        ("capture request build + validate", best_us(new_build)),
        ("capture answer decode", best_us(new_decode)),
    ]
    for name, us in rows:
        print(f"{name:36} {us:7.2f} µs")


if __name__ == "__main__":
    main()
