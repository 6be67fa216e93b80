"""xqg export-run: write a stored search run as a TREC run file."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    command = commands.add_parser(
        "export-run",
        parents=parents[:1],
        help="write a search run as a TREC run file (qid Q0 docid rank score tag)",
    )
    command.add_argument("run", metavar="RUN", help="a search run")
    command.add_argument("out", metavar="OUT", help="the run file to write")
    command.set_defaults(handler=cmd_export_run)


def cmd_export_run(args: argparse.Namespace) -> int:
    """xqg export-run."""
    from pipelines.trec import export_run
    from xqg_tui.commands import context
    from xqg_tui.console import marked, out

    with context.open_store(args) as store, context.progress().stage(f"writing {args.out}"):
        lines = export_run(store, args.run, args.out)
    out.print(marked("✓", "green", f"wrote {lines} lines of run {args.run!r} to {args.out}"))
    return 0
