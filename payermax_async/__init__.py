"""payermax_async: an asyncio client for the PayerMax payment gateway."""

from .client import PayerMaxClient
from .config import PRODUCTION_URL, SANDBOX_URL, ClientConfig
from .errors import (
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    PayerMaxError,
    ResponseLostError,
    SignatureError,
    TransportError,
)
from .models import CaptureResult, CaptureStatus
from .retry import RetryBudget, RetryEvent, RetryPolicy
from .signing import RsaSigner, RsaVerifier, Signer, Verifier

__version__ = "0.1.0"

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "ApiError",
    "CaptureResult",
    "CaptureStatus",
    "ClientConfig",
    "ConfigurationError",
    "InvalidRequestError",
    "MalformedResponseError",
    "OutcomeUnknownError",
    "PayerMaxClient",
    "PayerMaxError",
    "ResponseLostError",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "RsaSigner",
    "RsaVerifier",
    "SignatureError",
    "Signer",
    "TransportError",
    "Verifier",
    "__version__",
]
