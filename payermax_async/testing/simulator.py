"""The gateway itself: an aiohttp.web server speaking PayerMax's protocol on 127.0.0.1.

This module holds the simulator's lifecycle, its keys and its test-facing helpers; the protocol
(envelope, signatures, the two-minute window, headers, faults) is :mod:`.protocol`, the business
rules :mod:`.ledger`, notification delivery :mod:`.notifier`.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

from aiohttp import web
from Crypto.PublicKey import RSA

from ..client import PayerMaxClient
from ..config import API_PATH
from ..signing import (
    Backend,
    RsaSigner,
    RsaVerifier,
    generate_key_pair,
    load_private_key,
)
from ..signing_thread import ThreadedSigner
from .faults import Fault, FaultInjector
from .ledger import Capture, Ledger, Order, Payout, Refund
from .notifier import DEFAULT_RETRY_DELAYS, Notifier, check_notify_url, check_retry_delays
from .protocol import GatewayProtocol
from .records import Event, NotificationRecord, RequestRecord

__all__ = ["GatewaySimulator"]


def _bare_private(key: str | bytes) -> str:
    """Bare base64 is kept as given (the signer validates it); PEM is converted to PKCS#8 DER."""
    if isinstance(key, str) and not key.lstrip().startswith("-----"):
        return "".join(key.split())
    return base64.b64encode(load_private_key(key).der()).decode("ascii")


def _public_of(private_b64: str) -> str:
    """The X.509 public key of a private key. Validating a private key costs ~50 ms and the
    signer built from it validates it anyway, so the fast path skips that here."""
    der = base64.b64decode(private_b64)
    try:
        from cryptography.hazmat.primitives import serialization

        loaded = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
        public_der = loaded.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except ImportError:  # pragma: no cover - exercised only without the ``fast`` extra
        public_der = RSA.import_key(der).public_key().export_key(format="DER")
    return base64.b64encode(public_der).decode("ascii")


