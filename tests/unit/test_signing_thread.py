"""ThreadedSigner: signs off the event loop, byte-identical, accepted by the gateway."""

from __future__ import annotations

import threading

import pytest

from payermax_async import PayerMaxClient
from payermax_async.client import ClientSpec
from payermax_async.signing import RsaSigner
from payermax_async.signing_thread import ThreadedSigner, bulk_signer

from ..support import Keys


class RecordingSigner:
    def __init__(self, inner: RsaSigner) -> None:
        self.inner = inner
        self.threads: set[str] = set()

    def sign(self, message: bytes) -> bytes:
        self.threads.add(threading.current_thread().name)
        return self.inner.sign(message)


async def test_signatures_are_made_on_the_signing_thread_and_are_identical(keys: Keys) -> None:
    inner = RsaSigner(keys.merchant_private)
    recording = RecordingSigner(inner)
    signer = ThreadedSigner(recording)
    try:
        got = [await signer.sign(f"message {i}".encode()) for i in range(5)]
    finally:
        signer.close()
    assert got == [inner.sign(f"message {i}".encode()) for i in range(5)]
    assert len(recording.threads) == 1
    assert next(iter(recording.threads)).startswith("payermax-sign")
    assert threading.current_thread().name not in recording.threads


async def test_a_signer_that_returns_something_else_is_an_error() -> None:
    class Broken:
        def sign(self, message: bytes) -> str:
            return "not bytes"

    signer = ThreadedSigner(Broken())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await signer.sign(b"x")
    signer.close()


def test_it_wraps_only_synchronous_signers() -> None:
    class Kms:
        async def sign(self, message: bytes) -> bytes:
            return b""

    with pytest.raises(TypeError, match="already asynchronous"):
        ThreadedSigner(Kms())
    with pytest.raises(ValueError, match="threads"):
        ThreadedSigner(RecordingSigner(None), threads=0)  # type: ignore[arg-type]


def test_bulk_signer_threads_only_where_it_measured_faster(keys: Keys) -> None:
    threaded = bulk_signer(keys.merchant_private, backend="cryptography", concurrency=64)
    assert isinstance(threaded, ThreadedSigner) and threaded.backend == "cryptography"
    assert "ThreadedSigner(RsaSigner(backend='cryptography'" in repr(threaded)
    assert keys.merchant_private[:40] not in repr(threaded)
    threaded.close()
    assert isinstance(bulk_signer(keys.merchant_private, backend="cryptography", concurrency=1), RsaSigner)
    assert isinstance(bulk_signer(keys.merchant_private, backend="pycryptodome", concurrency=64), RsaSigner)


async def test_a_client_spec_for_bulk_work_builds_the_threaded_signer(keys: Keys) -> None:
    options = {
        "app_id": "a",
        "merchant_no": "m",
        "private_key": keys.merchant_private,
        "payermax_public_key": keys.payermax_public,
        "backend": "cryptography",
        "base_url": "http://127.0.0.1:9",
    }
    client = ClientSpec(options, bulk_concurrency=32).build()
    assert isinstance(client.config.signer, ThreadedSigner)
    plain = ClientSpec(options).build()
    assert isinstance(plain.config.signer, RsaSigner)
    assert options["private_key"] == keys.merchant_private  # the spec's own options are not consumed
    signer = client.config.signer
    await client.aclose()  # the client built that signer's thread, so it stops it
    with pytest.raises(RuntimeError, match="shutdown"):
        await signer.sign(b"x")
    await plain.aclose()


async def test_a_client_leaves_a_signer_it_was_given_open(keys: Keys) -> None:
    signer = ThreadedSigner(RsaSigner(keys.merchant_private))
    client = PayerMaxClient(
        app_id="a",
        merchant_no="m",
        signer=signer,
        payermax_public_key=keys.payermax_public,
        base_url="http://127.0.0.1:9",
    )
    await client.aclose()
    assert len(await signer.sign(b"x")) == 256  # still the caller's to use and close
    signer.close()
