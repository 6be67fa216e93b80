"""xqg gc: remove stale runs' partial outputs and vector files no run registered.

A dry run unless ``--delete`` is given: what goes is listed first, as ``git clean -n``
does, because a removed partial run cannot be continued any more.
"""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    gc = commands.add_parser(
        "gc",
        parents=parents[:1],
        help="remove stale runs and unregistered vector files (lists them unless --delete)",
    )
    gc.add_argument(
        "--delete", action="store_true", help="remove what is listed (default: only list it)"
    )
    gc.set_defaults(handler=cmd_gc)


def cmd_gc(args: argparse.Namespace) -> int:
    """xqg gc."""
    from store.lifecycle import collect_garbage, find_garbage
    from xqg_tui.console import out
    from xqg_tui.literal import literal

    with context.open_store(args, create=False) as store:
        found = find_garbage(store)
        verb = "removed" if args.delete else "would remove"
        for run in found.runs:
            out.print(literal(f"{verb} stale run {run.name!r} (run {run.id}, {run.kind})"))
        for path in found.files:
            out.print(literal(f"{verb} unregistered file {path}"))
        for run in found.resumable:
            out.print(
                literal(
                    f"kept stale run {run.name!r} (run {run.id}): its stored batches can be "
                    f"continued with `xqg generate model --db {args.db} --resume {run.name}`"
                )
            )
        if args.delete:
            collect_garbage(store, found)
        elif found.runs or found.files:
            out.print("nothing removed yet; run again with --delete to remove it")
        else:
            out.print("nothing to remove")
    return 0
