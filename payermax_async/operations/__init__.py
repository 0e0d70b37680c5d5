"""The typed operations of :class:`~payermax_async.PayerMaxClient`, one module per API family.

Each family is a set of thin methods (validate the input, build the typed request, name the
:class:`~payermax_async._pipeline.Operation`) that :class:`PayerMaxClient` inherits, so they stay flat
on the client: ``client.refund(...)``, not ``client.refunds.create(...)``.
"""

from .auth_capture import AuthCaptureMethods
from .orders import OrderMethods
from .payouts import PayoutMethods
from .refunds import RefundMethods

__all__ = ["AuthCaptureMethods", "OrderMethods", "PayoutMethods", "RefundMethods"]
