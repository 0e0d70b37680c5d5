"""Faults on demand: what goes wrong, for which requests, and how often.

A client's retry logic is only as good as the failures it was tested against, so every fault here
mirrors something a real gateway or the network in front of it does. Whether the gateway acted on
the request before the failure is part of the fault (``processed``): that is the difference between
a retry that must be deduplicated and one that is simply a second try.

Selection is deterministic: each fault draws from its own ``random.Random(seed)``, once per
matching request, so the same sequence of requests always meets the same faults.
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass

__all__ = ["Fault", "FaultInjector", "FaultKind"]


class FaultKind(str, enum.Enum):
    """What the simulator can do wrong, each a failure a real network or gateway produces."""

    #: process the request, then close the connection without answering
    DROP_AFTER_PROCESS = "drop_after_process"
    #: close the connection without answering and without processing
    DROP_BEFORE_PROCESS = "drop_before_process"
    #: process, wait ``delay`` seconds (past the client's timeout), then answer
    DELAY = "delay"
    #: an HTML 502/503 from "a load balancer"; not processed unless ``processed=True``
    HTTP_5XX = "http_5xx"
    #: a signed ``SYSTEM_ERROR`` answer; not processed unless ``processed=True``
    SYSTEM_ERROR = "system_error"
    #: a signed ``TOO_MANY_REQUEST`` answer (HTTP 429 unless told) with ``Retry-After``; never processed
    TOO_MANY_REQUEST = "too_many_request"
    #: process, answer HTTP 200 with a truncated, unsigned body
    MALFORMED = "malformed"
    #: process, answer the real body without a ``sign`` header
    UNSIGNED = "unsigned"
    #: process, answer the real body with a signature over other bytes
    BAD_SIGNATURE = "bad_signature"


_PROCESSED_BY_DEFAULT: dict[FaultKind, bool] = {
    FaultKind.DROP_AFTER_PROCESS: True,
    FaultKind.DROP_BEFORE_PROCESS: False,
    FaultKind.DELAY: True,
    FaultKind.HTTP_5XX: False,
    FaultKind.SYSTEM_ERROR: False,
    FaultKind.TOO_MANY_REQUEST: False,
    FaultKind.MALFORMED: True,
    FaultKind.UNSIGNED: True,
    FaultKind.BAD_SIGNATURE: True,
}

DEFAULT_DELAY = 10.0


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault rule. Each rule counts the requests it matches, in arrival order.

    - ``api_name``: only this operation (``None``: any).
    - ``out_trade_no``: only requests whose ``data.outTradeNo`` is this.
    - ``skip``: let this many matching requests through first (``skip=1, times=1``: fail the second).
    - ``times``: fire at most this often; when omitted, once, or without limit if ``probability``
      is given.
    - ``probability`` / ``seed``: fire on a seeded coin toss per matching request.
    - ``processed``: whether the gateway acts on the request before failing; ``None`` takes the
      kind's default (see :class:`FaultKind`). ``TOO_MANY_REQUEST`` is never processed.
    - ``delay``: seconds, for ``DELAY`` (default 10 s, past any sensible test timeout).
    - ``http_status``: for ``HTTP_5XX`` (default 502) and ``TOO_MANY_REQUEST`` (default 429; 200
      sends the code in an ordinary answer).
    - ``retry_after``: the ``Retry-After`` seconds sent with ``TOO_MANY_REQUEST`` (``None``: none).
    """

    kind: FaultKind
    api_name: str | None = None
    times: int | None = None
    probability: float | None = None
    seed: int = 0
    skip: int = 0
    out_trade_no: str | None = None
    processed: bool | None = None
    delay: float | None = None
    http_status: int | None = None
    retry_after: float | None = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FaultKind):
            object.__setattr__(self, "kind", FaultKind(self.kind))
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 (or None)")
        if self.probability is not None and not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        if self.skip < 0:
            raise ValueError("skip must be >= 0")
        if self.delay is not None and self.delay < 0:
            raise ValueError("delay must be >= 0")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be >= 0 (or None)")
        if self.kind is FaultKind.TOO_MANY_REQUEST and self.processed:
            raise ValueError("a rate-limited request is never processed")
        status = self.http_status
        if status is not None:
            if self.kind is FaultKind.HTTP_5XX and not 500 <= status <= 599:
                raise ValueError("http_status for HTTP_5XX must be 5xx")
            if self.kind is FaultKind.TOO_MANY_REQUEST and status not in (200, 429):
                raise ValueError("http_status for TOO_MANY_REQUEST must be 429 or 200")

    @property
    def is_processed(self) -> bool:
        """Whether the gateway acts on a request that meets this fault."""
        return _PROCESSED_BY_DEFAULT[self.kind] if self.processed is None else self.processed

    @property
    def limit(self) -> int | None:
        if self.times is not None:
            return self.times
        return None if self.probability is not None else 1

    @property
    def delay_seconds(self) -> float:
        return DEFAULT_DELAY if self.delay is None else self.delay

    @property
    def status(self) -> int:
        if self.http_status is not None:
            return self.http_status
        return 429 if self.kind is FaultKind.TOO_MANY_REQUEST else 502


class _Armed:
    __slots__ = ("fault", "fired", "rng", "seen")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.rng = random.Random(fault.seed)
        self.seen = 0
        self.fired = 0


class FaultInjector:
    """The active fault rules; of those that would fire, the first injected wins the request."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()  # inject() may come from a test's thread

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(_Armed(fault))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return [a.fault for a in self._armed]

    def pick(self, api_name: str, out_trade_no: str | None) -> Fault | None:
        """The fault for this request, if any.

        Every matching rule counts the request and tosses its coin, even when an earlier rule
        wins it: each rule's ``skip`` and random stream then depend only on the requests it
        matches, not on what the other rules did.
        """
        chosen: Fault | None = None
        with self._lock:
            for armed in list(self._armed):
                fault = armed.fault
                if fault.api_name is not None and fault.api_name != api_name:
                    continue
                if fault.out_trade_no is not None and fault.out_trade_no != out_trade_no:
                    continue
                armed.seen += 1
                if armed.seen <= fault.skip:
                    continue
                if fault.probability is not None and armed.rng.random() >= fault.probability:
                    continue
                if chosen is not None:
                    continue
                chosen = fault
                armed.fired += 1
                limit = fault.limit
                if limit is not None and armed.fired >= limit:
                    self._armed.remove(armed)
        return chosen
