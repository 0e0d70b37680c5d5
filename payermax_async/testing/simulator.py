"""The gateway itself: an aiohttp.web server speaking PayerMax's protocol on 127.0.0.1.

This module holds the simulator's lifecycle and its test-facing helpers; its keys are
:mod:`.keypairs`; the protocol (signatures, headers, faults, the concurrency limit) is
:mod:`.protocol`; what PayerMax would check and answer, its flows and its notifications are
:mod:`.gateway`; delivery is :mod:`.notifier`.
Nothing here imports the client it tests (``client()`` loads it on first use).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..signing import Backend, RsaSigner, RsaVerifier
from ..signing_thread import ThreadedSigner
from .faults import Fault, FaultInjector
from .gateway.facts import Facts
from .gateway.flows import Gateway
from .gateway.flows.books import Capture, Happening, Notice, Order, Payout, Refund
from .gateway.flows.gateway import AnswerShapeError
from .gateway.wire import encode_body
from .keypairs import gateway_keys
from .notifier import Notifier, check_notify_url, check_retry_delays
from .protocol import GatewayProtocol
from .records import NotificationRecord, RequestRecord
from .wire import API_PATH

if TYPE_CHECKING:
    from ..client import PayerMaxClient

__all__ = ["GatewaySimulator"]


class GatewaySimulator(GatewayProtocol):
    """A stateful PayerMax gateway for tests, demos and local development.

    ``async with GatewaySimulator() as sim`` starts it on an ephemeral port of 127.0.0.1 with fresh
    RSA keys and ids; ``sim.client()`` is a :class:`PayerMaxClient` wired to it.

    Every request is checked as PayerMax checks it, from PayerMax's own schema (:mod:`.gateway`):
    unknown ``apiName`` (HTTP 404, ``PARAMS_INVALID``); the interface's concurrency limit
    (``TOO_MANY_REQUEST``, see :meth:`set_limit`); the envelope (``PARAMS_INVALID`` naming the field,
    ``MERCHANT_APP_INVALID``); ``sign`` over the raw body (``SIGN_VERIFY_FAILED``); ``requestTime`` in
    any shape PayerMax's SDKs send, within two minutes (``REQ_TIME_OVER_TIME``); then ``data``: required
    fields, types, lengths, enums, per-currency precision (``PARAMS_INVALID`` naming the field). Every
    answer is signed over its exact bytes and carries a ``Date`` header from the gateway's clock.

    The flows are PayerMax's: hosted checkout answers PENDING with a ``redirectUrl`` (the payer opens
    it, or a test calls :meth:`complete_payment`); Direct card payments finish at once or ask for 3DS;
    APMs answer with a ``qrCodeUrl`` or ``vaCode``; refunds start REFUND_PENDING and payouts PENDING
    until :meth:`settle_refund` / :meth:`settle_payout`; tokens, drop-in, pay-by-link and subscriptions
    have their own payer steps (:meth:`complete_binding`, :meth:`pay_link`,
    :meth:`charge_subscription`); the payer can also open the URLs the answers carry
    (``/cashier/...`` on this server; ``?result=fail`` declines).

    Scripted outcomes, by the card number or the amount's last two minor-unit digits: a Direct card
    ending ``0002`` or an amount ending ``51`` is declined; a card ending ``3220`` or an amount ending
    ``52`` needs 3DS (PENDING with a ``redirectUrl``); a capture ending ``53`` fails and one ending
    ``54`` stays PENDING until :meth:`settle_capture`.

    Notifications go to the request's notify URL when it is a loopback URL, else to ``notify_url``;
    none are sent when neither exists. Each is signed and re-sent on PayerMax's schedule (0 s, 30 s,
    5 min, 10 min, 1 h, 12 h; times ``notify_time_scale``) until the answer is exactly
    ``{"code":"SUCCESS","msg":"Success"}``.

    Faults: :meth:`inject` a :class:`~payermax_async.testing.Fault`; see :mod:`.faults`.
    Everything seen is in :attr:`requests`, every state change in :attr:`events`. With
    ``check_shapes`` (on under pytest) every answer and notification is checked against PayerMax's
    response and callback schemas; a mismatch is a simulator bug, kept in :attr:`shape_errors`.

    Arguments (keyword only, all optional): ``host`` / ``port`` (127.0.0.1; 0 picks a free port);
    ``app_id``, ``merchant_no`` and the keys (bare base64 DER or PEM; generated when absent; a
    public half is derived when only the private one is given); ``notify_url``,
    ``notify_retry_delays`` (replaces PayerMax's schedule), ``notify_time_scale`` (multiplies
    it) and ``notify_timeout``; ``check_shapes``; ``clock_skew``; ``clock`` (this machine's,
    for tests that need a fixed time); ``backend`` (the signing backend); ``max_records`` (keep
    about that many request records, for long runs); ``on_request`` (called with each finished
    record); ``signing_threads`` (threads that sign answers; default 1 with ``cryptography``,
    whose RSA releases the GIL, else 0: sign on the loop).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        app_id: str | None = None,
        merchant_no: str | None = None,
        merchant_private_key: str | bytes | None = None,
        merchant_public_key: str | None = None,
        payermax_private_key: str | bytes | None = None,
        payermax_public_key: str | None = None,
        notify_url: str | None = None,
        notify_retry_delays: Sequence[float] | None = None,
        notify_time_scale: float = 1.0,
        notify_timeout: float = 5.0,
        clock_skew: float = 0.0,
        clock: Callable[[], float] = time.time,
        backend: Backend | None = None,
        max_records: int | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        signing_threads: int | None = None,
        check_shapes: bool | None = None,
    ) -> None:
        if notify_url is not None:  # checked before the (slow) key generation
            check_notify_url(notify_url)
        if notify_retry_delays is not None:
            check_retry_delays(notify_retry_delays)
        self.host = host
        self.port = port
        self.app_id = app_id or uuid.uuid4().hex
        self.merchant_no = merchant_no or f"P0101{secrets.randbelow(10**10):010d}"
        keys = gateway_keys(
            merchant_private_key, merchant_public_key, payermax_private_key, payermax_public_key
        )
        self._merchant_private = keys.merchant_private
        self.merchant_public_key = keys.merchant_public
        self.payermax_private_key = keys.payermax_private
        self.payermax_public_key = keys.payermax_public
        #: seconds the gateway's clock runs ahead of this machine's (negative: behind)
        self.clock_skew = float(clock_skew)
        self._clock = clock
        self.max_records = max_records
        #: called with each request's record once it is answered (or dropped)
        self.on_request = on_request
        self._verifier = RsaVerifier(self.merchant_public_key, backend=backend)
        self._signer = RsaSigner(self.payermax_private_key, backend=backend)
        self.signer_backend = self._signer.backend
        self._faults = FaultInjector()
        self._notifier = Notifier(
            signer=self._signer,
            default_url=notify_url,
            retry_delays=notify_retry_delays,
            time_scale=notify_time_scale,
            timeout=notify_timeout,
            clock=self.now,
        )
        if check_shapes is None:
            check_shapes = "pytest" in sys.modules  # a test run checks every answer it causes
        #: PayerMax's rules and flows (pure logic); this object only carries them over HTTP
        self.gateway = Gateway(
            Facts.load(),
            app_id=self.app_id,
            merchant_no=self.merchant_no,
            clock=self.now,
            check_shapes=check_shapes,
            on_notice=self._send_notice,
        )
        #: answers or notifications that did not match PayerMax's schema (simulator bugs)
        self.shape_errors: list[AnswerShapeError] = []
        self.requests: list[RequestRecord] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = asyncio.Event()
        self._clients: list[PayerMaxClient] = []
        if signing_threads is None:
            # One thread is the measured sweet spot on one loop; more threads fight for the GIL.
            signing_threads = 1 if self.signer_backend == "cryptography" else 0
        self._signing_threads = signing_threads
        self._threaded: ThreadedSigner | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> GatewaySimulator:
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(API_PATH + "{api_name}", self._handle)
        app.router.add_get("/cashier/{ref}", self._cashier)
        app.router.add_get("/cashier/{kind:3ds|apm|qr|bind|link}/{ref}", self._cashier)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._notifier.loop = asyncio.get_running_loop()
        if self._signing_threads > 0:
            self._threaded = ThreadedSigner(self._signer, threads=self._signing_threads)
        self.port = int(runner.addresses[0][1])
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{host}:{self.port}"
        self.gateway.books.cashier_base = f"{self._base_url}/cashier"
        return self

    async def close(self) -> None:
        """Stop serving; wakes delayed handlers, stops notification retries, closes sim.client()s."""
        self._closing.set()
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()
        await self._notifier.aclose()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        threaded, self._threaded = self._threaded, None
        if threaded is not None:
            threaded.close()

    aclose = close

    async def __aenter__(self) -> GatewaySimulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"GatewaySimulator({where}, app_id={self.app_id!r}, merchant_no={self.merchant_no!r})"

    # ------------------------------------------------------------------ identity

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator is not started (use `async with` or await start())")
        return self._base_url

    @property
    def merchant_private_key(self) -> str:
        """Bare base64 PKCS#8 DER, as PayerMax hands merchants their key."""
        if self._merchant_private is None:
            raise RuntimeError("this simulator was given only the merchant's public key")
        return self._merchant_private

    def now(self) -> float:
        """The gateway's clock."""
        return self._clock() + self.clock_skew

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for a :class:`PayerMaxClient` of this gateway; ``overrides`` win."""
        options: dict[str, Any] = {
            "app_id": self.app_id,
            "merchant_no": self.merchant_no,
            "base_url": self.base_url,
        }
        if "signer" not in overrides:
            options["private_key"] = self.merchant_private_key
        if "verifier" not in overrides:
            options["payermax_public_key"] = self.payermax_public_key
        options.update(overrides)
        return options

    def client(self, **kwargs: Any) -> PayerMaxClient:
        """A client for this gateway; ``kwargs`` go to :class:`PayerMaxClient` and win.

        Clients made here are closed with the simulator if their owner has not closed them. The
        client is imported here, not at the top: the gateway must not depend on what it tests.
        """
        from ..client import PayerMaxClient

        client = PayerMaxClient(**self.client_options(**kwargs))
        self._clients.append(client)
        return client

    # ------------------------------------------------------------------ notifications

    def _send_notice(self, notice: Notice) -> None:
        self._notifier.send(notice.notify_type, notice.url, encode_body(notice.body), notice.schedule)

    # ------------------------------------------------------------------ state, for tests

    @property
    def orders(self) -> dict[str, Order]:
        """Every order, keyed by its case-folded ``outTradeNo`` (PayerMax's identity of an order)."""
        return self.gateway.books.orders

    @property
    def events(self) -> list[Happening]:
        return self.gateway.happenings

    @property
    def notifications(self) -> list[NotificationRecord]:
        return self._notifier.records

    def order(self, out_trade_no: str) -> Order:
        return self.gateway.order(out_trade_no)

    def captures_of(self, out_trade_no: str) -> list[Capture]:
        """Every capture actually performed on this authorization (replays are not captures)."""
        return self.gateway.captures_of(out_trade_no) if out_trade_no.casefold() in self.orders else []

    def refunds_of(self, out_trade_no: str) -> list[Refund]:
        return self.gateway.refunds_of(out_trade_no) if out_trade_no.casefold() in self.orders else []

    def requests_for(self, api_name: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.api_name == api_name]

    def set_limit(self, api_name: str | None, limit: int | None) -> None:
        """At most ``limit`` requests of ``api_name`` in flight (``None`` api: every interface;
        ``None`` limit: unlimited); the next one is refused with ``TOO_MANY_REQUEST``."""
        if api_name is None:
            self.gateway.limits.set_default(limit)
        else:
            self.gateway.limits.set(api_name, limit)

    # ------------------------------------------------------------------ the payer's and PayerMax's steps

    def authorize(
        self, out_trade_no: str, amount: Decimal | int | str, currency: str, country: str = "US"
    ) -> Order:
        """Put a SUCCESS authorization straight into the books, ready to capture."""
        return self.gateway.authorize(out_trade_no, Decimal(amount), currency, country)

    def age(self, out_trade_no: str, days: float) -> None:
        """Make an order ``days`` older; an authorization older than 7 days cannot be captured."""
        self.gateway.age(out_trade_no, days)

    def complete_payment(self, out_trade_no: str, success: bool = True) -> Order:
        """The payer finishes the cashier, 3DS, wallet, QR or bank-transfer step."""
        return self.gateway.complete_payment(out_trade_no, success)

    def settle_capture(self, out_trade_no: str, success: bool = True) -> Capture:
        return self.gateway.settle_capture(out_trade_no, success)

    def settle_refund(self, out_refund_no: str, success: bool = True) -> Refund:
        return self.gateway.settle_refund(out_refund_no, success)

    def settle_payout(self, out_trade_no: str, success: bool = True, *, outcome: str | None = None) -> Payout:
        """PayerMax settles a payout: SUCCESS, FAILED, or (``outcome="BOUNCEBACK"``) returned later."""
        return self.gateway.settle_payout(out_trade_no, success, outcome=outcome)

    def complete_binding(self, request_id: str, success: bool = True) -> dict[str, Any]:
        """The payer authenticates a token binding on PayerMax's page."""
        return self.gateway.complete_binding(request_id, success)

    def pay_link(self, merchant_link_id: str, success: bool = True) -> dict[str, Any]:
        """The payer pays through a pay-by-link."""
        return self.gateway.pay_link(merchant_link_id, success)

    def charge_subscription(self, subscription_no: str, success: bool = True) -> dict[str, Any]:
        """PayerMax charges a subscription's next period."""
        return self.gateway.charge_subscription(subscription_no, success)

    async def wait_notifications(self, timeout: float | None = 5.0) -> bool:
        """Wait until every notification so far is delivered or out of retries; False on timeout."""
        return await self._notifier.drain(timeout)

    # ------------------------------------------------------------------ faults

    def inject(self, fault: Fault) -> Fault:
        self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The fault rules still armed."""
        return self._faults.active
