"""xqg compare: any number of search runs against one baseline, from stored values."""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui import report_files
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    compare = commands.add_parser(
        "compare",
        parents=parents[:1],
        help="compare search runs with a baseline: tests, corrections, wins/ties/losses",
        description="Compare search runs with one baseline per language, from the per-query "
        "values `xqg evaluate` stored; a run lacking a measure is evaluated first.",
    )
    compare.add_argument("runs", nargs="+", metavar="RUN", help="search runs; first = baseline")
    compare.add_argument("--baseline", help="the run to compare with (default: the first)")
    compare.add_argument(
        "--measures", help="measures, e.g. MRR@10,R@2kt (default: every measure all runs have)"
    )
    report_files.add_statistics_options(compare)
    report_files.add_output_options(compare)
    compare.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """xqg compare."""
    from pipelines.compare import compare

    report_files.check_outputs(args)
    measures = [m.strip() for m in args.measures.split(",") if m.strip()] if args.measures else None
    with context.open_store(args) as store:
        report = compare(
            store,
            args.runs,
            baseline=args.baseline,
            measures=measures,
            test=args.test,
            correction=args.correction,
            alpha=args.level,
            progress=context.progress(),
        )
    report_files.show_report(report, args)
    return 0
