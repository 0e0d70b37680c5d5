"""Signing off the event loop, for runs with many captures in flight.

OpenSSL's RSA (the ``cryptography`` backend) releases the GIL, so a dedicated signing thread lets
the loop send, receive, verify and decode other captures while a signature is computed. Measured
on 2 cores (benchmarks/bench_offload.py): capture_many with one signing thread did 1.35-1.56x the
captures per second of inline signing at 4 to 256 in flight, but 0.86x one at a time (the hop to
the thread costs more than it overlaps). With pycryptodome, whose signing is mostly Python holding
the GIL, threads did not help (0.9x); a process pool did a little (1.2-1.3x) and worker processes
(``capture --processes``) do better, so neither is offered here.

So this is opt-in, for bulk work: ``PayerMaxClient(signer=ThreadedSigner(RsaSigner(key)), ...)``.
The ``capture`` command uses it by itself when it applies.
"""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor

from .signing import Backend, PrivateKey, RsaSigner, Signer

__all__ = ["ThreadedSigner", "bulk_signer"]


class ThreadedSigner:
    """Runs a synchronous :class:`~payermax_async.signing.Signer` on its own thread(s).

    One thread is the measured best: a second one mostly waits for the GIL. Call :meth:`close`
    (or let interpreter exit do it) to stop the thread.
    """

    def __init__(self, signer: Signer, *, threads: int = 1) -> None:
        if inspect.iscoroutinefunction(signer.sign):
            raise TypeError("the signer is already asynchronous; ThreadedSigner wraps a synchronous one")
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self.signer = signer
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="payermax-sign")

    @property
    def backend(self) -> str | None:
        backend = getattr(self.signer, "backend", None)
        return backend if isinstance(backend, str) else None

    async def sign(self, message: bytes) -> bytes:
        signature = await asyncio.get_running_loop().run_in_executor(self._pool, self.signer.sign, message)
        if not isinstance(signature, (bytes, bytearray)):
            raise TypeError(f"Signer.sign must return bytes, got {type(signature).__name__}")
        return bytes(signature)

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"ThreadedSigner({self.signer!r}, threads={self.threads})"


def bulk_signer(
    private_key: str | bytes | PrivateKey, *, backend: Backend | None = None, concurrency: int
) -> Signer:
    """The signer that measured fastest for this many captures in flight: threaded where it helps."""
    signer = RsaSigner(private_key, backend=backend)
    if signer.backend == "cryptography" and concurrency > 1:
        return ThreadedSigner(signer)
    return signer
