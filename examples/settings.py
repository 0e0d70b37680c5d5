"""Configuration shared by the example services: credentials from the environment, and the two
long-lived objects a service builds from them at startup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from payermax_async import SANDBOX_URL, PayerMaxClient, WebhookVerifier


@dataclass(frozen=True)
class Settings:
    """Credentials and endpoint; from the environment unless given."""

    app_id: str
    merchant_no: str
    private_key: str
    payermax_public_key: str
    base_url: str = SANDBOX_URL
    #: reject notifications whose notifyTime is further than this from now (None: no check)
    notify_max_age: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def need(name: str) -> str:
            value = env.get(name)
            if not value:
                raise RuntimeError(f"set {name}")
            return value

        max_age = env.get("PAYERMAX_NOTIFY_MAX_AGE")
        return cls(
            app_id=need("PAYERMAX_APP_ID"),
            merchant_no=need("PAYERMAX_MERCHANT_NO"),
            private_key=need("PAYERMAX_PRIVATE_KEY"),
            payermax_public_key=need("PAYERMAX_PUBLIC_KEY"),
            base_url=env.get("PAYERMAX_BASE_URL", SANDBOX_URL),
            notify_max_age=float(max_age) if max_age else None,
        )

    def client(self) -> PayerMaxClient:
        """The one client of the service: it owns the connection pool, share it."""
        return PayerMaxClient(
            app_id=self.app_id,
            merchant_no=self.merchant_no,
            private_key=self.private_key,
            payermax_public_key=self.payermax_public_key,
            base_url=self.base_url,
        )

    def webhook_verifier(self) -> WebhookVerifier:
        """Bound to this merchant, so a notification for another one is refused too."""
        return WebhookVerifier(
            self.payermax_public_key,
            app_id=self.app_id,
            merchant_no=self.merchant_no,
            max_age=self.notify_max_age,
        )
