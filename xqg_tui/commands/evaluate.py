"""xqg evaluate: per-language metrics and paired tests."""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    evaluate = commands.add_parser(
        "evaluate", parents=parents, help="per-language metrics and paired tests"
    )
    evaluate.add_argument("runs", nargs="+", metavar="RUN", help="search runs; first = baseline")
    evaluate.add_argument("--kt", default="100,500,2000,5000", help="R@kt token budgets")
    evaluate.add_argument("--measures", default="MRR@10,nDCG@10,Recall@1,Recall@10,Recall@100")
    evaluate.add_argument("--show", help="measures to print (default: MRR@10 and R@2kt)")
    evaluate.add_argument("--json", help="write the report as JSON")
    evaluate.add_argument("--markdown", help="write the report as Markdown")
    evaluate.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """xqg evaluate."""
    from pipelines.evaluate import evaluate

    kt = context.integers(args.kt, "--kt")
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    with context.open_store(args) as store:
        report = evaluate(
            store, args.runs, measures=measures, kt=kt, name=args.name, progress=context.progress()
        )
    show = [m.strip() for m in args.show.split(",")] if args.show else None
    context.print_report(report, show, args.json, args.markdown)
    return 0
