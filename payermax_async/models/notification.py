"""The notification base under its 0.1 name; the types themselves live in :mod:`payermax_async.types`."""

from ..types._base import NotificationEnvelope as NotificationBase

__all__ = ["NotificationBase"]
