"""Signing off the event loop, when other calls are waiting for it.

OpenSSL's RSA (the ``cryptography`` backend) releases the GIL, so while one signature is computed on
another thread the loop can send, receive, verify and decode other calls. On 2 cores
(benchmarks/bench_offload.py, bench_steady.py): 1.2-1.5x the captures per second of inline signing
at 4 to 256 in flight, but 0.85x one at a time (the hop to the thread costs more than it overlaps).
With pycryptodome, whose signing is mostly Python holding the GIL, a thread did not help (0.9x).

Hence the client's default (:class:`SigningThread`, ``sign_in_thread=None``): a signer that says it
releases the GIL (``RsaSigner`` on ``cryptography``) signs on the loop when its call is the only one
in flight and on one thread of the client's own when others are, provided the process can run on two
CPUs: the hop still costs ~0.15-0.2 ms of CPU a signature, which one CPU only pays.
:class:`ThreadedSigner` is the older, explicit form: every signature on its thread(s).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import SimpleQueue

from .signing import Backend, PrivateKey, RsaSigner, Signer

__all__ = ["CPUS_ENV", "SigningThread", "ThreadedSigner", "bulk_signer", "signing_thread_for", "usable_cpus"]

#: caps :func:`usable_cpus` for a process sharing the machine with siblings doing the same work
CPUS_ENV = "PAYERMAX_ASYNC_CPUS"


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


class SigningThread:
    """The one thread a client signs on while its loop has other calls to run, made on first use.

    Not a :class:`ThreadedSigner` (``run_in_executor``): its hop cost ~0.2 ms of the loop's CPU and
    ~0.1 ms of the thread's per signature on 2 vCPUs (``benchmarks/README.md``). Here requests
    go in through a ``SimpleQueue``, and the signatures the thread finishes while the loop has not
    yet come round to them go back together, with one wake-up of the loop; the thread runs almost no
    Python, so it seldom waits for the GIL the loop holds. It serves one event loop, the client's.

    ``always``: sign every request there, even a call alone (``sign_in_thread=True``: a signer that
    blocks on I/O, an HSM say). Closed with the client; a request signed after that is signed inline,
    and its transport, closed too, sends nothing.
    """

    __slots__ = ("_done", "_lock", "_loop", "_queue", "_signer", "_waking", "always", "closed")

    def __init__(self, signer: Signer, *, always: bool) -> None:
        self._signer = signer
        self.always = always
        self.closed = False
        self._queue: SimpleQueue[tuple[asyncio.Future[bytes], bytes] | None] = SimpleQueue()
        #: finished: (future, signature, error), appended by the thread, taken by the loop
        self._done: deque[tuple[asyncio.Future[bytes], bytes | None, BaseException | None]] = deque()
        self._lock = threading.Lock()
        self._waking = False  # a wake-up of the loop is on its way: later signatures ride along
        self._loop: asyncio.AbstractEventLoop | None = None  # set when the thread starts

    async def sign(self, message: bytes) -> bytes | Awaitable[bytes]:
        if self.closed:
            return self._signer.sign(message)
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
            # A daemon: a client never closed must not keep the process from exiting.
            threading.Thread(target=self._work, args=(loop,), name="payermax-sign_0", daemon=True).start()
        future: asyncio.Future[bytes] = loop.create_future()
        self._queue.put((future, message))
        return await future

    def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        """The thread: sign what comes in; wake the loop unless a wake-up is already on its way."""
        queue, done, lock, sign = self._queue, self._done, self._lock, self._signer.sign
        while (job := queue.get()) is not None:
            future, message = job
            try:
                done.append((future, sign(message), None))  # type: ignore[arg-type]
            except BaseException as exc:  # the caller's to see, as if signed inline
                done.append((future, None, exc))
            with lock:
                if self._waking:
                    continue
                self._waking = True
            try:
                loop.call_soon_threadsafe(self._deliver)
            except RuntimeError:  # the loop is closed: nobody is left to wait for a signature
                return

    def _deliver(self) -> None:
        """On the loop: every signature finished so far to its caller (one gone away is skipped)."""
        with self._lock:
            self._waking = False
        done = self._done
        while done:
            future, signature, error = done.popleft()
            if future.done():
                continue
            if error is None:
                future.set_result(signature)  # type: ignore[arg-type]
            else:
                future.set_exception(error)

    def close(self) -> None:
        """Stop the thread once what is queued is signed (without waiting for it)."""
        self.closed = True
        if self._loop is not None:  # the thread was started
            self._queue.put(None)


def signing_thread_for(
    signer: Signer, sign_in_thread: bool | None, *, cpus: Callable[[], float] | None = None
) -> SigningThread | None:
    """The client's signing thread, or None to sign inline always: ``sign_in_thread`` False, a
    signer already asynchronous, or (by default) one not known to release the GIL, or a process
    with less than two CPUs to run on (the hop then only adds CPU: ~0.15-0.2 ms a signature here)."""
    if sign_in_thread is False or isinstance(signer, ThreadedSigner):
        return None
    if inspect.iscoroutinefunction(signer.sign):
        return None
    if sign_in_thread is None and not (
        getattr(signer, "releases_gil", False) is True and (cpus or usable_cpus)() >= 2
    ):
        return None  # (the cgroup files are read only here, for the automatic choice)
    return SigningThread(signer, always=sign_in_thread is True)


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> float:
    """How many CPUs this process can use at once: its affinity, capped by a container's quota
    (which ``os.cpu_count()`` does not see) and by ``PAYERMAX_ASYNC_CPUS``, its share where sibling
    processes do the same work: each worker of ``capture_many_processes`` is given its share, and a
    server's worker processes, as many as the CPUs, can be given 1."""
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        cpus = float(os.cpu_count() or 1)
    quota = _cgroup_quota(cgroup)
    if quota is not None:
        cpus = min(cpus, quota)
    try:
        return min(cpus, float(os.environ.get(CPUS_ENV) or "inf"))
    except ValueError:  # not a number: ignored
        return cpus


def _cgroup_quota(root: Path) -> float | None:
    """CPUs' worth of time per period the cgroup allows (v2 ``cpu.max``, v1 CFS), None: no limit."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]  # v2: "max 100000", "150000 100000"
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()  # v1: -1 for no limit
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        q, p = float(quota), float(period)
    except ValueError:  # "max"
        return None
    return q / p if q > 0 and p > 0 else None
