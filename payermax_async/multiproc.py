"""Moved to :mod:`payermax_async.bulk.processes` (and ``ClientSpec`` to :mod:`payermax_async.client`);
this name stays importable."""

from .bulk.processes import WorkerProcessError, capture_many_processes, partition
from .client import ClientSpec

__all__ = ["ClientSpec", "WorkerProcessError", "capture_many_processes", "partition"]
