"""The flat typed methods of :class:`~payermax_async.PayerMaxClient`: the core flows.

They are thin methods (build the typed request, send it through ``OperationsBase._send``) that
:class:`PayerMaxClient` inherits, so they stay flat on the client: ``client.refund(...)``, not
``client.refunds.create(...)``. All are generated into ``flat.py`` from ``METHODS`` in
tools/gen_tables.py, except capture (``auth_capture.py``), the hot path of bulk runs.
"""

from .auth_capture import AuthCaptureMethods
from .flat import FlatMethods

__all__ = ["AuthCaptureMethods", "FlatMethods"]
