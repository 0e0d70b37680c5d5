"""RSA SHA256WithRSA signing and verifying, and key loading.

Signing is most of a capture's client CPU, so the backend is a strategy: pycryptodome is always
installed; the ``cryptography`` package (OpenSSL, the ``fast`` extra) is about four times faster and
gives byte-identical signatures (PKCS#1 v1.5 is deterministic), so it wins whenever it is importable
unless the caller pins a backend. Keys are parsed once, here, and never printed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Awaitable
from typing import Literal, Protocol, runtime_checkable

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ._sign_header import as_header, sign_to_header, verify_sign_header
from .errors import ConfigurationError

__all__ = [
    "Backend",
    "PrivateKey",
    "PublicKey",
    "RsaSigner",
    "RsaVerifier",
    "Signer",
    "Verifier",
    "available_backends",
    "default_backend",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
    "as_header",
    "sign_to_header",
    "verify_sign_header",
]

Backend = Literal["cryptography", "pycryptodome"]
MIN_KEY_BITS = 2048

try:  # the ``fast`` extra
    from cryptography.exceptions import InvalidSignature as _InvalidSignature
    from cryptography.exceptions import UnsupportedAlgorithm as _UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes as _hashes
    from cryptography.hazmat.primitives import serialization as _serialization
    from cryptography.hazmat.primitives.asymmetric import padding as _padding
    from cryptography.hazmat.primitives.asymmetric import rsa as _rsa

    _HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - exercised only without the extra
    _HAVE_CRYPTOGRAPHY = False


@runtime_checkable
class Signer(Protocol):
    """Anything that turns message bytes into a raw RSA signature.

    ``sign`` may be a coroutine function, for a KMS or HSM; the client awaits it. A synchronous
    signer may say ``releases_gil = True`` (as ``RsaSigner`` on ``cryptography`` does): the client then
    signs on a thread of its own while other calls are in flight (``sign_in_thread``).
    """

    def sign(self, message: bytes) -> bytes | Awaitable[bytes]: ...


@runtime_checkable
class Verifier(Protocol):
    """Checks PayerMax's signature over raw bytes; returns False rather than raising."""

    def verify(self, message: bytes, signature: bytes) -> bool: ...


def available_backends() -> tuple[Backend, ...]:
    return ("cryptography", "pycryptodome") if _HAVE_CRYPTOGRAPHY else ("pycryptodome",)


def default_backend() -> Backend:
    return available_backends()[0]


def _resolve_backend(backend: Backend | None) -> Backend:
    if backend is None:
        return default_backend()
    if backend not in ("cryptography", "pycryptodome"):
        raise ConfigurationError(f"unknown signing backend {backend!r}")
    if backend == "cryptography" and not _HAVE_CRYPTOGRAPHY:
        raise ConfigurationError(
            "signing backend 'cryptography' is not installed: pip install 'payermax-async[fast]'"
        )
    return backend


def _der_from_text(text: str | bytes, what: str) -> bytes:
    """Accept PEM (any RSA flavour) or PayerMax's one-line base64 DER; return raw DER or PEM bytes.

    Every refusal is raised outside the ``except`` that caught the cause, so that no exception
    chain (``__context__`` included) carries the input: a ``UnicodeEncodeError`` holds the whole
    string it failed on, and that string may be a real key.
    """
    if isinstance(text, str):
        if not text.isascii():
            raise ConfigurationError(f"{what} contains non-ASCII characters; a key is ASCII text")
        raw = text.encode("ascii")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
    else:
        raise ConfigurationError(f"{what} must be str or bytes, not {type(text).__name__}")
    stripped = raw.strip()
    if stripped.startswith(b"-----BEGIN"):
        return stripped
    decoded: bytes | None
    try:
        decoded = base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is None:
        raise ConfigurationError(f"{what} is neither PEM nor base64 DER")
    return decoded


def _pycryptodome_import(material: bytes) -> RSA.RsaKey | None:
    try:
        return RSA.import_key(material)
    except (ValueError, IndexError, TypeError):
        return None


