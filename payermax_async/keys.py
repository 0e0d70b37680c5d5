"""PayerMax public keys during a rotation: several at once, any of which may vouch for an answer.

PayerMax rotates its signing key by announcing the new public key before it starts signing with
it. A merchant who deploys both keys ahead of the switch never rejects a genuine answer or
notification on the day it happens; once the old key is retired it is simply dropped from the
list. Verification stays fail-closed: a signature that none of the keys accepts is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigurationError
from .signing import Backend, PublicKey, RsaVerifier, Verifier

__all__ = ["AnyKeyVerifier", "PublicKeys", "verifier_for"]

#: one PayerMax public key, or several during a rotation (newest first is the cheap order)
PublicKeys = str | bytes | PublicKey | Sequence[str | bytes | PublicKey]


class AnyKeyVerifier:
    """A :class:`~payermax_async.signing.Verifier` that accepts a signature any of its keys accepts.

    Keys are tried in the order given, so put the one PayerMax signs with now first.
    """

    __slots__ = ("verifiers",)

    def __init__(self, verifiers: Sequence[Verifier]) -> None:
        if not verifiers:
            raise ConfigurationError("at least one PayerMax public key is needed")
        self.verifiers: tuple[Verifier, ...] = tuple(verifiers)

    def verify(self, message: bytes, signature: bytes) -> bool:
        return any(v.verify(message, signature) for v in self.verifiers)

    def __repr__(self) -> str:
        return f"AnyKeyVerifier({', '.join(repr(v) for v in self.verifiers)})"


def verifier_for(keys: PublicKeys, *, backend: Backend | None = None) -> Verifier:
    """One verifier for one key (as before), an :class:`AnyKeyVerifier` for a list of them."""
    if isinstance(keys, (str, bytes, PublicKey)):
        return RsaVerifier(keys, backend=backend)
    if isinstance(keys, Sequence):
        verifiers: list[Verifier] = []
        for key in keys:
            if not isinstance(key, (str, bytes, PublicKey)):
                raise ConfigurationError("each PayerMax public key must be str, bytes or PublicKey")
            verifiers.append(RsaVerifier(key, backend=backend))
        if len(verifiers) == 1:
            return verifiers[0]
        return AnyKeyVerifier(verifiers)
    raise ConfigurationError("payermax_public_key must be a key or a list of keys")
