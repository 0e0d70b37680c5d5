"""Signing and key loading: byte-exact against OpenSSL, identical across backends, fail closed."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from payermax_async.errors import ConfigurationError
from payermax_async.signing import (
    PrivateKey,
    RsaSigner,
    RsaVerifier,
    available_backends,
    default_backend,
    load_private_key,
    load_public_key,
    sign_to_header,
    verify_sign_header,
)

from ..support import DATA

BACKENDS = available_backends()
PEM_PKCS8 = (DATA / "merchant_pkcs8.pem").read_text()
PEM_PKCS1 = (DATA / "merchant_pkcs1.pem").read_text()
PEM_PUBLIC = (DATA / "merchant_public.pem").read_text()
GOLDEN_BODY = (DATA / "golden_body.json").read_bytes()
GOLDEN_SIG = (DATA / "golden_body.sig.b64").read_text().strip()


def _pem_body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    if shutil.which("openssl") is None:  # pragma: no cover - openssl ships with the CI image
        pytest.fail("the openssl command line is required for the golden-vector tests")
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def test_both_backends_are_available_and_cryptography_is_preferred() -> None:
    assert BACKENDS == ("cryptography", "pycryptodome")
    assert default_backend() == "cryptography"


@pytest.mark.parametrize("backend", BACKENDS)
def test_golden_vector(backend: str) -> None:
    signer = RsaSigner(PEM_PKCS8, backend=backend)  # type: ignore[arg-type]
    assert base64.b64encode(signer.sign(GOLDEN_BODY)).decode() == GOLDEN_SIG


def test_golden_vector_matches_openssl_command_line(tmp_path: Path) -> None:
    sig = _openssl(
        "dgst", "-sha256", "-sign", str(DATA / "merchant_pkcs8.pem"), str(DATA / "golden_body.json")
    )
    assert base64.b64encode(sig).decode() == GOLDEN_SIG


@pytest.mark.parametrize("backend", BACKENDS)
def test_openssl_verifies_our_signature_over_arbitrary_bytes(backend: str, tmp_path: Path) -> None:
    body = '{"data":{"subject":"caf\u00e9 \u2603","amount":1.10}}'.encode()
    (tmp_path / "body").write_bytes(body)
    (tmp_path / "sig").write_bytes(RsaSigner(PEM_PKCS1, backend=backend).sign(body))  # type: ignore[arg-type]
    out = _openssl(
        "dgst",
        "-sha256",
        "-verify",
        str(DATA / "merchant_public.pem"),
        "-signature",
        str(tmp_path / "sig"),
        str(tmp_path / "body"),
    )
    assert b"Verified OK" in out


def test_backends_are_byte_identical_on_many_messages() -> None:
    a = RsaSigner(PEM_PKCS8, backend="cryptography")
    b = RsaSigner(PEM_PKCS8, backend="pycryptodome")
    for i in range(20):
        msg = b"x" * i + bytes(range(i))
        assert a.sign(msg) == b.sign(msg)


def _der_b64_pkcs8() -> str:
    return _pem_body(PEM_PKCS8)


def _der_b64_pkcs1() -> str:
    return _pem_body(PEM_PKCS1)


@pytest.mark.parametrize(
    "material",
    [
        PEM_PKCS8,
        PEM_PKCS1,
        _der_b64_pkcs8(),
        _der_b64_pkcs1(),
        PEM_PKCS8.encode(),
        "  " + _der_b64_pkcs8() + "\n",
    ],
    ids=["pem-pkcs8", "pem-pkcs1", "b64-pkcs8", "b64-pkcs1", "pem-bytes", "b64-whitespace"],
)
def test_private_key_formats_all_load_to_the_same_key(material: str | bytes) -> None:
    key = load_private_key(material)
    assert key.der() == load_private_key(PEM_PKCS8).der()
    assert key.bits == 2048
    assert RsaVerifier(PEM_PUBLIC).verify(GOLDEN_BODY, RsaSigner(key).sign(GOLDEN_BODY))


@pytest.mark.parametrize("material", [PEM_PUBLIC, _pem_body(PEM_PUBLIC)], ids=["pem", "b64-spki"])
def test_public_key_formats(material: str) -> None:
    assert load_public_key(material).der == base64.b64decode(_pem_body(PEM_PUBLIC))


def test_pkcs1_public_key_loads() -> None:
    pkcs1_pem = _openssl("rsa", "-pubin", "-in", str(DATA / "merchant_public.pem"), "-RSAPublicKey_out")
    assert load_public_key(pkcs1_pem) == load_public_key(PEM_PUBLIC)


@pytest.mark.parametrize(
    ("material", "fragment"),
    [
        ("not a key at all!", "neither PEM nor base64"),
        (base64.b64encode(b"random bytes that are not DER").decode(), "does not load"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "does not load"),
        (PEM_PUBLIC, "is a public key"),
        ("", "does not load"),
    ],
)
def test_bad_private_keys_raise_configuration_error_without_echoing(material: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as info:
        load_private_key(material)
    body = _pem_body(PEM_PUBLIC)
    assert body[:40] not in str(info.value)
    assert material[:30] not in str(info.value) or not material


def test_private_key_in_the_public_slot_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="is a private key") as info:
        load_public_key(PEM_PKCS8)
    assert _der_b64_pkcs8()[:40] not in str(info.value)


def test_short_keys_are_refused() -> None:
    small = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
    with pytest.raises(ConfigurationError, match="1024 bits"):
        load_private_key(small)


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown signing backend"):
        RsaSigner(PEM_PKCS8, backend="openssl")  # type: ignore[arg-type]


def test_reprs_name_fingerprints_never_key_material() -> None:
    key = load_private_key(PEM_PKCS8)
    texts = [
        repr(key),
        repr(RsaSigner(key)),
        repr(RsaVerifier(PEM_PUBLIC)),
        repr(load_public_key(PEM_PUBLIC)),
    ]
    for text in texts:
        assert key.fingerprint in text
        assert _der_b64_pkcs8()[40:80] not in text
        assert _pem_body(PEM_PUBLIC)[40:80] not in text
    assert isinstance(load_private_key(key), PrivateKey)


@pytest.mark.parametrize("backend", BACKENDS)
def test_verifier_fails_closed(backend: str) -> None:
    verifier = RsaVerifier(PEM_PUBLIC, backend=backend)  # type: ignore[arg-type]
    sig = base64.b64decode(GOLDEN_SIG)
    assert verifier.verify(GOLDEN_BODY, sig)
    assert not verifier.verify(GOLDEN_BODY + b" ", sig)
    assert not verifier.verify(GOLDEN_BODY, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not verifier.verify(GOLDEN_BODY, b"")
    assert verify_sign_header(verifier, GOLDEN_BODY, GOLDEN_SIG)
    for header in (None, "", "%%%not-base64%%%", GOLDEN_SIG[:-4]):
        assert not verify_sign_header(verifier, GOLDEN_BODY, header)


async def test_sign_to_header_accepts_sync_and_async_signers() -> None:
    inner = RsaSigner(PEM_PKCS8)

    class KmsSigner:
        async def sign(self, message: bytes) -> bytes:
            return inner.sign(message)

    assert await sign_to_header(KmsSigner(), GOLDEN_BODY) == GOLDEN_SIG
    assert await sign_to_header(inner, GOLDEN_BODY) == GOLDEN_SIG

    class Broken:
        def sign(self, message: bytes) -> str:
            return "nope"

    with pytest.raises(TypeError, match="must return bytes"):
        await sign_to_header(Broken(), GOLDEN_BODY)  # type: ignore[arg-type]
