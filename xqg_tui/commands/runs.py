"""xqg runs: every run with its status and summary."""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    runs = commands.add_parser("runs", parents=parents[:1], help="list runs")
    runs.add_argument("--kind", help="only runs of this kind (ingest, index, generate, ...)")
    runs.add_argument(
        "--stale",
        action="store_true",
        help="only running runs whose process is gone (rerun the step to continue or "
        "replace one; `xqg gc` removes them)",
    )
    runs.add_argument(
        "--json",
        action="store_true",
        help="print the runs as a JSON list (id, kind, name, collection, status, started, "
        "ended, summary, error) instead of a table",
    )
    runs.set_defaults(handler=cmd_runs)


def cmd_runs(args: argparse.Namespace) -> int:
    """xqg runs."""
    from store.collections import list_collections
    from store.lifecycle import stale_runs
    from store.runs import list_runs

    with context.open_store(args) as store:
        stale = {run.id: owner for run, owner in stale_runs(store)} if args.stale else {}
        names = {c.id: c.name for c in list_collections(store)}
        shown = [
            {
                "id": run.id,
                "kind": run.kind,
                "name": run.name,
                "collection": names.get(run.collection_id or 0),
                "status": _stale_status(stale[run.id]) if run.id in stale else run.status,
                "started": run.started_at,
                "ended": run.ended_at,
                "summary": run.summary,
                "error": run.error,
            }
            for run in list_runs(store, args.kind)
            if run.id in stale or not args.stale
        ]
    if args.json:
        import json
        import sys

        sys.stdout.write(json.dumps(shown, ensure_ascii=False, indent=2) + "\n")
        return 0
    _print_runs(shown, args.db)
    return 0


# Columns every row shows whole; the others follow while the terminal has room.
WHOLE = ("id", "kind", "name", "collection", "status")
OPTIONAL = ("started", "ended", "summary")
SUMMARY_WIDTH = 80


def _print_runs(shown: list[dict[str, Any]], db: str) -> None:
    """The runs as a table: id, kind, name, collection and status whole (other commands
    take them); started, ended and the summary while the terminal has room."""
    from rich.table import Table

    from xqg_tui.console import out, print_table

    cells = [_cells(run) for run in shown]
    widths = {
        column: max([len(column)] + [len(row[column]) for row in cells])
        for column in (*WHOLE, *OPTIONAL)
    }
    widths["summary"] = min(widths["summary"], SUMMARY_WIDTH)
    columns, room = list(WHOLE), out.width - 1 - sum(widths[c] + 3 for c in WHOLE)
    for column in OPTIONAL:
        if widths[column] + 3 <= room:
            columns.append(column)
            room -= widths[column] + 3
    table = Table(title=f"runs in {db}")
    for column in columns:
        whole = column in WHOLE
        table.add_column(
            column,
            justify="right" if column == "id" else "left",
            no_wrap=whole,
            min_width=widths[column] if whole else None,
        )
    for row in cells:
        table.add_row(*(row[column] for column in columns))
    print_table(table)


def _cells(run: dict[str, Any]) -> dict[str, str]:
    summary = ", ".join(
        f"{k}={v}" for k, v in run["summary"].items() if isinstance(v, (int, float, str))
    )
    return {
        "id": str(run["id"]),
        "kind": run["kind"],
        "name": run["name"],
        "collection": run["collection"] or "",
        "status": run["status"],
        "started": run["started"],
        "ended": run["ended"] or "",
        "summary": summary[:SUMMARY_WIDTH],
    }


def _stale_status(owner: Any) -> str:
    """``stale: process 12 on host is gone``, for a running run nobody writes."""
    return f"stale: {owner.describe()} is gone" if owner else "stale: no owner recorded"
