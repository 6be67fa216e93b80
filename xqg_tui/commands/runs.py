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
    runs.set_defaults(handler=cmd_runs)


def cmd_runs(args: argparse.Namespace) -> int:
    """xqg runs."""
    from rich.table import Table

    from store.lifecycle import stale_runs
    from store.runs import list_runs
    from xqg_tui.console import print_table

    with context.open_store(args) as store:
        table = Table(title=f"runs in {args.db}")
        for column in ("id", "kind", "name", "status", "started", "ended", "summary"):
            table.add_column(column)
        stale = {run.id: owner for run, owner in stale_runs(store)} if args.stale else {}
        shown = [run for run in list_runs(store, args.kind) if run.id in stale or not args.stale]
        for run in shown:
            summary = ", ".join(
                f"{k}={v}" for k, v in run.summary.items() if isinstance(v, (int, float, str))
            )
            table.add_row(
                str(run.id),
                run.kind,
                run.name,
                _stale_status(stale[run.id]) if run.id in stale else run.status,
                run.started_at,
                run.ended_at or "",
                summary[:80],
            )
    print_table(table)
    return 0


def _stale_status(owner: Any) -> str:
    """``stale: process 12 on host is gone``, for a running run nobody writes."""
    return f"stale: {owner.describe()} is gone" if owner else "stale: no owner recorded"
