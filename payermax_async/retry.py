"""Retry policy: which failures are retried, how long to wait, and how much retrying a client may do.

Every retry in this library is a replay with the same business id, which PayerMax deduplicates;
that is what makes retrying a *maybe sent* capture safe. What is never retried is whatever a replay
cannot fix: bad input, configuration, business refusals. What each gateway code means is
:mod:`payermax_async.codes`; this module adds the transport-level failures around it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from ._log import logger
from .codes import FailureKind, describe
from .errors import (
    ApiError,
    MalformedResponseError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
    TransportError,
)

__all__ = [
    "FailureKind",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "classify",
    "parse_retry_after",
    "plan_retry",
]


def classify(exc: BaseException) -> FailureKind:
    """What a replay under the same id can do about ``exc``. Only verified answers can be final:
    anything unsigned may have been written by an intermediary after it forwarded the request."""
    if isinstance(exc, TransportError):
        return FailureKind.NOT_SENT
    if isinstance(exc, MalformedResponseError):
        # PayerMax's own signed answer that does not decode fails the same way on every replay.
        return FailureKind.FATAL if exc.verified else FailureKind.MAYBE_SENT
    if isinstance(exc, (ResponseLostError, SignatureError)):
        # An answer we cannot verify is no answer: the replay (same id) asks again, and the
        # unverified body is never trusted either way.
        return FailureKind.MAYBE_SENT
    if isinstance(exc, ApiError):
        kind = describe(exc.code).kind
        if kind is not FailureKind.FATAL:
            return kind
        if exc.http_status == 429:  # signed: PayerMax itself turned it away unprocessed
            return FailureKind.NOT_SENT
        if exc.http_status is not None and exc.http_status >= 500:
            return FailureKind.MAYBE_SENT
    return FailureKind.FATAL


class RetryBudget:
    """A token bucket shared by every call of one client, in the manner of botocore's standard mode.

    Each retry spends tokens and each first-try success refunds one, so a healthy gateway never
    notices the budget, while against a failing one a bulk run of thousands of calls stops
    retrying after ``capacity / retry_cost`` retries and fails fast instead of multiplying load.
    """

    __slots__ = ("_tokens", "capacity", "retry_cost", "success_refund", "timeout_cost")

    def __init__(
        self,
        capacity: int = 500,
        retry_cost: int = 5,
        timeout_cost: int = 10,
        success_refund: int = 1,
    ) -> None:
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self.success_refund = success_refund
        self._tokens = capacity

    @property
    def tokens(self) -> int:
        return self._tokens

    def try_acquire(self, *, timeout: bool) -> int:
        """Spend a retry's cost; returns what was spent (to refund later) or 0 when exhausted."""
        cost = self.timeout_cost if timeout else self.retry_cost
        if cost > self._tokens:
            return 0
        self._tokens -= cost
        return cost

    def refund(self, amount: int) -> None:
        self._tokens = min(self.capacity, self._tokens + amount)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """What an ``on_retry`` hook sees before each retry: enough to log, meter or alert on."""

    operation: str
    ids: dict[str, str]
    attempt: int  # the attempt that just failed, from 1
    kind: FailureKind
    reason: str
    delay: float  # seconds until the next attempt


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one call retries. ``deadline`` bounds the whole call, attempts and waits together."""

    max_retries: int = 2
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    retry_after_cap: float = 30.0
    deadline: float | None = 60.0
    budget_capacity: int = 500
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_cap < 0:
            raise ValueError("backoff values must be >= 0")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be > 0 or None")

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Full jitter over a capped exponential; a server's Retry-After wins, up to the cap.

        ``retry_number`` counts from 1 for the first retry.
        """
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (retry_number - 1)))
        return self.rng.uniform(0, ceiling)


def plan_retry(
    policy: RetryPolicy,
    budget: RetryBudget,
    exc: PayerMaxError,
    attempt: int,
    retries_allowed: int,
    time_left: float | None,
) -> tuple[float, int] | None:
    """(delay, budget tokens spent) before the next attempt, or None when the call may not retry:
    out of attempts, the wait would outlast its deadline (``time_left`` seconds; None: no deadline),
    or the client's retry budget is spent. Asked only about failures a replay may fix."""
    delay = policy.delay(attempt, exc.retry_after)
    if attempt > retries_allowed:
        return None
    if time_left is not None and delay >= time_left:
        return None
    cost = budget.try_acquire(timeout=isinstance(exc, ResponseLostError))
    if cost == 0:
        logger.warning("retry budget exhausted, not retrying %s", exc.operation)
        return None
    return delay, cost


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or junk."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