def _parse_private(material: bytes) -> tuple[bytes, int, bytes] | None:
    """(PKCS#8 DER, bits, SPKI DER), or None when this is not an RSA private key.

    OpenSSL parses and validates a key in a third of pycryptodome's time, so it is used when present.
    """
    if _HAVE_CRYPTOGRAPHY:
        loader = (
            _serialization.load_pem_private_key
            if material.startswith(b"-----")
            else (_serialization.load_der_private_key)
        )
        try:
            key = loader(material, password=None)
        except (ValueError, TypeError, _UnsupportedAlgorithm):
            return None
        if not isinstance(key, _rsa.RSAPrivateKey):
            return None
        return (
            key.private_bytes(
                _serialization.Encoding.DER,
                _serialization.PrivateFormat.PKCS8,
                _serialization.NoEncryption(),
            ),
            key.key_size,
            _spki(key.public_key()),
        )
    rsa_key = _pycryptodome_import(material)  # pragma: no cover - without the extra
    if rsa_key is None or not rsa_key.has_private():  # pragma: no cover
        return None
    return (  # pragma: no cover
        rsa_key.export_key(format="DER", pkcs=8),
        rsa_key.size_in_bits(),
        rsa_key.public_key().export_key(format="DER"),
    )


def _parse_public(material: bytes) -> tuple[bytes, int] | None:
    """(SPKI DER, bits), or None when this is not an RSA public key."""
    if _HAVE_CRYPTOGRAPHY:
        loader = (
            _serialization.load_pem_public_key
            if material.startswith(b"-----")
            else (_serialization.load_der_public_key)
        )
        try:
            key = loader(material)
        except (ValueError, TypeError, _UnsupportedAlgorithm):
            return None
        if not isinstance(key, _rsa.RSAPublicKey):
            return None
        return _spki(key), key.key_size
    rsa_key = _pycryptodome_import(material)  # pragma: no cover - without the extra
    if rsa_key is None or rsa_key.has_private():  # pragma: no cover
        return None
    return rsa_key.export_key(format="DER"), rsa_key.size_in_bits()  # pragma: no cover


