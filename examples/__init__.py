"""Runnable example services built on payermax_async."""
