"""Waking the first of a line of futures: what the pool's slots and the bulk outcome box share."""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["wake_first"]


def wake_first(waiters: deque[asyncio.Future[None]]) -> bool:
    """Resolve the first future still waiting (those cancelled meanwhile are dropped); False if none."""
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return True
    return False
