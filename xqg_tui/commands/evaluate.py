"""xqg evaluate: per-query values into the store, per-language tables and paired tests."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES
from xqg_tui import report_files
from xqg_tui.commands import context
from xqg_tui.commands.context import listed


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    evaluate = commands.add_parser(
        "evaluate",
        parents=parents,
        help="per-language metrics and paired tests (stores per-query values)",
        description="Compute and store per-query values of search runs, then compare "
        "them with the first run per language. `xqg compare` compares stored values.",
    )
    evaluate.add_argument("runs", nargs="+", metavar="RUN", help="search runs; first = baseline")
    evaluate.add_argument("--kt", default=listed(DEFAULT_KT), help="R@kt token budgets")
    evaluate.add_argument("--measures", default=listed(DEFAULT_MEASURES))
    evaluate.add_argument(
        "--complete",
        action="store_true",
        help="judged queries without results score 0 in qrels measures (trec_eval -c); by "
        "default they are left out of the means, as trec_eval leaves them",
    )
    report_files.add_statistics_options(evaluate)
    report_files.add_output_options(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """xqg evaluate."""
    from pipelines.evaluate import evaluate

    report_files.check_outputs(args)
    kt = context.integers(args.kt, "--kt")
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    with context.open_store(args) as store:
        report = evaluate(
            store,
            args.runs,
            measures=measures,
            kt=kt,
            name=args.name,
            test=args.test,
            correction=args.correction,
            alpha=args.level,
            complete=args.complete,
            progress=context.progress(),
        )
    report_files.show_report(report, args)
    return 0
