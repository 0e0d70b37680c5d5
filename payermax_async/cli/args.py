"""argparse value types shared by every subcommand, and the parser that reports usage errors."""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Callable
from typing import NoReturn, TypeVar

__all__ = ["OneLineErrorParser", "command_names", "positive_int"]

N = TypeVar("N", int, float)


class OneLineErrorParser(argparse.ArgumentParser):
    """A usage error is one line on stderr and exit status 2: a script's log shows the cause, not
    a screen of usage text (``--help`` has that)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The subcommands, for the one-line "a command is required" message."""
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def _number(text: str, convert: Callable[[str], N], what: str) -> N:
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def positive_int(text: str) -> int:
    """An argparse type; the other subcommands use it too."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _positive_float(text: str) -> float:
    value = _number(text, float, "a number")
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _port(text: str) -> int:
    value = _number(text, int, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0..65535")
    return value


def _loopback_host(text: str) -> str:
    """The simulator serves this machine only: its keys are printed for anyone to use."""
    if text == "localhost":
        return text
    try:
        loopback = ipaddress.ip_address(text).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise argparse.ArgumentTypeError(f"{text!r} is not a loopback address (127.0.0.1, ::1, localhost)")
    return text
