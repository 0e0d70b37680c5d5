"""The ``payermax-async`` command line: capture, simulate, demo."""

from .main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
