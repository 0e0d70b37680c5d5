"""What the simulator saw and did, kept for a test's assertions.

Records hold raw bytes as they crossed the wire, so a test can check the very body that was
signed. They live in memory for the life of one simulator; nothing is written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .faults import Fault
from .gateway.flows.books import Happening as Event
from .wire import decode_json

__all__ = ["DeliveryAttempt", "Event", "NotificationRecord", "RequestRecord"]


@dataclass(slots=True)
class RequestRecord:
    """One HTTP request that reached the gateway, and what was done with it."""

    api_name: str
    body: bytes
    headers: dict[str, str]
    received_at: float  # the gateway's clock (skew included)
    data: Any = None  # the parsed ``data`` object, when the body parsed
    request_time: str | None = None
    #: the response ``code``; None when no JSON answer was sent (dropped, 5xx, malformed)
    code: str | None = None
    http_status: int | None = None  # None when the connection was dropped
    fault: Fault | None = None
    processed: bool = False  # the ledger acted on it (state may have changed)
    response_body: bytes | None = None

    @property
    def out_trade_no(self) -> str | None:
        value = self.data.get("outTradeNo") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try at delivering a notification, so a test can see retries and what your handler answered."""

    at: float
    http_status: int | None  # None: no answer (refused, timed out)
    body: bytes
    error: str | None = None


@dataclass(slots=True)
class NotificationRecord:
    """One notification and every attempt to deliver it."""

    notify_type: str
    url: str
    body: bytes
    sign: str
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    delivered: bool = False
    finished: bool = False  # delivered, or every scheduled attempt made
    #: seconds to wait before each attempt (PayerMax's re-send schedule, as scaled for the test)
    schedule: tuple[float, ...] = ()

    @property
    def out_trade_no(self) -> str | None:
        data = decode_json(self.body).get("data")
        value = data.get("outTradeNo") if isinstance(data, dict) else None
        return value if isinstance(value, str) else None
