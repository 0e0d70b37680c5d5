"""Many captures: bounded, streamed, rate-limited, one outcome per item, safe to re-run.

The package depends only on a small :class:`CaptureClient` protocol (an object with
``PayerMaxClient.capture``'s shape), never on the client module itself:

- :mod:`.engine`: ``capture_many`` (long-lived workers, bounded queues, rate limit); :mod:`.intake`
  reads and checks its input
- :mod:`.journal`: the SQLite journal (a request_id is durable before its first byte)
- :mod:`.processes`: the same run over worker processes, one event loop per core
- :mod:`.outcomes`: what became of each item; :mod:`.codec`: its one flat encoding
- :mod:`.rate`: captures started at an even rate
"""

from .engine import CaptureClient, capture_many
from .journal import Journal, JournalError
from .outcomes import CaptureItem, CaptureOutcome, OutcomeStatus, outcome_status
from .processes import WorkerProcessError, capture_many_processes
from .rate import RateLimiter

__all__ = [
    "CaptureClient",
    "CaptureItem",
    "CaptureOutcome",
    "Journal",
    "JournalError",
    "OutcomeStatus",
    "RateLimiter",
    "WorkerProcessError",
    "capture_many",
    "capture_many_processes",
    "outcome_status",
]
