"""The typed operations of :class:`~payermax_async.PayerMaxClient`, one module per API family.

Each family is a set of thin methods (validate the input, build the typed request, name the
:class:`~payermax_async._pipeline.Operation`) that :class:`PayerMaxClient` inherits, so they stay flat
on the client: ``client.refund(...)``, not ``client.refunds.create(...)``. The hand-written ones are
those with logic of their own (reconciling a lost answer, the capture hot path); the ones that only
build their request and send it (queries, close, cancel) are generated into ``simple.py``.
"""

from .auth_capture import AuthCaptureMethods
from .orders import OrderMethods
from .payouts import PayoutMethods
from .refunds import RefundMethods
from .simple import SimpleMethods

__all__ = ["AuthCaptureMethods", "OrderMethods", "PayoutMethods", "RefundMethods", "SimpleMethods"]
