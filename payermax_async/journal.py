"""Moved to :mod:`payermax_async.bulk.journal`; this name stays importable."""

from .bulk.journal import *  # noqa: F403
from .bulk.journal import __all__ as __all__
