"""A lean PayerMax stand-in for benchmarks: HTTP/1.1 keep-alive on 127.0.0.1, signed capture answers.

Why not the simulator: on a 2-core machine the server shares the CPU with the client under test.
The simulator verifies every request's signature, keeps a ledger and signs every answer (about
1 ms of CPU per request), so it would be the bottleneck and every client would measure the same.
This server is a bare asyncio protocol, in its own process, that answers each POST with a capture
response echoing the request's ``outTradeNo`` and ``requestId`` (the client binds every answer to
its request and refuses one about another order). Each distinct answer is signed once and kept, so
benchmarks use fixed ids (:func:`order_no`, :func:`request_id_for`) and ``--presign N`` signs the
first N at start-up: tens of microseconds per request after that. The client still does all of its
real work: it signs every request and verifies, decodes, binds and checks every answer.
``--unsigned`` answers with a constant, invalid signature, for clients whose verifier is a stub.

``--verify`` makes it also check each request's signature (what the gateway does), for runs that
want the server to refuse a broken client; it costs ~40 µs per request with OpenSSL.

``--latency-ms`` holds each answer back that long (a timer, no CPU), standing in for the network
and the gateway's own processing: a real PayerMax round trip is tens to hundreds of ms.

Run: ``python benchmarks/_server.py --merchant-public-key B64 --payermax-private-key B64``; it
prints ``PORT <n>`` on stdout once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys

import msgspec

from payermax_async.signing import RsaSigner, RsaVerifier


def order_no(i: int) -> str:
    """The benchmarks' i-th order (letters, digits, underscore: what PayerMax accepts)."""
    return f"ORD_{i:07d}"


def request_id_for(i: int) -> str:
    """A fixed request id per order, so that the server signs each answer once, not once per run."""
    return f"REQ_{i:07d}"


def capture_answer(out_trade_no: str, request_id: str) -> bytes:
    """A successful capture answer about this order and request, as PayerMax shapes it."""
    return (
        b'{"code":"APPLY_SUCCESS","msg":"Success.","data":{"captureNo":"CAP20241106000000001",'
        b'"requestId":"' + request_id.encode() + b'","outTradeNo":"' + out_trade_no.encode() + b'",'
        b'"amount":10.00,"currency":"USD","status":"SUCCESS","isFinal":true,'
        b'"createdTime":"2024-11-06T03:56:13.000+00:00","succeededTime":"2024-11-06T03:56:13.092Z"}}'
    )


#: the answer to order_no(1) / request_id_for(1), for scripts that only decode one
CAPTURE_RESPONSE = capture_answer(order_no(1), request_id_for(1))
_UNSIGNED = base64.b64encode(b"\x00" * 256)


class Answers:
    """Whole HTTP responses by (outTradeNo, requestId), each signed on first use and then kept."""

    def __init__(self, signer: RsaSigner | None) -> None:
        self.signer = signer
        self._cache: dict[tuple[str, str], bytes] = {}

    def get(self, out_trade_no: str, request_id: str) -> bytes:
        key = (out_trade_no, request_id)
        response = self._cache.get(key)
        if response is None:
            body = capture_answer(out_trade_no, request_id)
            sign = _UNSIGNED if self.signer is None else base64.b64encode(self.signer.sign(body))
            response = self._cache[key] = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nsign: "
                + sign
                + b"\r\n\r\n"
                + body
            )
        return response

    def for_request(self, body: bytes) -> bytes:
        try:
            data = msgspec.json.decode(body).get("data") or {}
            return self.get(str(data.get("outTradeNo", "")), str(data.get("requestId", "")))
        except (msgspec.DecodeError, AttributeError):
            return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"


class _Http(asyncio.Protocol):
    """Just enough HTTP/1.1: Content-Length bodies, keep-alive, pipelining."""

    def __init__(self, answers: Answers, verifier: RsaVerifier | None, latency: float) -> None:
        self.answers = answers
        self.verifier = verifier
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        assert self.transport is not None
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            headers = {}
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            total = end + 4 + int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            if self.verifier is not None and not self._verified(headers.get(b"sign"), body):
                answer = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
            else:
                answer = self.answers.for_request(body)
            if self.latency > 0:  # same delay for all, so pipelined answers keep their order
                asyncio.get_running_loop().call_later(self.latency, self._write, answer)
            else:
                self.transport.write(answer)

    def _write(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)

    def _verified(self, sign: bytes | None, body: bytes) -> bool:
        if not sign or self.verifier is None:
            return False
        try:
            return self.verifier.verify(body, base64.b64decode(sign, validate=True))
        except ValueError:
            return False


async def serve(port: int, answers: Answers, verifier: RsaVerifier | None, latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Http(answers, verifier, latency), "127.0.0.1", port, backlog=1024
    )
    sock_port = server.sockets[0].getsockname()[1]
    print(f"PORT {sock_port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--payermax-private-key", default=os.environ.get("BENCH_PAYERMAX_PRIVATE_KEY"))
    parser.add_argument("--merchant-public-key", default=os.environ.get("BENCH_MERCHANT_PUBLIC_KEY"))
    parser.add_argument("--verify", action="store_true", help="check each request's signature")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="hold each answer back this long")
    parser.add_argument("--presign", type=int, default=0, help="sign the answers to the first N orders now")
    parser.add_argument("--unsigned", action="store_true", help="an invalid constant signature (stubs)")
    args = parser.parse_args()
    if not args.payermax_private_key:
        parser.error("--payermax-private-key (or BENCH_PAYERMAX_PRIVATE_KEY) is required")
    verifier = RsaVerifier(args.merchant_public_key) if args.verify else None
    try:
        answers = Answers(None if args.unsigned else RsaSigner(args.payermax_private_key))
        for i in range(args.presign if not args.unsigned else 0):
            answers.get(order_no(i), request_id_for(i))
        asyncio.run(serve(args.port, answers, verifier, args.latency_ms / 1000))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
