"""An embedded PayerMax gateway: a stateful simulator on 127.0.0.1 with faults on demand.

``async with GatewaySimulator() as sim: client = sim.client()`` gives a test a real gateway and a
client wired to it, with fresh keys and no network. The pytest plugin (``payermax_simulator``
fixture) lives in :mod:`payermax_async.testing.plugin`.

Public names load on first use (PEP 562), so that importing one submodule, or the pytest
plugin, does not import the whole library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _lazy

if TYPE_CHECKING:
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

# each public name -> the submodule that defines it
_LAZY: dict[str, str] = {
    "Fault": ".faults",
    "FaultKind": ".faults",
    "Cancel": ".gateway.flows.books",
    "Capture": ".gateway.flows.books",
    "Order": ".gateway.flows.books",
    "Payout": ".gateway.flows.books",
    "Refund": ".gateway.flows.books",
    "Happening": ".gateway.flows.books",
    "RawAnswer": ".raw",
    "RawCaller": ".raw",
    "DeliveryAttempt": ".records",
    "Event": ".records",
    "NotificationRecord": ".records",
    "RequestRecord": ".records",
    "GatewaySimulator": ".simulator",
    "SimulatorThread": ".thread",
}


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY, globals(), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
