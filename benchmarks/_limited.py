"""A capture gateway that allows LIMIT captures in flight, each taking SERVICE seconds, and refuses
the rest at once with ``TOO_MANY_REQUEST`` (as PayerMax does per interface), in its own process so
that worker processes share it.

One line per request on a short TCP connection to 127.0.0.1: ``CAPTURE otn rid`` -> ``OK`` or
``429``; ``STATS`` -> one JSON line; ``RESET`` zeroes the counters; ``LIMIT n`` sets the limit. No
RSA, no HTTP: on 2 shared cores the real client's signing would measure the machine, not the
concurrency control.

``ClientLikeRetries`` puts the client's own rate-limit retries in front of it (the same
``RetryPolicy`` delays and ``RetryBudget``), so a fixed run behaves as ``PayerMaxClient`` does.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal

from payermax_async.codes import TOO_MANY_REQUEST
from payermax_async.errors import ApiError, TransportError
from payermax_async.retry import RetryBudget, RetryPolicy
from payermax_async.types import CaptureResult, CaptureStatus

__all__ = ["ClientLikeRetries", "GatewayProcess", "TcpGateway", "set_limit", "stats"]


class _Server:
    def __init__(self, limit: int, service: float) -> None:
        self.limit, self.service = limit, service
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        self.max_in_flight = self.requests = self.refused = self.doubles = 0
        self.captured: dict[str, str] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().split()
        if line == ["STATS"]:
            out = {
                "requests": self.requests,
                "refused": self.refused,
                "captured": len(self.captured),
                "max_in_flight": self.max_in_flight,
                "doubles": self.doubles,
            }
            writer.write((json.dumps(out) + "\n").encode())
        elif line == ["RESET"]:
            self.reset()
            writer.write(b"OK\n")
        elif len(line) == 2 and line[0] == "LIMIT":  # the gateway's limit changes mid-run
            self.limit = int(line[1])
            writer.write(b"OK\n")
        elif len(line) == 3 and line[0] == "CAPTURE":
            otn, rid = line[1], line[2]
            self.requests += 1
            if self.limit and self.in_flight >= self.limit:
                self.refused += 1
                writer.write(b"429\n")
            else:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    await asyncio.sleep(self.service)
                finally:
                    self.in_flight -= 1
                if self.captured.setdefault(otn, rid) != rid:
                    self.doubles += 1
                writer.write(b"OK\n")
        await writer.drain()
        writer.close()


class TcpGateway:
    """The ``CaptureClient`` side: refusals come back as ``ApiError(TOO_MANY_REQUEST)``."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def capture(
        self, out_trade_no: str, amount: Decimal | int | str, currency: str, request_id: str | None = None
    ) -> CaptureResult:
        assert request_id is not None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError as exc:
            raise TransportError(str(exc), operation="capture") from exc
        writer.write(f"CAPTURE {out_trade_no} {request_id}\n".encode())
        await writer.drain()
        answer = (await reader.readline()).strip()
        writer.close()
        if answer == b"429":
            raise ApiError(TOO_MANY_REQUEST, "limit", operation="capture", http_status=429)
        return CaptureResult(
            capture_no="C" + request_id[:20],
            request_id=request_id,
            out_trade_no=out_trade_no,
            amount=Decimal(str(amount)),
            currency=currency,
            status=CaptureStatus.SUCCESS,
        )


class ClientLikeRetries:
    """``PayerMaxClient.capture``'s rate-limit handling in front of a gateway: up to
    ``max_retries`` retries with the policy's jittered backoff, from one shared budget; and
    ``retry_rate_limited=False`` hands the refusal back, as the client does."""

    def __init__(self, gateway: TcpGateway, policy: RetryPolicy | None = None) -> None:
        self.gateway = gateway
        self.policy = policy or RetryPolicy()
        self.budget = RetryBudget(capacity=self.policy.budget_capacity)

    async def capture(
        self,
        out_trade_no: str,
        amount: Decimal | int | str,
        currency: str,
        request_id: str | None = None,
        *,
        retry_rate_limited: bool = True,
    ) -> CaptureResult:
        attempt, spent = 0, 0
        while True:
            attempt += 1
            try:
                result = await self.gateway.capture(out_trade_no, amount, currency, request_id)
            except ApiError as exc:
                if (
                    not retry_rate_limited
                    or exc.code != TOO_MANY_REQUEST
                    or attempt > self.policy.max_retries
                ):
                    raise
                cost = self.budget.try_acquire(timeout=False)
                if not cost:
                    raise
                spent += cost
                await asyncio.sleep(self.policy.delay(attempt))
                continue
            self.budget.refund(spent or self.budget.success_refund)
            return result


async def _request(port: int, line: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(line)
    await writer.drain()
    answer = await reader.readline()
    writer.close()
    return answer


async def set_limit(port: int, limit: int) -> None:
    await _request(port, f"LIMIT {limit}\n".encode())


async def stats(port: int, *, reset: bool = False) -> dict[str, int]:
    out: dict[str, int] = json.loads(await _request(port, b"STATS\n"))
    if reset:
        await _request(port, b"RESET\n")
    return out


class GatewayProcess:
    """The gateway in a child process; ``with GatewayProcess(20, 0.05) as port: ...``."""

    def __init__(self, limit: int, service: float) -> None:
        self.args = [sys.executable, __file__, str(limit), str(service)]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> int:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        return int(self.proc.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


async def _serve(limit: int, service: float) -> None:
    srv = _Server(limit, service)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2])))
