"""msgspec wire models: the envelope and one module per API family."""

from .capture import CaptureRequest, CaptureResult, CaptureStatus
from .common import APPLY_SUCCESS, RequestEnvelope, Result, WireModel

__all__ = [
    "APPLY_SUCCESS",
    "CaptureRequest",
    "CaptureResult",
    "CaptureStatus",
    "RequestEnvelope",
    "Result",
    "WireModel",
]
