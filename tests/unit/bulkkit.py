"""A scripted stand-in for the client in the bulk engine's unit tests: it honours the
CaptureClient protocol and answers each order as the test says."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from payermax_async.bulk import CaptureItem, CaptureOutcome, capture_many
from payermax_async.types import CaptureResult, CaptureStatus

__all__ = ["Behaviour", "FakeClient", "collect", "items", "result", "succeed"]

Behaviour = Callable[[str, str], CaptureResult | BaseException]


def result(
    out_trade_no: str, request_id: str, status: CaptureStatus = CaptureStatus.SUCCESS
) -> CaptureResult:
    return CaptureResult(
        capture_no=f"CAP-{out_trade_no}",
        request_id=request_id,
        out_trade_no=out_trade_no,
        amount=Decimal("10.00"),
        currency="USD",
        status=status,
        is_final=status is not CaptureStatus.PENDING,
    )


def succeed(out_trade_no: str, request_id: str) -> CaptureResult:
    return result(out_trade_no, request_id)


class FakeClient:
    """Answers each capture as ``behave`` says, after ``delay()`` seconds; records what it saw."""

    def __init__(self, behave: Behaviour = succeed, delay: Callable[[], float] = lambda: 0.0) -> None:
        self.behave = behave
        self.delay = delay
        self.calls: list[tuple[str, Decimal | int | str, str, str | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.tasks: set[asyncio.Task[object] | None] = set()
        self.cancelled = 0

    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
    ) -> CaptureResult:
        assert request_id is not None  # the engine always chooses the id itself
        self.calls.append((out_trade_no, amount, currency, request_id))
        self.tasks.add(asyncio.current_task())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay())
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        answer = self.behave(out_trade_no, request_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def request_ids(self) -> dict[str, str]:
        return {otn: rid for otn, _, _, rid in self.calls if rid is not None}


def items(n: int, prefix: str = "ORD") -> list[CaptureItem]:
    return [CaptureItem(f"{prefix}_{i}", "10.00", "USD") for i in range(n)]


async def collect(client: FakeClient, source: object, **kwargs: object) -> list[CaptureOutcome]:
    return [o async for o in capture_many(client, source, **kwargs)]  # type: ignore[arg-type]
