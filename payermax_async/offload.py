"""Moved to :mod:`payermax_async.signing_thread`; this name stays importable."""

from .signing_thread import ThreadedSigner, bulk_signer

__all__ = ["ThreadedSigner", "bulk_signer"]
