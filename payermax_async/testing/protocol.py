"""The gateway's protocol front: one HTTP request in, one PayerMax answer (or an injected fault) out.

Per request: the concurrency slot of its apiName, the gateway's envelope checks, the signature,
the ``requestTime`` window, then ``data`` through the gateway's flow; the answer is signed over its
exact bytes. What PayerMax would say is decided by :mod:`.gateway`; this module only speaks HTTP.
:class:`GatewaySimulator` is built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..signing import RsaSigner, RsaVerifier, sign_to_header, verify_sign_header
from ..signing_thread import ThreadedSigner
from .faults import Fault, FaultInjector, FaultKind
from .gateway.envelope import check_request_time
from .gateway.flows import Gateway
from .gateway.flows.gateway import AnswerShapeError
from .gateway.limits import TOO_MANY_REQUEST
from .gateway.wire import PARAMS_INVALID, Answer, Refusal, decode_body, encode_body
from .records import RequestRecord
from .wire import http_date

__all__ = ["GatewayProtocol"]

SIGN_VERIFY_FAILED = "SIGN_VERIFY_FAILED"
SYSTEM_ERROR = "SYSTEM_ERROR"
_JSON = "application/json;charset=UTF-8"
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
    gateway: Gateway
    shape_errors: list[AnswerShapeError]
    _base_url: str | None
    _closing: asyncio.Event
    _faults: FaultInjector
    _signer: RsaSigner
    _threaded: ThreadedSigner | None
    _verifier: RsaVerifier

    def now(self) -> float:
        raise NotImplementedError

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
        envelope = decode_body(body)
        if envelope is not None:
            data = envelope.get("data")
            record.data = data if isinstance(data, dict) else None
            request_time = envelope.get("requestTime")
            record.request_time = request_time if isinstance(request_time, str) else None

        fault = self._faults.pick(api_name, record.out_trade_no)
        record.fault = fault
        limits = self.gateway.limits
        try:
            # Held until the answer is signed and sent: the count is what is really in flight.
            limits.enter(api_name)
        except Refusal as refusal:
            record.code, answer = _error(refusal.code, refusal.msg)
            response = await self._answer(record, 200, answer)
        else:
            try:
                response = await self._respond(request, record, fault, envelope)
            finally:
                limits.leave(api_name)
        if self.on_request is not None:
            self.on_request(record)
        return response

    async def _respond(
        self,
        request: web.Request,
        record: RequestRecord,
        fault: Fault | None,
        envelope: dict[str, Any] | None,
    ) -> web.Response:
        if fault is not None:
            return await self._with_fault(request, record, fault, envelope)
        status, record.code, answer = self._process(record.api_name, record.body, request, envelope, record)
        return await self._answer(record, status, answer)

    def _process(
        self,
        api_name: str,
        body: bytes,
        request: web.Request,
        envelope: dict[str, Any] | None,
        record: RequestRecord,
    ) -> tuple[int, str, bytes]:
        """Admit, authenticate, then run ``data`` through the gateway: (HTTP status, code, body)."""
        gateway = self.gateway
        if not gateway.serves(api_name):
            return 404, *_error(PARAMS_INVALID, f"apiName {api_name} is not served by the simulator.")
        if envelope is None:
            return 200, *_error(PARAMS_INVALID, "The request body must be a JSON object.")
        try:
            answer = self._run(gateway, api_name, body, request, envelope, record)
        except AnswerShapeError as exc:
            # A simulator bug, not the merchant's: kept for the test to fail on, answered as PayerMax
            # answers its own failures.
            self.shape_errors.append(exc)
            answer = Answer(SYSTEM_ERROR, "System is busy, please try again later.")
        return 200, answer.code, encode_body(answer.body())

    def _run(
        self,
        gateway: Gateway,
        api_name: str,
        body: bytes,
        request: web.Request,
        envelope: dict[str, Any],
        record: RequestRecord,
    ) -> Answer:
        try:
            gateway.admit(api_name, envelope)
            if not verify_sign_header(self._verifier, body, request.headers.get("sign")):
                return Answer(SIGN_VERIFY_FAILED, "The signature verify failed.")
            check_request_time(gateway.facts, envelope.get("requestTime"), self.now())
            record.processed = True
            return gateway.handle_data(api_name, envelope["data"])
        except Refusal as refusal:
            return refusal.answer()

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
        """Answer (or not) as ``fault`` says; the gateway acts first only when the fault is processed.

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

    async def _cashier(self, request: web.Request) -> web.Response:
        """The payer's pages: opening one completes what waits there (``?result=fail`` declines).

        ``/cashier/{token}`` (hosted checkout) and ``/cashier/3ds|apm|qr/{token}`` pay an order;
        ``/cashier/bind/{requestId}`` binds a token; ``/cashier/link/{linkId}`` pays a link.
        """
        kind = request.match_info.get("kind", "")
        ref = request.match_info["ref"]
        success = request.query.get("result") != "fail"
        gateway = self.gateway
        try:
            if kind in ("", "3ds", "apm", "qr"):
                order = gateway.books.by_token.get(ref)
                if order is None:
                    return web.Response(status=404, text="unknown checkout\n")
                if order.status == "PENDING":
                    gateway.complete_payment(order.out_trade_no, success)
                text = f"order {order.out_trade_no}: {order.status}\n"
            elif kind == "bind":
                binding = gateway.complete_binding(ref, success)
                text = f"token binding {ref}: {binding['status']}\n"
            else:  # link
                links = gateway.books.family("links").values()
                link = next((x for x in links if x["linkId"] == ref), None)
                if link is None:
                    return web.Response(status=404, text="unknown link\n")
                payment = gateway.pay_link(link["merchantLinkId"], success)
                text = f"link {ref}: payment {payment['outTradeNo']} {payment['status']}\n"
        except Refusal as refusal:
            return web.Response(status=409, text=f"{refusal.code}: {refusal.msg}\n")
        except AnswerShapeError as exc:
            self.shape_errors.append(exc)
            return web.Response(status=500, text="simulator error\n")
        return web.Response(text=text)


def _error(code: str, msg: str) -> tuple[str, bytes]:
    return code, encode_body({"code": code, "msg": msg})
