"""The ``User-Agent`` every request carries, so that PayerMax's support (and a merchant's own proxy
logs) can tell which client, Python and aiohttp sent a request when a problem is reported."""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

import aiohttp

__all__ = ["package_version", "user_agent"]


@lru_cache(maxsize=1)
def package_version() -> str:
    try:
        return version("payermax-async")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree never installed
        return "0+unknown"


@lru_cache(maxsize=1)
def user_agent() -> str:
    """``payermax-async/<version> Python/<x.y.z> aiohttp/<version>``."""
    return (
        f"payermax-async/{package_version()} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
    )
