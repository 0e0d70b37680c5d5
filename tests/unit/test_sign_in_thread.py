"""The client's own signing thread (``sign_in_thread``): used while other calls are in flight, by
default only for a signer that releases the GIL; the bytes and the answer are the same either way."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from payermax_async import ClientClosedError, ConfigurationError, PayerMaxClient, signing_thread
from payermax_async.signing import RsaSigner, RsaVerifier
from payermax_async.signing_thread import ThreadedSigner, signing_thread_for, usable_cpus
from payermax_async.transport import HttpResponse, MockRequest, MockTransport

from ..support import Keys


@pytest.fixture(autouse=True)
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The automatic choice depends on the machine's CPUs: these tests fix it at two."""
    monkeypatch.setattr(signing_thread, "usable_cpus", lambda: 2.0)


class Recording:
    """Signs with the merchant key and notes the thread of each signature."""

    def __init__(self, keys: Keys, *, releases_gil: bool) -> None:
        self.inner = RsaSigner(keys.merchant_private, backend="cryptography")
        self.releases_gil = releases_gil
        self.threads: list[str] = []
        self.seen: set[threading.Thread] = set()

    def sign(self, message: bytes) -> bytes:
        self.threads.append(threading.current_thread().name)
        self.seen.add(threading.current_thread())
        return self.inner.sign(message)


def gateway(keys: Keys, *, together: int) -> MockTransport:
    """Answers captures once ``together`` requests are waiting, so that they overlap."""
    arrived: list[asyncio.Event] = []
    verifier = RsaVerifier(keys.merchant_public)

    async def handler(request: MockRequest) -> HttpResponse:
        assert verifier.verify(request.body, base64.b64decode(request.headers["sign"]))
        event = asyncio.Event()
        arrived.append(event)
        if len(arrived) % together == 0:
            for waiting in arrived[-together:]:
                waiting.set()
        await event.wait()
        data = json.loads(request.body)["data"]
        body = json.dumps(
            {
                "code": "APPLY_SUCCESS",
                "msg": "Success.",
                "data": {**data, "captureNo": "C" + data["requestId"], "status": "SUCCESS"},
            }
        ).encode()
        return HttpResponse(200, {"sign": keys.payermax_sign(body)}, body)

    return MockTransport(handler)


def client_for(keys: Keys, signer: object, transport: MockTransport, **options: object) -> PayerMaxClient:
    return PayerMaxClient(
        app_id="app",
        merchant_no="M1",
        signer=signer,  # type: ignore[arg-type]
        payermax_public_key=keys.payermax_public,
        base_url="http://127.0.0.1:9",
        transport=transport,
        **options,  # type: ignore[arg-type]
    )


async def captures(client: PayerMaxClient, n: int) -> list[str]:
    results = await asyncio.gather(
        *(client.capture(f"ORD{i}", Decimal("10.00"), "USD", f"REQ{i}") for i in range(n))
    )
    return [r.capture_no or "" for r in results]


async def test_a_call_alone_signs_on_the_loop_and_overlapping_ones_on_the_clients_thread(
    keys: Keys,
) -> None:
    signer = Recording(keys, releases_gil=True)
    loop_thread = threading.current_thread().name
    async with client_for(keys, signer, gateway(keys, together=1)) as alone:
        assert await captures(alone, 1) == ["CREQ0"]
    assert signer.threads == [loop_thread]

    signer.threads.clear()
    transport = gateway(keys, together=4)
    async with client_for(keys, signer, transport) as client:
        assert await captures(client, 4) == [f"CREQ{i}" for i in range(4)]
    # the first finds nobody else in flight; the others do, and go to the one signing thread
    assert signer.threads[0] == loop_thread
    assert {name for name in signer.threads[1:]} == {"payermax-sign_0"}
    # what the thread signed is what was sent, and verified (the gateway checks each signature)
    assert len(transport.requests) == 4
    # closing the client stopped its thread (without waiting for it: it ends once idle)
    (worker,) = signer.seen - {threading.current_thread()}
    for _ in range(200):
        if not worker.is_alive():
            break
        await asyncio.sleep(0.01)
    assert not worker.is_alive()


async def test_by_default_a_signer_that_holds_the_gil_stays_on_the_loop(keys: Keys) -> None:
    signer = Recording(keys, releases_gil=False)
    async with client_for(keys, signer, gateway(keys, together=4)) as client:
        await captures(client, 4)
    assert set(signer.threads) == {threading.current_thread().name}


async def test_false_signs_every_request_on_the_loop_and_true_every_one_on_the_thread(
    keys: Keys,
) -> None:
    inline = Recording(keys, releases_gil=True)
    async with client_for(keys, inline, gateway(keys, together=4), sign_in_thread=False) as client:
        await captures(client, 4)
    assert set(inline.threads) == {threading.current_thread().name}

    always = Recording(keys, releases_gil=False)
    async with client_for(keys, always, gateway(keys, together=1), sign_in_thread=True) as client:
        await captures(client, 1)
    assert always.threads == ["payermax-sign_0"]


