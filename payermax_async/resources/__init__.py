"""The API families beyond the core flows, one namespace each on the client.

``client.payments`` (confirmPayment, applyDDC), ``client.dropin``, ``client.tokens``,
``client.payment_links``, ``client.subscriptions``, ``client.disputes``, ``client.balances``,
``client.fx``, ``client.risk``, ``client.bill_payments``, ``client.payouts`` (payee field checks).
The core flows stay flat on the client (``client.capture``, ``client.refund``, ...).
"""

from ._base import Resource
from .balances import Balances
from .bill_payments import BillPayments
from .disputes import Disputes
from .dropin import Dropin
from .fx import Fx
from .links import PaymentLinks
from .payments import Payments
from .payouts import Payouts
from .risk import Risk
from .subscriptions import Subscriptions
from .tokens import Tokens

__all__ = [
    "Balances",
    "BillPayments",
    "Disputes",
    "Dropin",
    "Fx",
    "PaymentLinks",
    "Payments",
    "Payouts",
    "Resource",
    "Risk",
    "Subscriptions",
    "Tokens",
]
