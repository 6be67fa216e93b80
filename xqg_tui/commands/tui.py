"""xqg tui: the terminal app over a database."""

from __future__ import annotations

import argparse
from typing import Any

EXIT_BAD_INPUT = 2


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    tui = commands.add_parser(
        "tui",
        parents=parents[:1],
        help="browse passages, search, compare runs (terminal app)",
        description="Open the terminal app: passages and generated queries, search in any "
        "language, per-language comparisons, runs. Press ? inside for every key.",
    )
    tui.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    """xqg tui: check the database before the app starts, then run it."""
    from store.errors import StoreError
    from xqg_tui.app.library import Library
    from xqg_tui.console import err, marked

    try:
        library = Library.open(args.db)
    except StoreError as error:  # missing, empty, foreign or newer: a message, not a traceback
        err.print(marked("error:", "bold red", error), soft_wrap=True)
        return EXIT_BAD_INPUT
    from xqg_tui.app.app import XQGApp

    app = XQGApp(library)
    try:
        app.run()
    finally:
        library.close()
    # Textual prints the error of a crashed app and sets a non-zero return code.
    return 1 if app.return_code else 0
