"""The gateway's protocol front: one HTTP request in, one PayerMax answer (or an injected fault) out.

It checks the envelope, the signature and the two-minute ``requestTime`` window, hands ``data`` to
the ledger, and signs the answer over its exact bytes. :class:`GatewaySimulator` is built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..codes import (
    MERCHANT_APP_INVALID,
    PARAMS_INVALID,
    REQ_TIME_OVER_TIME,
    SIGN_VERIFY_FAILED,
    SYSTEM_ERROR,
    TOO_MANY_REQUEST,
)
from ..signing import RsaSigner, RsaVerifier, sign_to_header, verify_sign_header
from ..signing_thread import ThreadedSigner
from .faults import Fault, FaultInjector, FaultKind
from .ledger import Ledger
from .records import RequestRecord
from .wire import decode_json, envelope_bytes, http_date, parse_request_time

__all__ = ["REQUEST_TIME_WINDOW", "GatewayProtocol"]

REQUEST_TIME_WINDOW = 120.0
_JSON = "application/json;charset=UTF-8"
_ENVELOPE_FIELDS = ("version", "keyVersion", "requestTime", "appId")
_BAD_GATEWAY_HTML = b"<html><head><title>%d</title></head><body><h1>%d Bad Gateway</h1></body></html>"


class GatewayProtocol:
    """The HTTP handlers of :class:`GatewaySimulator`, which provides the state declared here."""

    app_id: str
    merchant_no: str
    host: str
    port: int
    max_records: int | None
    on_request: Callable[[RequestRecord], None] | None
    requests: list[RequestRecord]
    ledger: Ledger
    _base_url: str | None
    _closing: asyncio.Event
    _faults: FaultInjector
    _signer: RsaSigner
    _threaded: ThreadedSigner | None
    _verifier: RsaVerifier

    def now(self) -> float:
        raise NotImplementedError

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
