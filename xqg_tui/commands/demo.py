"""xqg demo: the main job, the whole xQG experiment on XQuAD with e5-small."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipelines.metrics.measures import SHOWN_FIRST
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    demo = commands.add_parser("demo", parents=parents[:1], help="the whole experiment on XQuAD")
    demo.add_argument("--xquad", help="folder with xquad.<lang>.json (default: download)")
    demo.add_argument("--out", help="folder for reports (default: beside the database)")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """xqg demo: the whole experiment on XQuAD with e5-small."""
    import time

    from pipelines.demo import run_demo, xquad_folder
    from xqg_tui.console import out

    started = time.perf_counter()
    folder = xquad_folder(args.xquad)
    with context.open_store(args, create=True, make_folder=True) as store:
        report = run_demo(store, folder, progress=context.progress())
    out_dir = Path(args.out) if args.out else Path(args.db).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    context.print_report(
        report, list(SHOWN_FIRST), str(out_dir / "report.json"), str(out_dir / "report.md")
    )
    out.print(f"database: {args.db}; vectors: {Path(args.db).with_suffix('.vectors')}/")
    out.print(f"  sqlite3 {args.db} 'SELECT kind, name, status FROM runs'")
    out.print(f"  xqg search --db {args.db} --index demo-xqg-sum --name my-search --trec run.trec")
    out.print(f"wall time: {time.perf_counter() - started:.0f} s")
    return 0