def test_which_signers_get_a_thread(keys: Keys) -> None:
    fast = RsaSigner(keys.merchant_private, backend="cryptography")
    slow = RsaSigner(keys.merchant_private, backend="pycryptodome")
    assert fast.releases_gil and not slow.releases_gil
    auto = signing_thread_for(fast, None)
    assert auto is not None and not auto.always
    assert signing_thread_for(slow, None) is None
    assert signing_thread_for(fast, None, cpus=lambda: 1.5) is None  # one CPU: the hop only costs
    assert signing_thread_for(fast, False) is None
    forced = signing_thread_for(slow, True)
    assert forced is not None and forced.always

    class Kms:
        releases_gil = True

        async def sign(self, message: bytes) -> bytes:
            return b""

    assert signing_thread_for(Kms(), True) is None  # already off the loop
    threaded = ThreadedSigner(fast)
    assert signing_thread_for(threaded, True) is None  # it has its own thread
    threaded.close()


def test_sign_in_thread_is_checked(keys: Keys) -> None:
    with pytest.raises(ConfigurationError, match="sign_in_thread"):
        client_for(keys, RsaSigner(keys.merchant_private), gateway(keys, together=1), sign_in_thread="yes")


async def test_a_signature_after_close_is_made_inline_and_nothing_is_sent(keys: Keys) -> None:
    signing = signing_thread_for(RsaSigner(keys.merchant_private, backend="cryptography"), True)
    assert signing is not None
    first = await signing.sign(b"x")
    signing.close()
    assert await signing.sign(b"x") == first  # no thread made again, same signature

    closed = gateway(keys, together=1)
    client = client_for(keys, Recording(keys, releases_gil=True), closed, sign_in_thread=True)
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await captures(client, 1)
    assert closed.requests == []


def test_usable_cpus_reads_a_containers_quota(tmp_path: Path) -> None:
    affinity = usable_cpus(tmp_path)  # no cgroup files: the CPUs this process may run on
    assert affinity >= 1
    (tmp_path / "cpu.max").write_text("max 100000\n")  # cgroup v2, no limit
    assert usable_cpus(tmp_path) == affinity
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU
    assert usable_cpus(tmp_path) == 0.5
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # cgroup v1, no limit
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == affinity
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # one CPU
    assert usable_cpus(tmp_path) == min(affinity, 1.0)


def test_a_share_of_the_cpus_caps_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(signing_thread.CPUS_ENV, raising=False)
    alone = usable_cpus(tmp_path)
    monkeypatch.setenv(signing_thread.CPUS_ENV, "1")
    assert usable_cpus(tmp_path) == min(alone, 1.0)
    monkeypatch.setenv(signing_thread.CPUS_ENV, "lots")  # not a number: ignored
    assert usable_cpus(tmp_path) == alone


def test_each_capture_worker_process_takes_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from payermax_async.bulk.processes import WorkerPlan, _take_cpu_share

    plan = WorkerPlan(lambda: None, 4, None, None, "run", os.getpid(), cpus=2 / 2)
    monkeypatch.delenv(signing_thread.CPUS_ENV, raising=False)
    _take_cpu_share(plan)  # two workers on two CPUs: one each, so each signs on its loop
    assert os.environ[signing_thread.CPUS_ENV] == "1"
    monkeypatch.setenv(signing_thread.CPUS_ENV, "3")
    _take_cpu_share(plan)
    assert os.environ[signing_thread.CPUS_ENV] == "3"  # the user's own setting wins


class Gated:
    """A signer that waits for the test's go before each signature, on whatever thread it runs."""

    def __init__(self, keys: Keys) -> None:
        self.inner = RsaSigner(keys.merchant_private, backend="cryptography")
        self.go = threading.Semaphore(0)

    def sign(self, message: bytes) -> bytes:
        if message == b"fail":
            raise ValueError("the HSM said no")
        self.go.acquire()
        return self.inner.sign(message)


async def test_signatures_finished_while_the_loop_is_busy_come_back_with_one_wake_up(
    keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    wake_ups: list[int] = []
    deliver = signing_thread.SigningThread._deliver

    def counted(self: signing_thread.SigningThread) -> None:
        wake_ups.append(len(self._done))
        deliver(self)

    monkeypatch.setattr(signing_thread.SigningThread, "_deliver", counted)
    signer = Gated(keys)
    signing = signing_thread_for(signer, True)
    assert signing is not None
    try:
        tasks = [asyncio.ensure_future(signing.sign(b"m%d" % i)) for i in range(3)]
        await asyncio.sleep(0)  # all three queued
        for _ in range(3):
            signer.go.release()
        deadline = asyncio.get_running_loop().time() + 5
        while len(signing._done) < 3 and asyncio.get_running_loop().time() < deadline:
            threading.Event().wait(0.01)  # the loop held: the thread finishes all three meanwhile
        signatures = await asyncio.gather(*tasks)
        assert signatures == [signer.inner.sign(b"m%d" % i) for i in range(3)]
        assert wake_ups == [3]  # one wake-up carried all three
    finally:
        signing.close()


async def test_the_thread_hands_back_a_signers_error_and_skips_a_caller_gone_away(keys: Keys) -> None:
    signer = Gated(keys)
    signing = signing_thread_for(signer, True)
    assert signing is not None
    try:
        with pytest.raises(ValueError, match="the HSM said no"):
            await signing.sign(b"fail")
        gone = asyncio.ensure_future(signing.sign(b"gone"))
        await asyncio.sleep(0)
        gone.cancel()
        signer.go.release()  # signed after its caller left: dropped, not an error on the loop
        kept = asyncio.ensure_future(signing.sign(b"kept"))
        signer.go.release()
        assert await kept == signer.inner.sign(b"kept")
        assert gone.cancelled()
    finally:
        signing.close()
