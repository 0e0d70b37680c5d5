"""A lean PayerMax stand-in for benchmarks: HTTP/1.1 keep-alive on 127.0.0.1, signed capture answers.

Why not the simulator: on a 2-core machine the server shares the CPU with the client under test.
The simulator verifies every request's signature, keeps a ledger and signs every answer (about
1 ms of CPU per request), so it would be the bottleneck and every client would measure the same.
This server is a bare asyncio protocol that answers each POST with one capture response signed
once at startup (tens of microseconds per request), in its own process. The client still does all
of its real work: it signs every request and verifies, decodes and checks every answer.

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

from payermax_async.signing import RsaSigner, RsaVerifier

CAPTURE_RESPONSE = (
    b'{"code":"APPLY_SUCCESS","msg":"Success.","data":{"captureNo":"CAP20241106000000001",'
    b'"requestId":"0123456789abcdef0123456789abcdef","outTradeNo":"ORD_0000001","amount":10.00,'
    b'"currency":"USD","status":"SUCCESS","isFinal":true,"createdTime":"2024-11-06T03:56:13.000+00:00",'
    b'"succeededTime":"2024-11-06T03:56:13.092Z"}}'
)


def build_response(payermax_private_key: str) -> bytes:
    sign = base64.b64encode(RsaSigner(payermax_private_key).sign(CAPTURE_RESPONSE))
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(CAPTURE_RESPONSE)).encode()
        + b"\r\nsign: "
        + sign
        + b"\r\n\r\n"
        + CAPTURE_RESPONSE
    )


class _Http(asyncio.Protocol):
    """Just enough HTTP/1.1: Content-Length bodies, keep-alive, pipelining."""

    def __init__(self, response: bytes, verifier: RsaVerifier | None, latency: float) -> None:
        self.response = response
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
                answer = self.response
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


async def serve(port: int, response: bytes, verifier: RsaVerifier | None, latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Http(response, verifier, latency), "127.0.0.1", port, backlog=1024
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
    args = parser.parse_args()
    if not args.payermax_private_key:
        parser.error("--payermax-private-key (or BENCH_PAYERMAX_PRIVATE_KEY) is required")
    verifier = RsaVerifier(args.merchant_public_key) if args.verify else None
    try:
        response = build_response(args.payermax_private_key)
        asyncio.run(serve(args.port, response, verifier, args.latency_ms / 1000))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
