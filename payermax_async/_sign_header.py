"""A signature's wire form: the base64 ``sign`` header PayerMax sends and expects.

Apart from :mod:`.signing` (keys and RSA) because it is HTTP, not cryptography: what a header that
is missing, padded wrongly or not base64 at all means (no signature: fail closed), and what a
signer's result must be before it goes out. :mod:`.signing` re-exports the public names.
"""

from __future__ import annotations

import binascii
import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .signing import Signer, Verifier

__all__ = ["as_header", "sign_to_header", "verify_sign_header"]


def _strict_b64decode(text: str) -> bytes:
    return binascii.a2b_base64(text, strict_mode=True)  # what b64decode(validate=True) runs


def verify_sign_header(verifier: Verifier, message: bytes, sign_header: str | None) -> bool:
    """Check a base64 ``sign`` header; missing or undecodable is simply False (fail closed)."""
    if not sign_header:
        return False
    try:
        signature = _strict_b64decode(sign_header)
    except (binascii.Error, ValueError, TypeError):
        return False
    return verifier.verify(message, signature)


async def sign_to_header(signer: Signer, message: bytes) -> str:
    """Run a sync or async signer and base64 the result for the ``sign`` header."""
    signature = signer.sign(message)
    if not isinstance(signature, (bytes, bytearray)) and inspect.isawaitable(signature):
        signature = await signature
    return as_header(signature)


def as_header(signature: object) -> str:
    """A signer's bytes as the ``sign`` header; anything else is the signer's bug, said so."""
    if not isinstance(signature, (bytes, bytearray)):
        raise TypeError(f"Signer.sign must return bytes, got {type(signature).__name__}")
    return binascii.b2a_base64(signature, newline=False).decode("ascii")
