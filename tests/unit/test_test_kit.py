"""The test kit as a merchant's own test suite uses it: signed notifications for a handler's unit
tests, and a pytest plugin that costs nothing until its fixture is used."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from payermax_async import (
    ACK_BODY,
    CaptureNotification,
    CaptureStatus,
    GenericNotification,
    Notification,
    NotificationType,
    PaymentNotification,
    SignatureError,
    WebhookVerifier,
)
from payermax_async.testing import GatewaySimulator
from payermax_async.testing.gateway.facts import Facts
from payermax_async.testing.notifications import make_notification
from payermax_async.types.notifications import CaptureNotificationData


@pytest.fixture(scope="module")
def sim() -> GatewaySimulator:
    return GatewaySimulator()  # keys and ids only: never started, no socket


def handle(verifier: WebhookVerifier, body: bytes, sign: str | None, paid: list[str]) -> bytes:
    """A merchant's handler, as the README's webhook section writes it."""
    notification: Notification = verifier.parse(body, sign)
    if isinstance(notification, PaymentNotification) and notification.data is not None:
        paid.append(str(notification.data.out_trade_no))
    return ACK_BODY


def test_a_users_handler_tested_with_signed_notifications(sim: GatewaySimulator) -> None:
    verifier = WebhookVerifier(sim.payermax_public_key, app_id=sim.app_id, merchant_no=sim.merchant_no)
    data = {"outTradeNo": "ORD_7", "totalAmount": Decimal("12.50"), "currency": "USD", "status": "SUCCESS"}
    body, sign = make_notification(NotificationType.PAYMENT, data, simulator=sim)
    paid: list[str] = []
    assert handle(verifier, body, sign, paid) == ACK_BODY and paid == ["ORD_7"]
    with pytest.raises(SignatureError):
        handle(verifier, body + b" ", sign, paid)  # not the bytes that were signed
    with pytest.raises(SignatureError):
        handle(verifier, body, None, paid)


@pytest.mark.parametrize("callback", sorted(Facts.load().notify_types()))
def test_every_documented_notify_type_arrives_typed(sim: GatewaySimulator, callback: str) -> None:
    """PayerMax's own example for each callback, built, signed and parsed: the client has a type
    for every notification PayerMax documents, and reads PayerMax's example of it."""
    notify_type = Facts.load().notify_types()[callback]
    verifier = WebhookVerifier(sim.payermax_public_key, app_id=sim.app_id, merchant_no=sim.merchant_no)
    notification = verifier.parse(*make_notification(notify_type, simulator=sim, callback=callback))
    assert not isinstance(notification, GenericNotification)
    assert notification.notify_type == notify_type and notification.data is not None
    assert not isinstance(notification.data, dict)


def test_a_struct_for_data_and_an_undocumented_type(sim: GatewaySimulator) -> None:
    verifier = WebhookVerifier(sim.payermax_public_key)
    data = CaptureNotificationData(
        capture_no="C8",
        out_trade_no="ORD_8",
        request_id="R8",
        status=CaptureStatus.FAILED,
        is_final=True,
        created_time="2026-11-26T10:00:00.000Z",  # type: ignore[arg-type]
        error_code="CAPTURE_FAILED",
    )
    notification = verifier.parse(*make_notification("CAPTURE", data, simulator=sim))
    assert isinstance(notification, CaptureNotification) and notification.data is not None
    assert (
        notification.data.status is CaptureStatus.FAILED and notification.data.error_code == "CAPTURE_FAILED"
    )
    assert notification.data.out_trade_no == "ORD_8" and notification.app_id == sim.app_id
    unknown = verifier.parse(*make_notification("SOMETHING_NEW", {"x": 1}, simulator=sim))
    assert unknown.data == {"x": 1}  # an undocumented type arrives as a dict


def test_data_that_payermax_would_not_send_is_refused_early(sim: GatewaySimulator) -> None:
    with pytest.raises(ValueError, match="CAPTURE") as refused:
        make_notification("CAPTURE", {"status": "DONE"}, simulator=sim)
    assert "status" in str(refused.value)
    with pytest.raises(ValueError, match="totalAmount must be number"):
        make_notification("PAYMENT", {"totalAmount": "12.50"}, simulator=sim)  # PayerMax sends a number
    with pytest.raises(ValueError, match="inventedField"):
        make_notification("REFUND", {"inventedField": 1}, simulator=sim)
    with pytest.raises(ValueError, match="arrive through collectResultNotifyUrl, authResultNotifyUrl"):
        make_notification("PAYMENT", simulator=sim, callback="captureResultNotifyUrl")
    with pytest.raises(ValueError, match="simulator"):
        make_notification("CAPTURE", {})


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, payermax_async.testing.plugin\n"
        "heavy = ('aiohttp', 'msgspec', 'Crypto', 'cryptography', 'payermax_async.testing.simulator',"
        " 'payermax_async.client')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_handler.py"
    test.write_text(
        textwrap.dedent(
            """
            async def test_uses_the_simulator(payermax_simulator):
                assert payermax_simulator.base_url.startswith("http://127.0.0.1:")
            """
        )
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            *args,
            str(test),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_the_fixture_fails_without_pytest_asyncio_and_works_with_it(tmp_path: Path) -> None:
    without = _pytest(tmp_path, "-p", "no:asyncio")
    assert without.returncode == 1, without.stdout
    assert "1 error" in without.stdout and "skipped" not in without.stdout
    assert "needs the pytest-asyncio plugin" in without.stdout
    with_it = _pytest(tmp_path)
    assert with_it.returncode == 0, with_it.stdout
    assert "1 passed" in with_it.stdout
