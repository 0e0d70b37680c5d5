"""The simulator's two key pairs: the merchant's (its requests are verified with the public half)
and PayerMax's (its answers and notifications are signed with the private half).

A test may bring any half in any form a merchant holds it (bare base64 DER or PEM); whatever it
leaves out is generated, or derived from the private half it gave. Keys come out as bare base64
DER, the form PayerMax hands out and the client takes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from Crypto.PublicKey import RSA

from ..signing import generate_key_pair, load_private_key

__all__ = ["GatewayKeys", "gateway_keys"]


@dataclass(frozen=True, slots=True)
class GatewayKeys:
    #: None when the merchant keeps its private key elsewhere (an HSM, say)
    merchant_private: str | None = field(repr=False)
    merchant_public: str
    payermax_private: str = field(repr=False)
    payermax_public: str


def gateway_keys(
    merchant_private_key: str | bytes | None,
    merchant_public_key: str | None,
    payermax_private_key: str | bytes | None,
    payermax_public_key: str | None,
) -> GatewayKeys:
    """Both pairs, completed: a missing pair is generated, a missing public half derived."""
    merchant_private: str | None
    if merchant_private_key is not None:
        merchant_private = _bare_private(merchant_private_key)
        merchant_public = merchant_public_key or _public_of(merchant_private)
    elif merchant_public_key is not None:
        merchant_private, merchant_public = None, merchant_public_key
    else:
        merchant_private, merchant_public = generate_key_pair()
    if payermax_private_key is not None:
        payermax_private = _bare_private(payermax_private_key)
        payermax_public = payermax_public_key or _public_of(payermax_private)
    else:
        payermax_private, payermax_public = generate_key_pair()
    return GatewayKeys(merchant_private, merchant_public, payermax_private, payermax_public)


def _bare_private(key: str | bytes) -> str:
    """Bare base64 is kept as given (the signer validates it); PEM is converted to PKCS#8 DER."""
    if isinstance(key, str) and not key.lstrip().startswith("-----"):
        return "".join(key.split())
    return base64.b64encode(load_private_key(key).der()).decode("ascii")


def _public_of(private_b64: str) -> str:
    """The X.509 public key of a private key. Validating a private key costs ~50 ms and the
    signer built from it validates it anyway, so the fast path skips that here."""
    der = base64.b64decode(private_b64)
    try:
        from cryptography.hazmat.primitives import serialization

        loaded = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
        public_der = loaded.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except ImportError:  # pragma: no cover - exercised only without the ``fast`` extra
        public_der = RSA.import_key(der).public_key().export_key(format="DER")
    return base64.b64encode(public_der).decode("ascii")
