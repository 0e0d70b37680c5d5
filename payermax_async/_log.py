"""The library's logger and the redaction that keeps card and personal data out of it."""

from __future__ import annotations

import logging
import re

__all__ = ["logger", "redact"]

logger = logging.getLogger("payermax_async")

# Field names whose string values never reach a log line, in any nesting.
_SENSITIVE = (
    "cardNo|cardNumber|cvv|cvc|securityCode|expiryMonth|expiryYear|expirationMonth|expirationYear"
    "|cardHolderFullName|cardHolderName|cardholderName|firstName|lastName|fullName|name|email"
    "|phoneNo|phone|mobile|address|addressLine1|addressLine2|street|zipCode|postalCode|birthday"
    "|dateOfBirth|idNumber|documentNo|accountNo|accountNumber|iban|bankAccount|token|paymentToken"
    "|merchantAuthToken|merchant_auth_token|clientIp|ip|userId|buyerId|address1|address2|middleName"
    "|payeePhone|birthDate|documentId|taxNo|paymentTokenID|sessionKey|redeemCode"
)
_FIELD_RE = re.compile(rb'("(?:' + _SENSITIVE.encode() + rb')"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9.eE+-]+)')


def redact(body: bytes, limit: int = 4096) -> str:
    """A body fit for a DEBUG line: sensitive values masked, length capped, never raises."""
    masked = _FIELD_RE.sub(rb'\1"***"', body[:limit])
    text = masked.decode("utf-8", "replace")
    return text if len(body) <= limit else text + f"...(+{len(body) - limit} bytes)"
