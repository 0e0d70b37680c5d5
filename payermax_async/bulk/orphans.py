"""A worker process never outlives the parent that reads its outcomes.

Without its parent nobody records what a worker captures, and a parent killed with SIGKILL (or
by the OOM killer) runs no cleanup of its own; so each worker watches for it itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["die_with_parent", "stop_hooks"]

_POLL = 0.2
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_ORPHAN_GRACE = 5.0  # seconds an orphaned worker gets to flush its journal before it is ended
_ORPHAN_EXIT = 70


def die_with_parent(parent_pid: int, outbox: Any) -> None:
    """A worker must never capture headless: without its parent nobody records its outcomes, and
    a parent killed with SIGKILL (or by the OOM killer) runs no cleanup of its own.

    On Linux the kernel sends SIGTERM when the parent dies (which cancels the run, as a stop does);
    everywhere, a watchdog thread polls the parent's pid, stops the run, and if the worker is still
    there after a grace period (blocked on a pipe nobody reads), ends it outright. The journal
    already holds every reservation, so a re-run replays what was in flight.
    """
    if multiprocessing.parent_process() is None:  # called in-process (tests): nothing to watch
        return
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # died before the signal was armed
        os._exit(_ORPHAN_EXIT)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_POLL)
        outbox.cancel_join_thread()  # nobody reads it any more: exiting must not wait on it
        with contextlib.suppress(Exception):
            _stop_current_run()
        time.sleep(_ORPHAN_GRACE)
        os._exit(_ORPHAN_EXIT)

    threading.Thread(target=watch, name="payermax-parent-watch", daemon=True).start()


#: how a worker stops its own run from another thread; set while the run's loop is alive
stop_hooks: list[Callable[[], None]] = []


def _stop_current_run() -> None:
    for stop in list(stop_hooks):
        stop()
