"""xqg evaluate: per-query values into the store, per-language tables and paired tests."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES
from pipelines.options import TIE_ORDERS
from xqg_tui import report_files
from xqg_tui.commands import context
from xqg_tui.commands.context import listed

if TYPE_CHECKING:
    from pipelines.evaluate import EvaluationReport


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    evaluate = commands.add_parser(
        "evaluate",
        parents=parents,
        help="per-language metrics and paired tests (stores per-query values)",
        description="Compute and store per-query values of search runs, then compare "
        "them with the first run per language. `xqg compare` compares stored values. With "
        "--qrels, score TREC or Tevatron run files directly (nothing is stored).",
    )
    evaluate.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="search runs, or run files with --qrels; first = baseline",
    )
    evaluate.add_argument(
        "--kt",
        help=f"R@kt token budgets (default {listed(DEFAULT_KT)} when the collection has "
        "answer strings, else none; '' for none)",
    )
    evaluate.add_argument(
        "--measures",
        default=listed(DEFAULT_MEASURES),
        help="ir-measures names, comma-separated (see docs/evaluation.md)",
    )
    evaluate.add_argument(
        "--qrels", metavar="FILE", help="a TREC qrels file: RUN arguments are run files"
    )
    evaluate.add_argument(
        "--answers",
        metavar="FILE",
        help="XOR-TyDi questions with answers (.jsonl): RUN arguments are run files, scored "
        "with R@kt on --passages",
    )
    evaluate.add_argument(
        "--passages", metavar="FILE", help="the passage TSV the run files rank (for R@kt)"
    )
    evaluate.add_argument(
        "--topics",
        metavar="FILE",
        action="append",
        default=[],
        help="qid<TAB>query file(s) with --qrels; a language in the file name "
        "(topics.miracl-v1.0-ar-dev.tsv) gives its queries' language",
    )
    evaluate.add_argument(
        "--ties",
        choices=TIE_ORDERS,
        default="trec_eval",
        help="order of equal scores in run files with --qrels (as import-run --ties)",
    )
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
    kt = None if args.kt is None else context.integers(args.kt, "--kt")
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    if args.qrels or args.answers:
        report_files.show_report(_run_files(args, measures, kt), args)
        return 0
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


def _run_files(
    args: argparse.Namespace, measures: list[str], kt: list[int] | None
) -> EvaluationReport:
    from pipelines.evaluate_files import evaluate_run_files

    return evaluate_run_files(
        args.runs,
        args.qrels,
        topics=args.topics,
        answers=args.answers,
        passages=args.passages,
        measures=measures,
        kt=kt,
        complete=args.complete,
        test=args.test,
        correction=args.correction,
        alpha=args.level,
        ties=args.ties,
        progress=context.progress(),
    )
