"""Client configuration, validated once at construction so that a bad key or URL fails at startup,
not at the first capture of the night."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .keys import PublicKeys, verifier_for
from .retry import RetryPolicy
from .signing import Backend, RsaSigner, Signer, Verifier

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "ClientConfig",
    "ClientOptions",
    "validate_base_url",
]

SANDBOX_URL = "https://pay-gate-uat.payermax.com"
PRODUCTION_URL = "https://pay-gate.payermax.com"
API_PATH = "/aggregate-pay/api/gateway/"


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``PayerMaxClient(...)`` and :meth:`ClientConfig.build`, declared once.

    Defaults (applied by :meth:`ClientConfig.build`): the sandbox ``base_url``, ``timeout`` 15 s per
    attempt, ``connect_timeout`` 5 s, ``max_connections`` 100, ``deadline`` 60 s per call, and the
    :class:`RetryPolicy` defaults (2 retries), ``key_version`` "1" (the envelope's ``keyVersion``:
    which of the merchant's registered keys signed the request), ``sign_in_thread`` None (sign on a
    thread of the client's own while other calls are in flight, for a signer that releases the GIL,
    on two CPUs or more; True: always on that thread; False: always on the event loop).
    """

    app_id: str  # required, like merchant_no
    merchant_no: str
    private_key: str | bytes | None
    signer: Signer | None
    payermax_public_key: PublicKeys | None  # several keys during a rotation
    verifier: Verifier | None
    backend: Backend | None
    base_url: str
    timeout: float
    connect_timeout: float
    max_retries: int | None
    max_connections: int
    deadline: float | None
    retry: RetryPolicy | None
    versions: Mapping[str, str] | None
    sp_merchant_no: str | None
    merchant_auth_token: str | None
    key_version: str
    sign_in_thread: bool | None  # None: on a thread while other calls are in flight, if that helps


_OPTION_NAMES = frozenset(ClientOptions.__annotations__)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(base_url: str) -> str:
    """The origin only. Plain http is allowed for loopback (the simulator), never across a network."""
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string")
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"base_url {base_url!r} is not a valid URL: {exc}") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"base_url {base_url!r} must be https://host[:port]")
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url {base_url!r} must be an origin only; the client appends {API_PATH}<apiName>"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(f"base_url {base_url!r} must use https (http only for loopback)")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def _check_id(value: object, name: str, max_length: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_length or not value.isprintable():
        raise ConfigurationError(f"{name} must be a non-empty string of at most {max_length} characters")
    return value


@dataclass(frozen=True, slots=True, repr=False)
class ClientConfig:
    """Everything a client needs; keys are already turned into a signer and a verifier."""

    app_id: str
    merchant_no: str
    signer: Signer
    verifier: Verifier
    base_url: str = SANDBOX_URL
    timeout: float = 15.0
    connect_timeout: float = 5.0
    max_connections: int = 100
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    versions: dict[str, str] = field(default_factory=dict)
    sp_merchant_no: str | None = None
    merchant_auth_token: str | None = None
    key_version: str = "1"
    sign_in_thread: bool | None = None

    def __post_init__(self) -> None:
        _check_id(self.app_id, "app_id", 64)
        _check_id(self.merchant_no, "merchant_no", 32)
        object.__setattr__(self, "base_url", validate_base_url(self.base_url))
        if not (isinstance(self.timeout, (int, float)) and self.timeout > 0):
            raise ConfigurationError("timeout must be a positive number of seconds")
        if not (isinstance(self.connect_timeout, (int, float)) and self.connect_timeout > 0):
            raise ConfigurationError("connect_timeout must be a positive number of seconds")
        if not isinstance(self.max_connections, int) or self.max_connections < 1:
            raise ConfigurationError("max_connections must be a positive int")
        if not callable(getattr(self.signer, "sign", None)):
            raise ConfigurationError("signer must have a sign(bytes) method")
        if not callable(getattr(self.verifier, "verify", None)):
            raise ConfigurationError("verifier must have a verify(bytes, bytes) method")
        if self.sp_merchant_no is not None:
            _check_id(self.sp_merchant_no, "sp_merchant_no", 32)
        _check_id(self.key_version, "key_version", 8)
        if self.sign_in_thread is not None and not isinstance(self.sign_in_thread, bool):
            raise ConfigurationError("sign_in_thread must be True, False or None")

    @classmethod
    def build(cls, **options: Unpack[ClientOptions]) -> ClientConfig:
        """Load keys once; exactly one of ``private_key`` / ``signer`` and of the public key / verifier.

        ``retry`` replaces the whole policy (``deadline`` is then the policy's); ``max_retries``
        applies on top of either.
        """
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:
            raise TypeError(f"unexpected client option(s): {', '.join(unknown)}")
        missing = [name for name in ("app_id", "merchant_no") if name not in options]
        if missing:
            raise TypeError(f"missing required client option(s): {', '.join(missing)}")
        private_key = options.get("private_key")
        signer = options.get("signer")
        payermax_public_key = options.get("payermax_public_key")
        verifier = options.get("verifier")
        backend = options.get("backend")
        if (private_key is None) == (signer is None):
            raise ConfigurationError("pass exactly one of private_key or signer")
        if (payermax_public_key is None) == (verifier is None):
            raise ConfigurationError("pass exactly one of payermax_public_key or verifier")
        if signer is None:
            assert private_key is not None
            signer = RsaSigner(private_key, backend=backend)
        if verifier is None:
            assert payermax_public_key is not None
            verifier = verifier_for(payermax_public_key, backend=backend)
        retry = options.get("retry")
        max_retries = options.get("max_retries")
        try:
            if retry is None:
                retry = RetryPolicy(deadline=options.get("deadline", 60.0))
            if max_retries is not None:
                retry = dataclasses.replace(retry, max_retries=max_retries)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        return cls(
            app_id=options["app_id"],
            merchant_no=options["merchant_no"],
            signer=signer,
            verifier=verifier,
            base_url=options.get("base_url", SANDBOX_URL),
            timeout=options.get("timeout", 15.0),
            connect_timeout=options.get("connect_timeout", 5.0),
            max_connections=options.get("max_connections", 100),
            retry=retry,
            versions=dict(options.get("versions") or {}),
            sp_merchant_no=options.get("sp_merchant_no"),
            merchant_auth_token=options.get("merchant_auth_token"),
            key_version=options.get("key_version", "1"),
            sign_in_thread=options.get("sign_in_thread"),
        )

    def url(self, api_name: str) -> str:
        return f"{self.base_url}{API_PATH}{api_name}"

    def __repr__(self) -> str:
        return (
            f"ClientConfig(app_id={self.app_id!r}, merchant_no={self.merchant_no!r}, "
            f"base_url={self.base_url!r}, signer={self.signer!r}, verifier={self.verifier!r}, "
            f"timeout={self.timeout}, max_connections={self.max_connections}, retry={self.retry!r})"
        )
