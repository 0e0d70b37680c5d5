"""An embedded PayerMax gateway: a stateful simulator on 127.0.0.1 with faults on demand.

``async with GatewaySimulator() as sim: client = sim.client()`` gives a test a real gateway and a
client wired to it, with fresh keys and no network. The pytest plugin (``payermax_simulator``
fixture) lives in :mod:`payermax_async.testing.plugin`.
"""

from .faults import Fault, FaultKind
from .gateway.flows.books import Cancel, Capture, Happening, Order, Payout, Refund
from .raw import RawAnswer, RawCaller
from .records import DeliveryAttempt, Event, NotificationRecord, RequestRecord
from .simulator import GatewaySimulator
from .thread import SimulatorThread

__all__ = [
    "Cancel",
    "Capture",
    "DeliveryAttempt",
    "Event",
    "Fault",
    "Happening",
    "FaultKind",
    "GatewaySimulator",
    "NotificationRecord",
    "Order",
    "Payout",
    "RawAnswer",
    "RawCaller",
    "Refund",
    "RequestRecord",
    "SimulatorThread",
]
