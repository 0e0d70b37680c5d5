"""Shared pieces of the benchmark scripts: keys, the lean server, and the hand-written baselines.

The baselines do exactly the work of one capture and nothing the library is not also doing:
build the envelope, encode it once, sign, POST, read, verify the response signature, decode.
They use msgspec like the library does, so the floor is the tightest one a user could write.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import gc
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from _server import order_no, request_id_for

from payermax_async import PayerMaxClient
from payermax_async.bulk import CaptureItem
from payermax_async.signing import Backend, RsaSigner, RsaVerifier, generate_key_pair

HERE = Path(__file__).resolve().parent
PATH = "/aggregate-pay/api/gateway/capture"


@dataclass(frozen=True)
class Keys:
    merchant_private: str
    merchant_public: str
    payermax_private: str
    payermax_public: str


def make_keys() -> Keys:
    mpriv, mpub = generate_key_pair()
    ppriv, ppub = generate_key_pair()
    return Keys(mpriv, mpub, ppriv, ppub)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def lean_server(
    keys: Keys, *, verify: bool = False, latency_ms: float = 0.0, presign: int = 0, signed: bool = True
) -> Iterator[Server]:
    """Start benchmarks/_server.py in its own process; yield where it listens; stop it after.

    ``presign``: sign the answers to the first N of :func:`items` before listening (each distinct
    answer costs the server one RSA signature, once); ``signed=False`` for stub verifiers.
    """
    env = dict(os.environ)
    env["BENCH_PAYERMAX_PRIVATE_KEY"] = keys.payermax_private
    env["BENCH_MERCHANT_PUBLIC_KEY"] = keys.merchant_public
    cmd = [sys.executable, str(HERE / "_server.py"), "--latency-ms", str(latency_ms)]
    cmd += ["--presign", str(presign)]
    flags = (["--verify"] if verify else []) + ([] if signed else ["--unsigned"])
    proc = subprocess.Popen([*cmd, *flags], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        yield Server(f"http://127.0.0.1:{int(line.split()[1])}", proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@functools.lru_cache(maxsize=8)
def signer_for(private_key: str, backend: Backend) -> RsaSigner:
    """Parsed once: loading a key costs 60-140 ms, which would swamp a short timed run."""
    return RsaSigner(private_key, backend=backend)


@functools.lru_cache(maxsize=8)
def verifier_for(public_key: str, backend: Backend) -> RsaVerifier:
    return RsaVerifier(public_key, backend=backend)


def make_client(keys: Keys, base_url: str, backend: Backend, **kwargs: Any) -> PayerMaxClient:
    params: dict[str, Any] = {
        "signer": signer_for(keys.merchant_private, backend),
        "verifier": verifier_for(keys.payermax_public, backend),
    }
    params.update(kwargs)
    return PayerMaxClient(app_id="bench-app", merchant_no="M-BENCH", base_url=base_url, **params)


def request_time() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+00:00"


def items(n: int) -> Iterator[CaptureItem]:
    """The benchmarks' orders, with fixed request ids (the server signs each answer once).

    Made as they are read, as a file would yield them: a list built inside the timed run would
    charge the library modes for n objects the floor (which counts ids) never makes.
    """
    return (CaptureItem(order_no(i), "10.00", "USD", request_id_for(i)) for i in range(n))


def envelope(i: int) -> dict[str, Any]:
    return {
        "version": "1.5",
        "keyVersion": "1",
        "requestTime": request_time(),
        "appId": "bench-app",
        "merchantNo": "M-BENCH",
        "data": {
            "requestId": request_id_for(i),
            "outTradeNo": order_no(i),
            "currency": "USD",
            "amount": Decimal("10.00"),
        },
    }


_ENC = msgspec.json.Encoder(decimal_format="number")


async def floor_run(
    keys: Keys | None,
    base_url: str,
    backend: Backend,
    n: int,
    concurrency: int,
    max_connections: int = 100,
    *,
    signer: Any = None,
    verifier: Any = None,
    session: aiohttp.ClientSession | None = None,
    executor: Executor | None = None,
) -> None:
    """The hand-written floor: aiohttp + the same signer, N workers, no library. (``signer`` and
    ``verifier`` replace the keys' own: the stubs of the RSA-free benchmarks; ``session``, an open
    one to reuse, as a long-running service would; ``executor``, where to sign instead of the loop.)"""
    if signer is None or verifier is None:
        assert keys is not None
        signer = signer_for(keys.merchant_private, backend)
        verifier = verifier_for(keys.payermax_public, backend)
    if session is None:
        connector = aiohttp.TCPConnector(limit=max_connections, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector) as own:
            await floor_run(
                keys,
                base_url,
                backend,
                n,
                concurrency,
                signer=signer,
                verifier=verifier,
                session=own,
                executor=executor,
            )
        return
    url = base_url + PATH
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await floor_capture(session, url, signer, verifier, i, executor)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def floor_capture(
    session: aiohttp.ClientSession,
    url: str,
    signer: Any,
    verifier: Any,
    i: int,
    executor: Executor | None = None,
) -> None:
    """One capture of order ``i``, by hand: what each of the floor's workers does in turn."""
    body = _ENC.encode(envelope(i))
    if executor is None:
        signature = signer.sign(body)
    else:
        signature = await asyncio.get_running_loop().run_in_executor(executor, signer.sign, body)
    sign = base64.b64encode(signature).decode()
    headers = {"Content-Type": "application/json", "sign": sign}
    async with session.post(url, data=body, headers=headers) as resp:
        raw = await resp.read()
        their = resp.headers["sign"]
    if not verifier.verify(raw, base64.b64decode(their)):
        raise RuntimeError("bad response signature")
    if msgspec.json.decode(raw)["code"] != "APPLY_SUCCESS":
        raise RuntimeError("refused")


def requests_run(keys: Keys, base_url: str, backend: Backend, n: int) -> None:
    """What users write today: a synchronous requests loop."""
    import requests

    signer = signer_for(keys.merchant_private, backend)
    verifier = verifier_for(keys.payermax_public, backend)
    url = base_url + PATH
    with requests.Session() as session:
        for i in range(n):
            body = _ENC.encode(envelope(i))
            sign = base64.b64encode(signer.sign(body)).decode()
            resp = session.post(url, data=body, headers={"Content-Type": "application/json", "sign": sign})
            if not verifier.verify(resp.content, base64.b64decode(resp.headers["sign"])):
                raise RuntimeError("bad response signature")
            if msgspec.json.decode(resp.content)["code"] != "APPLY_SUCCESS":
                raise RuntimeError("refused")


@dataclass(frozen=True)
class Timing:
    n: int
    wall: float
    cpu: float  # this process's CPU seconds, all threads
    collections: int = 0  # garbage collections (any generation) during the run

    @property
    def rate(self) -> float:
        return self.n / self.wall

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.n * 1e6

    @property
    def gc_per_1000(self) -> float:
        return self.collections / self.n * 1000


def _collections() -> int:
    return sum(s["collections"] for s in gc.get_stats())


@contextlib.contextmanager
def timed(n: int, into: list[Timing]) -> Iterator[None]:
    wall, cpu, collections = time.perf_counter(), time.process_time(), _collections()
    yield
    elapsed_cpu = time.process_time() - cpu
    into.append(Timing(n, time.perf_counter() - wall, elapsed_cpu, _collections() - collections))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
