"""``python -m payermax_async`` / ``payermax-async``: the parser and the dispatch.

Each subcommand is a pair of functions: ``add_<name>(subparsers)`` declares its arguments and
sets ``run`` to ``run_<name>(args) -> int``. Adding one means writing that pair and listing the
``add_`` function in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import __version__
from ..errors import PayerMaxError
from .args import OneLineErrorParser, command_names
from .capture import add_capture
from .demo import add_demo
from .fleet import add_status, add_worker
from .report import EXIT_UNRESOLVED
from .simulate import add_simulate

__all__ = ["COMMANDS", "build_parser", "main"]

Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure ends as a message and an exit code: 3 (unresolved) when a command stopped on
    an error it did not expect, since what it had sent by then is unknown."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:  # no command: say what there is, in one line
        names = ", ".join(command_names(parser))
        print(f"{parser.prog}: a command is required: {names} (see {parser.prog} --help)", file=sys.stderr)
        return 2
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except PayerMaxError as exc:
        print(f"payermax-async: {exc.message}", file=sys.stderr)
        return EXIT_UNRESOLVED
    except Exception as exc:  # MemoryError, a damaged database, a bug: a line and a code, not a trace
        print(f"payermax-async: stopped by {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return EXIT_UNRESOLVED


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="payermax-async",
        description="PayerMax asyncio client: a local gateway simulator and a capture demo.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


COMMANDS: tuple[Callable[[Any], None], ...] = (add_simulate, add_demo, add_capture, add_worker, add_status)