def _spki(key: _rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(_serialization.Encoding.DER, _serialization.PublicFormat.SubjectPublicKeyInfo)


def _check_bits(bits: int, what: str) -> None:
    if bits < MIN_KEY_BITS:
        raise ConfigurationError(f"{what} is {bits} bits; PayerMax uses RSA 2048")


def _fingerprint(public_der: bytes) -> str:
    return hashlib.sha256(public_der).hexdigest()[:16]


class PrivateKey:
    """A parsed merchant private key. Its repr names only the public fingerprint."""

    __slots__ = ("_der", "bits", "fingerprint")

    def __init__(self, der_pkcs8: bytes, bits: int, fingerprint: str) -> None:
        self._der = der_pkcs8
        self.bits = bits
        self.fingerprint = fingerprint

    def der(self) -> bytes:
        """PKCS#8 DER. A method, not an attribute, so that it never shows up in vars() dumps."""
        return self._der

    def __repr__(self) -> str:
        return f"PrivateKey(bits={self.bits}, fingerprint={self.fingerprint})"


class PublicKey:
    """A parsed RSA public key (X.509 SubjectPublicKeyInfo)."""

    __slots__ = ("bits", "der", "fingerprint")

    def __init__(self, der_spki: bytes, bits: int) -> None:
        self.der = der_spki
        self.bits = bits
        self.fingerprint = _fingerprint(der_spki)

    def __repr__(self) -> str:
        return f"PublicKey(bits={self.bits}, fingerprint={self.fingerprint})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


def load_private_key(key: str | bytes | PrivateKey) -> PrivateKey:
    """Load bare base64 PKCS#8 DER (what PayerMax issues), PEM PKCS#8, PEM PKCS#1 or base64 PKCS#1."""
    if isinstance(key, PrivateKey):
        return key
    material = _der_from_text(key, "private_key")
    parsed = _parse_private(material)
    if parsed is None:
        if _parse_public(material) is not None:
            raise ConfigurationError("private_key is a public key")
        raise ConfigurationError("private_key does not load as an RSA private key")
    der, bits, public_der = parsed
    _check_bits(bits, "private_key")
    return PrivateKey(der, bits, _fingerprint(public_der))


def load_public_key(key: str | bytes | PublicKey) -> PublicKey:
    """Load bare base64 X.509 DER (what PayerMax issues), PEM, or PKCS#1.

    A private key is refused here: pasting one into the public-key slot is a leak waiting to happen.
    """
    if isinstance(key, PublicKey):
        return key
    material = _der_from_text(key, "payermax_public_key")
    parsed = _parse_public(material)
    if parsed is None:
        if _parse_private(material) is not None:
            raise ConfigurationError("payermax_public_key is a private key; expected a public key")
        raise ConfigurationError("payermax_public_key does not load as an RSA public key")
    der, bits = parsed
    _check_bits(bits, "payermax_public_key")
    return PublicKey(der, bits)


def generate_key_pair(bits: int = MIN_KEY_BITS) -> tuple[str, str]:
    """A fresh key pair as PayerMax exchanges them: (base64 PKCS#8 private, base64 X.509 public)."""
    if _HAVE_CRYPTOGRAPHY:
        private = _rsa.generate_private_key(public_exponent=65537, key_size=bits)
        priv_der = private.private_bytes(
            _serialization.Encoding.DER,
            _serialization.PrivateFormat.PKCS8,
            _serialization.NoEncryption(),
        )
        pub_der = private.public_key().public_bytes(
            _serialization.Encoding.DER, _serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:  # pragma: no cover - exercised only without the extra
        key = RSA.generate(bits)
        priv_der = key.export_key(format="DER", pkcs=8)
        pub_der = key.public_key().export_key(format="DER")
    return base64.b64encode(priv_der).decode(), base64.b64encode(pub_der).decode()


class RsaSigner:
    """SHA256WithRSA over the exact bytes given, on the chosen backend."""

    __slots__ = ("_sign", "backend", "fingerprint")

    def __init__(self, private_key: str | bytes | PrivateKey, *, backend: Backend | None = None):
        key = load_private_key(private_key)
        self.backend: Backend = _resolve_backend(backend)
        self.fingerprint = key.fingerprint
        if self.backend == "cryptography":
            # Validated once in load_private_key; skipping OpenSSL's re-check saves ~50 ms.
            loaded = _serialization.load_der_private_key(
                key.der(), password=None, unsafe_skip_rsa_key_validation=True
            )
            assert isinstance(loaded, _rsa.RSAPrivateKey)
            pad, algo = _padding.PKCS1v15(), _hashes.SHA256()

            def sign(message: bytes) -> bytes:
                return loaded.sign(message, pad, algo)
        else:
            scheme = pkcs1_15.new(RSA.import_key(key.der()))

            def sign(message: bytes) -> bytes:
                return scheme.sign(SHA256.new(message))

        self._sign = sign

    def sign(self, message: bytes) -> bytes:
        return self._sign(message)

    @property
    def releases_gil(self) -> bool:
        """OpenSSL signs without the GIL, pycryptodome mostly with it: whether another thread helps."""
        return self.backend == "cryptography"

    def __repr__(self) -> str:
        return f"RsaSigner(backend={self.backend!r}, fingerprint={self.fingerprint})"


class RsaVerifier:
    """Verifies PayerMax's SHA256WithRSA signatures with its public key."""

    __slots__ = ("_verify", "backend", "fingerprint")

    def __init__(self, public_key: str | bytes | PublicKey, *, backend: Backend | None = None):
        key = load_public_key(public_key)
        self.backend: Backend = _resolve_backend(backend)
        self.fingerprint = key.fingerprint
        if self.backend == "cryptography":
            loaded = _serialization.load_der_public_key(key.der)
            assert isinstance(loaded, _rsa.RSAPublicKey)
            pad, algo = _padding.PKCS1v15(), _hashes.SHA256()

            def verify(message: bytes, signature: bytes) -> bool:
                try:
                    loaded.verify(signature, message, pad, algo)
                except _InvalidSignature:
                    return False
                return True
        else:
            scheme = pkcs1_15.new(RSA.import_key(key.der))

            def verify(message: bytes, signature: bytes) -> bool:
                try:
                    scheme.verify(SHA256.new(message), signature)
                except (ValueError, TypeError):
                    return False
                return True

        self._verify = verify

    def verify(self, message: bytes, signature: bytes) -> bool:
        return self._verify(message, signature)

    def __repr__(self) -> str:
        return f"RsaVerifier(backend={self.backend!r}, fingerprint={self.fingerprint})"
