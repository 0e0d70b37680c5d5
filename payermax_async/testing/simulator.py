"""The gateway itself: an aiohttp.web server speaking PayerMax's protocol on 127.0.0.1.

This module does the protocol (envelope, signatures, the two-minute window, headers) and the
faults; the business rules live in :mod:`.state`, notification delivery in :mod:`.notifier`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
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
from ..codes import (
    MERCHANT_APP_INVALID,
    PARAMS_INVALID,
    REQ_TIME_OVER_TIME,
    SIGN_VERIFY_FAILED,
    SYSTEM_ERROR,
    TOO_MANY_REQUEST,
)
from ..config import API_PATH
from ..signing import (
    Backend,
    RsaSigner,
    RsaVerifier,
    generate_key_pair,
    load_private_key,
    sign_to_header,
    verify_sign_header,
)
from ..signing_thread import ThreadedSigner
from .faults import Fault, FaultInjector, FaultKind
from .ledger import Capture, Ledger, Order, Payout, Refund
from .notifier import DEFAULT_RETRY_DELAYS, Notifier, check_notify_url, check_retry_delays
from .records import Event, NotificationRecord, RequestRecord
from .wire import decode_json, envelope_bytes, http_date, parse_request_time

__all__ = ["GatewaySimulator"]

REQUEST_TIME_WINDOW = 120.0
_JSON = "application/json;charset=UTF-8"
_ENVELOPE_FIELDS = ("version", "keyVersion", "requestTime", "appId")
_BAD_GATEWAY_HTML = b"<html><head><title>%d</title></head><body><h1>%d Bad Gateway</h1></body></html>"


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


class GatewaySimulator:
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

    # ------------------------------------------------------------------ HTTP

    def _checkout_url(self, token: str) -> str:
        base = self._base_url or f"http://{self.host}:{self.port}"
        return f"{base}/checkout/{token}"

    def _record(self, record: RequestRecord) -> None:
        self.requests.append(record)
        limit = self.max_records
        if limit is not None and len(self.requests) > 2 * limit:
            del self.requests[: len(self.requests) - limit]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        api_name = request.match_info["api_name"]
        body = await request.read()
        record = RequestRecord(api_name, body, dict(request.headers), self.now())
        self._record(record)
        try:
            envelope = decode_json(body)
        except ValueError:  # msgspec.DecodeError is a ValueError
            envelope = None
        if not isinstance(envelope, dict):
            envelope = None
        else:
            data = envelope.get("data")
            record.data = data if isinstance(data, dict) else None
            request_time = envelope.get("requestTime")
            record.request_time = request_time if isinstance(request_time, str) else None

        fault = self._faults.pick(api_name, record.out_trade_no)
        record.fault = fault
        if fault is None:
            status, record.code, answer = self._process(api_name, body, request, envelope, record)
            response = await self._answer(record, status, answer)
        else:
            response = await self._with_fault(request, record, fault, envelope)
        if self.on_request is not None:
            self.on_request(record)
        return response

    def _process(
        self,
        api_name: str,
        body: bytes,
        request: web.Request,
        envelope: dict[str, Any] | None,
        record: RequestRecord,
    ) -> tuple[int, str, bytes]:
        """Authenticate, then hand ``data`` to the ledger: (HTTP status, code, body)."""
        if not self.ledger.supports(api_name):
            return 404, *_error(PARAMS_INVALID, f"apiName {api_name} is not supported by the simulator.")
        if envelope is None:
            return 200, *_error(PARAMS_INVALID, "The request body must be a JSON object.")
        for key in _ENVELOPE_FIELDS:
            value = envelope.get(key)
            if value is None or value == "":
                return 200, *_error(PARAMS_INVALID, f"{key} is invalid,because {key} is null.")
            if not isinstance(value, str):
                return 200, *_error(PARAMS_INVALID, f"{key} must be string , but your input is not.")
        if not isinstance(envelope.get("data"), dict):
            return 200, *_error(PARAMS_INVALID, "data is invalid,because data is null.")
        merchant_no = envelope.get("merchantNo")
        if envelope["appId"] != self.app_id or merchant_no not in (None, self.merchant_no):
            return 200, *_error(MERCHANT_APP_INVALID, "Signature key is not configured.")
        if not verify_sign_header(self._verifier, body, request.headers.get("sign")):
            return 200, *_error(SIGN_VERIFY_FAILED, "The signature verify failed.")
        sent_at = parse_request_time(envelope["requestTime"])
        if sent_at is None:
            return 200, *_error(
                PARAMS_INVALID, "requestTime must be yyyy-MM-dd'T'HH:mm:ss.SSSXXX (RFC 3339 with millis)."
            )
        if abs(self.now() - sent_at) > REQUEST_TIME_WINDOW:
            return 200, *_error(REQ_TIME_OVER_TIME, "requestTime effective in two minutes")
        record.processed = True
        outcome = self.ledger.handle(api_name, envelope["data"])
        return 200, outcome.code, envelope_bytes(outcome.code, outcome.msg, outcome.data)

    async def _sign(self, body: bytes) -> str:
        """RSA is most of the gateway's CPU and OpenSSL releases the GIL while signing, so a worker
        thread signs while the loop serves other requests (and, in tests, runs the client)."""
        return await sign_to_header(self._threaded or self._signer, body)

    async def _headers(self, body: bytes, *, signed: bool = True) -> dict[str, str]:
        headers = {"Content-Type": _JSON, "Date": http_date(self.now())}
        if signed:
            headers["sign"] = await self._sign(body)
        return headers

    async def _answer(
        self, record: RequestRecord, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> web.Response:
        record.http_status = status
        record.response_body = body
        if headers is None:
            headers = await self._headers(body)
        return web.Response(status=status, body=body, headers=headers)

    @staticmethod
    def _drop(request: web.Request, record: RequestRecord) -> web.Response:
        record.http_status = None
        transport = request.transport
        if transport is not None:
            transport.abort()
        # aiohttp notices the dead transport when it writes this and gives up quietly.
        return web.Response(status=500)

    async def _with_fault(
        self, request: web.Request, record: RequestRecord, fault: Fault, envelope: dict[str, Any] | None
    ) -> web.Response:
        """Answer (or not) as ``fault`` says; the ledger acts first only when the fault is processed.

        An unprocessed fault that still answers (``MALFORMED``, ``UNSIGNED``, ``BAD_SIGNATURE``)
        mangles a ``SYSTEM_ERROR`` answer; an unprocessed ``DELAY`` waits, then processes: the late
        original lands after the client's retry.
        """
        kind = fault.kind
        if kind is FaultKind.DELAY and not fault.is_processed:
            await self._sleep(fault.delay_seconds)
        if fault.is_processed or kind is FaultKind.DELAY:
            status, record.code, body = self._process(record.api_name, record.body, request, envelope, record)
        else:
            status, (record.code, body) = (
                200,
                _error(SYSTEM_ERROR, "System is busy, please try again later."),
            )
        if kind is FaultKind.DROP_AFTER_PROCESS or kind is FaultKind.DROP_BEFORE_PROCESS:
            record.code = None
            return self._drop(request, record)
        if kind is FaultKind.DELAY:
            if fault.is_processed:
                await self._sleep(fault.delay_seconds)
            return await self._answer(record, status, body)
        if kind is FaultKind.HTTP_5XX:
            return await self._bad_gateway(record, fault)
        if kind is FaultKind.TOO_MANY_REQUEST:
            record.code, body = _error(TOO_MANY_REQUEST, "Exceed request limitation, please retry later")
            headers = await self._headers(body)
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return await self._answer(record, fault.status, body, headers)
        if kind is FaultKind.SYSTEM_ERROR:
            record.code, body = _error(SYSTEM_ERROR, "System is busy, please try again later.")
            return await self._answer(record, 200, body)
        if kind is FaultKind.MALFORMED:
            garbage = body[: len(body) // 2] + b"\x00\xff<!-- upstream reset -->"
            record.code = None
            return await self._answer(record, 200, garbage, await self._headers(garbage, signed=False))
        if kind is FaultKind.UNSIGNED:
            return await self._answer(record, status, body, await self._headers(body, signed=False))
        assert kind is FaultKind.BAD_SIGNATURE, kind
        headers = await self._headers(body, signed=False)
        headers["sign"] = await self._sign(body + b" ")
        return await self._answer(record, status, body, headers)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake when the simulator closes so that shutdown never waits on a DELAY."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _bad_gateway(self, record: RequestRecord, fault: Fault) -> web.Response:
        status = fault.status
        body = _BAD_GATEWAY_HTML % (status, status)
        record.code = None
        return await self._answer(
            record, status, body, {"Content-Type": "text/html", "Date": http_date(self.now())}
        )

    async def _checkout(self, request: web.Request) -> web.Response:
        """The hosted checkout page: visiting it pays (``?result=fail``: declines) the order."""
        order = self.ledger.by_token.get(request.match_info["token"])
        if order is None:
            return web.Response(status=404, text="unknown checkout\n")
        if order.status == "PENDING":
            self.ledger.complete_payment(order.out_trade_no, request.query.get("result") != "fail")
        return web.Response(text=f"order {order.out_trade_no}: {order.status}\n")


def _error(code: str, msg: str) -> tuple[str, bytes]:
    return code, envelope_bytes(code, msg, None)
