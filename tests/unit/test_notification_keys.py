"""A notification's event key: the same for PayerMax's re-send of one event, new for a real change.

Built from PayerMax's own example of each type (the test kit's ``make_notification``), so the keys
are checked on the shapes PayerMax sends, not on ones we made up.
"""

from __future__ import annotations

from typing import Any

import pytest

from payermax_async import Notification, WebhookVerifier
from payermax_async.testing import GatewaySimulator
from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.notifications import make_notification

CALLBACKS = Facts.load().notify_types()


@pytest.fixture(scope="module")
def sim() -> GatewaySimulator:
    return GatewaySimulator()


def parse(
    sim: GatewaySimulator, notify_type: str, data: dict[str, Any] | None = None, **kw: Any
) -> Notification:
    verifier = WebhookVerifier(sim.payermax_public_key, max_age=None)
    return verifier.parse(*make_notification(notify_type, data, simulator=sim, **kw))


@pytest.mark.parametrize("callback", sorted(CALLBACKS))
def test_a_resend_keeps_its_key(sim: GatewaySimulator, callback: str) -> None:
    notify_type = CALLBACKS[callback]
    first = parse(sim, notify_type, callback=callback, notify_time=1_700_000_000)
    resent = parse(sim, notify_type, callback=callback, notify_time=1_700_000_600)
    assert first.idempotency_key == resent.idempotency_key


@pytest.mark.parametrize(
    ("notify_type", "before", "after"),
    [
        # the second period of a subscription is a new payment, not a re-send of the first
        (
            "SUBSCRIPTION_PAYMENT",
            {"subscriptionPaymentDetail": {"subscriptionIndex": 0, "paymentStatus": "SUCCESS"}},
            {"subscriptionPaymentDetail": {"subscriptionIndex": 1, "paymentStatus": "SUCCESS"}},
        ),
        (
            "SUBSCRIPTION",
            {"subscriptionPlan": {"subscriptionNo": "S1", "subscriptionStatus": "ACTIVE"}},
            {"subscriptionPlan": {"subscriptionNo": "S1", "subscriptionStatus": "CANCEL"}},
        ),
        # a link paid twice, and a link that expires
        (
            "PAYBYLINK",
            {"payByLinkInfo": [{"outTradeNo": "ORD_1", "status": "SUCCESS"}]},
            {
                "payByLinkInfo": [
                    {"outTradeNo": "ORD_1", "status": "SUCCESS"},
                    {"outTradeNo": "ORD_2", "status": "SUCCESS"},
                ]
            },
        ),
        ("PAYBYLINK", {"linkStatus": "active"}, {"linkStatus": "expired"}),
        # two receipts into one virtual account
        ("RECEIVE", {"requestNo": "R1"}, {"requestNo": "R2"}),
        ("TOKENIZATION", {"paymentTokenStatus": "Activated"}, {"paymentTokenStatus": "Deleted"}),
        ("REPAYMENT_RECEIPT", {"tradeToken": "T1"}, {"tradeToken": "T2"}),
        ("DISPUTE", {"caseId": "C1"}, {"caseId": "C2"}),
        ("PAYOUT", {"status": "SUCCESS"}, {"status": "BOUNCEBACK"}),
    ],
)
def test_a_real_change_gets_a_new_key(
    sim: GatewaySimulator, notify_type: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    assert parse(sim, notify_type, before).idempotency_key != parse(sim, notify_type, after).idempotency_key