class GatewaySimulator(GatewayProtocol):
    """A stateful PayerMax gateway for tests, demos and local development.

    ``async with GatewaySimulator() as sim`` starts it on an ephemeral port of 127.0.0.1 with fresh
    RSA keys and ids; ``sim.client()`` is a :class:`PayerMaxClient` wired to it.

    Protocol checks, in order: unknown ``apiName`` (HTTP 404, ``PARAMS_INVALID``); a body that is
    not an envelope (``PARAMS_INVALID``); ``appId`` / ``merchantNo`` not this merchant's
    (``MERCHANT_APP_INVALID``); ``sign`` not verifying over the raw body with the merchant public
    key (``SIGN_VERIFY_FAILED``); ``requestTime`` not ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``
    (``PARAMS_INVALID``) or more than two minutes off the gateway's clock (``REQ_TIME_OVER_TIME``).
    Every JSON answer is signed over its exact bytes with the PayerMax key and carries a ``Date``
    header from the gateway's clock, which runs ``clock_skew`` seconds ahead of this machine's.
    Error answers carry ``code`` and ``msg`` but no ``data``, like PayerMax's.

    Operations: ``orderAndPay``, ``orderQuery``, ``capture``, ``cancel``, ``refund``,
    ``refundQuery``, ``orderClose``, ``paymentOrderPay``, ``paymentOrderQry``; rules and refusal
    codes are listed in :mod:`payermax_async.testing.ledger`.

    Scripted outcomes, chosen by the last two digits of the amount in minor units (``10.51`` USD,
    ``1051`` JPY):

    - ``orderAndPay``: ``..51`` is declined (status FAILED, resultCode PAYMENT_FAILED), as is card
      ``4000000000000002``; ``..52`` stays PENDING until :meth:`complete_payment`. Otherwise an
      authorization (``captureMode=MANUAL`` + ``authorizationType=FINAL_AUTH``) or a
      ``Direct_Payment`` with card details succeeds at once, and a ``Hosted_Checkout`` payment
      answers PENDING with a ``redirectUrl`` (GET it, or call :meth:`complete_payment`, to pay).
    - ``capture``: ``..53`` fails (status FAILED, errorCode CAPTURE_FAILED; the authorization can
      be captured again under a new ``requestId``); ``..54`` stays PENDING (``isFinal`` false)
      until :meth:`settle_capture`.
    - ``refund``: ``..51`` is REFUND_FAILED, ``..52`` REFUND_PENDING until :meth:`settle_refund`.
    - ``paymentOrderPay``: ``..51`` FAILED, ``..52`` PENDING until :meth:`settle_payout`.

    Replays: a ``requestId`` (capture, cancel) or ``outRefundNo`` seen before, with the same
    parameters, gets the original answer's ``data`` byte for byte (for a capture that was PENDING,
    its current state); with different parameters, ``ORDER_REPEAT``.

    Notifications (PAYMENT, CAPTURE, CANCEL, REFUND, PAYOUT) go to the request's ``notifyUrl`` /
    ``refundNotifyUrl`` when it is a loopback URL, else to ``notify_url``; none are sent when
    neither exists. Each is retried after the ``notify_retry_delays`` until the answer is exactly
    ``{"code":"SUCCESS","msg":"Success"}``.

    Faults: :meth:`inject` a :class:`~payermax_async.testing.Fault`; see :mod:`.faults`.
    Everything seen is in :attr:`requests`, every state change in :attr:`events`.

    Arguments (keyword only, all optional): ``host`` / ``port`` (127.0.0.1; 0 picks a free port);
    ``app_id``, ``merchant_no`` and the keys (bare base64 DER or PEM; generated when absent; a
    public half is derived when only the private one is given); ``notify_url``,
    ``notify_retry_delays`` (PayerMax's 0 s, 30 s, 5 min, 10 min, 1 h, 12 h unless given) and
    ``notify_timeout``; ``clock_skew``; ``clock`` (this machine's, for tests that need a fixed
    time); ``backend`` (the signing backend); ``max_records`` (keep
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
        notify_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        notify_timeout: float = 5.0,
        clock_skew: float = 0.0,
        clock: Callable[[], float] = time.time,
        backend: Backend | None = None,
        max_records: int | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        signing_threads: int | None = None,
    ) -> None:
        if notify_url is not None:  # checked before the (slow) key generation
            check_notify_url(notify_url)
        check_retry_delays(notify_retry_delays)
        self.host = host
        self.port = port
        self.app_id = app_id or uuid.uuid4().hex
        self.merchant_no = merchant_no or f"P0101{secrets.randbelow(10**10):010d}"
        if merchant_private_key is not None:
            self._merchant_private: str | None = _bare_private(merchant_private_key)
            self.merchant_public_key = merchant_public_key or _public_of(self._merchant_private)
        elif merchant_public_key is not None:
            self._merchant_private = None  # the merchant keeps its key elsewhere (an HSM, say)
            self.merchant_public_key = merchant_public_key
        else:
            self._merchant_private, self.merchant_public_key = generate_key_pair()
        if payermax_private_key is not None:
            self.payermax_private_key = _bare_private(payermax_private_key)
            self.payermax_public_key = payermax_public_key or _public_of(self.payermax_private_key)
        else:
            self.payermax_private_key, self.payermax_public_key = generate_key_pair()
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
            app_id=self.app_id,
            merchant_no=self.merchant_no,
            default_url=notify_url,
            retry_delays=notify_retry_delays,
            timeout=notify_timeout,
            clock=self.now,
        )
        self.ledger = Ledger(clock=self.now, notify=self._notifier.send, redirect_url=self._checkout_url)
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
        app.router.add_get("/checkout/{token}", self._checkout)
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

        Clients made here are closed with the simulator if their owner has not closed them.
        """
        client = PayerMaxClient(**self.client_options(**kwargs))
        self._clients.append(client)
        return client

    # ------------------------------------------------------------------ state, for tests

    @property
    def orders(self) -> dict[str, Order]:
        return self.ledger.orders

    @property
    def events(self) -> list[Event]:
        return self.ledger.events

    @property
    def notifications(self) -> list[NotificationRecord]:
        return self._notifier.records

    def order(self, out_trade_no: str) -> Order:
        return self.ledger.orders[out_trade_no]

    def captures_of(self, out_trade_no: str) -> list[Capture]:
        """Every capture actually performed on this authorization (replays are not captures)."""
        order = self.ledger.orders.get(out_trade_no)
        return list(order.captures) if order is not None else []

    def refunds_of(self, out_trade_no: str) -> list[Refund]:
        order = self.ledger.orders.get(out_trade_no)
        return list(order.refunds) if order is not None else []

    def requests_for(self, api_name: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.api_name == api_name]

    def authorize(
        self, out_trade_no: str, amount: Decimal | int | str, currency: str, country: str = "US"
    ) -> Order:
        """Put a SUCCESS authorization straight into the ledger, ready to capture."""
        return self.ledger.authorize(out_trade_no, Decimal(amount), currency, country)

    def age(self, out_trade_no: str, days: float) -> None:
        """Make an order ``days`` older; an authorization older than 7 days cannot be captured."""
        self.ledger.age(out_trade_no, days)

    def complete_payment(self, out_trade_no: str, success: bool = True) -> Order:
        return self.ledger.complete_payment(out_trade_no, success)

    def settle_capture(self, out_trade_no: str, success: bool = True) -> Capture:
        return self.ledger.settle_capture(out_trade_no, success)

    def settle_refund(self, out_refund_no: str, success: bool = True) -> Refund:
        return self.ledger.settle_refund(out_refund_no, success)

    def settle_payout(self, out_trade_no: str, success: bool = True) -> Payout:
        return self.ledger.settle_payout(out_trade_no, success)

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
