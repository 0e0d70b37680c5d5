"""Where the capture command gets its merchant credentials: the environment, or a config file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import SANDBOX_URL
from ..errors import ConfigurationError

__all__ = ["load_client_options"]

_ENV = {
    "app_id": ("PAYERMAX_APP_ID",),
    "merchant_no": ("PAYERMAX_MERCHANT_NO",),
    "private_key": ("PAYERMAX_PRIVATE_KEY", "PAYERMAX_MERCHANT_PRIVATE_KEY"),
    "private_key_file": ("PAYERMAX_PRIVATE_KEY_FILE",),
    "payermax_public_key": ("PAYERMAX_PUBLIC_KEY",),
    "payermax_public_key_file": ("PAYERMAX_PUBLIC_KEY_FILE",),
    "base_url": ("PAYERMAX_BASE_URL",),
}

_FILE_ALIASES = {"public_key": "payermax_public_key", "public_key_file": "payermax_public_key_file"}


def _load_config_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read config {path}: {exc.strerror or exc}") from None
    data: Any
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(f"config {path} is not valid JSON: {exc}") from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"config {path} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"config {path} must hold a table of settings")
    section = data.get("payermax", data)
    if not isinstance(section, dict):
        raise ConfigurationError(f"config {path}: [payermax] must be a table")
    return {_FILE_ALIASES.get(str(k), str(k)): v for k, v in section.items()}


def _read_key_file(path: str, what: str) -> str:
    try:
        return Path(path).expanduser().read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigurationError(f"cannot read the {what} file {path}: {reason}") from None


def load_client_options(config: Path | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """:class:`PayerMaxClient` keyword arguments from the config file and the environment.

    Error messages name the setting that is missing or unreadable, never a key's contents.
    """
    settings: dict[str, Any] = _load_config_file(config) if config is not None else {}
    for name, variables in _ENV.items():
        for variable in variables:
            if environ.get(variable):
                settings[name] = environ[variable]
                break
    for name in ("private_key", "payermax_public_key"):
        path = settings.pop(f"{name}_file", None)
        if path and not settings.get(name):
            settings[name] = _read_key_file(str(path), name.replace("_", " "))
    missing = [
        variables[0]
        for name, variables in _ENV.items()
        if name in ("app_id", "merchant_no", "private_key", "payermax_public_key") and not settings.get(name)
    ]
    if missing:
        raise ConfigurationError(
            "missing credentials: " + ", ".join(missing) + " (set them in the environment or --config)"
        )
    options = {k: settings[k] for k in ("app_id", "merchant_no", "private_key", "payermax_public_key")}
    options["base_url"] = settings.get("base_url") or SANDBOX_URL
    for key in ("app_id", "merchant_no", "base_url"):
        if not isinstance(options[key], str):
            raise ConfigurationError(f"{key} must be a string")
    return options


def _check_client(options: Mapping[str, Any]) -> None:
    """Build a client once, so bad keys or a bad URL fail before the input is touched."""
    from ..client import PayerMaxClient

    PayerMaxClient(**options)  # never used: nothing is sent and the session is created lazily
