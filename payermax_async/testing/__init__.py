"""An embedded PayerMax gateway: a stateful simulator on 127.0.0.1 with faults on demand.

``async with GatewaySimulator() as sim: client = sim.client()`` gives a test a real gateway and a
client wired to it, with fresh keys and no network. The pytest plugin (``payermax_simulator``
fixture) lives in :mod:`payermax_async.testing.plugin`.
"""

from .faults import Fault, FaultKind
from .records import DeliveryAttempt, Event, NotificationRecord, RequestRecord
from .simulator import GatewaySimulator
from .state import Cancel, Capture, Order, Payout, Refund
from .thread import SimulatorThread

__all__ = [
    "Cancel",
    "Capture",
    "DeliveryAttempt",
    "Event",
    "Fault",
    "FaultKind",
    "GatewaySimulator",
    "NotificationRecord",
    "Order",
    "Payout",
    "Refund",
    "RequestRecord",
    "SimulatorThread",
]
