"""xqg robustness: adversarial XNLI benchmarks, query perturbations, robustness reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pipelines.metrics.measures import ROBUSTNESS_MEASURES
from xqg_tui import report_files
from xqg_tui.commands import context
from xqg_tui.commands.context import listed


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parsers."""
    robustness = commands.add_parser("robustness", help="robustness under adversarial queries")
    steps = robustness.add_subparsers(title="steps", metavar="STEP", required=True)
    build = steps.add_parser(
        "build-xnli", parents=parents, help="XNLI as retrieval with hypotheses as distractors"
    )
    build.add_argument("path", metavar="FILE", help="XNLI TSV, e.g. xnli.dev.tsv")
    build.add_argument("--collection", default="xnli", help="collection to create")
    build.set_defaults(handler=cmd_build_xnli)
    perturb = steps.add_parser("perturb", parents=parents, help="perturbed copies of queries")
    perturb.add_argument("--collection", required=True, help="collection whose queries change")
    perturb.add_argument(
        "--attack",
        required=True,
        help="char-noise, diacritics, punctuation, shuffle, code-switch or contradiction",
    )
    perturb.add_argument("--strength", type=float, required=True, help="0 (none) to 1")
    perturb.add_argument("--seed", type=int, default=1, help="fixes the perturbations")
    perturb.add_argument("--split", action="append", help="only queries of this split")
    perturb.add_argument("--langs", help="only queries in these languages")
    perturb.set_defaults(handler=cmd_perturb)
    attack = steps.add_parser(
        "attack",
        parents=parents,
        help="model-aware adversarial queries, searched against one system",
    )
    attack.add_argument("--system", required=True, help="the target: an index or augment run")
    attack.add_argument(
        "--moves", required=True, choices=("code-mix", "char"), help="words or characters"
    )
    attack.add_argument("--budget", type=int, default=3, help="at most this many edits")
    attack.add_argument("--beam", type=int, default=1, help="beam width (1: greedy)")
    attack.add_argument(
        "--goal", type=int, default=10, help="push the relevant passage below this rank"
    )
    attack.add_argument(
        "--candidates", type=int, default=128, help="candidates per state and round (sampled)"
    )
    attack.add_argument("--batch", type=int, default=256, help="candidates per encoder call")
    attack.add_argument(
        "--window", type=int, default=0, help="code-mix: donor words this far off the diagonal"
    )
    attack.add_argument("--seed", type=int, default=1)
    attack.add_argument("--split", action="append", help="queries of this split (premise)")
    attack.add_argument("--langs", help="languages (default: all but English)")
    attack.add_argument("--premises", type=int, help="only the first n sentences (parallel ids)")
    attack.set_defaults(handler=cmd_attack)
    evaluate = steps.add_parser(
        "evaluate", parents=parents, help="clean vs attacked, baseline vs xQG, per language"
    )
    evaluate.add_argument("--systems", required=True, help="index runs; the first is the baseline")
    evaluate.add_argument(
        "--attacks",
        default="",
        help="perturb and attack runs (none: compare the clean queries only)",
    )
    evaluate.add_argument(
        "--split", default="premise", help="queries: premise, or hypothesis-<label> (XNLI)"
    )
    evaluate.add_argument("--langs", help="languages (default: all but English)")
    evaluate.add_argument("--depth", type=int, default=100, help="passages ranked per query")
    evaluate.add_argument(
        "--measures",
        default=listed(ROBUSTNESS_MEASURES),
        help="ir-measures names, comma-separated",
    )
    evaluate.add_argument(
        "--show", default=ROBUSTNESS_MEASURES[0], help="measure printed in the terminal"
    )
    report_files.add_statistics_options(evaluate)
    evaluate.add_argument("--json", help="write the report as JSON")
    evaluate.add_argument("--markdown", help="write the report as Markdown")
    evaluate.add_argument("--png", help="write the drops per language as PNG")
    evaluate.set_defaults(handler=cmd_evaluate)


def cmd_build_xnli(args: argparse.Namespace) -> int:
    """xqg robustness build-xnli FILE."""
    from pipelines.ingest import ingest, read_xnli

    dataset = read_xnli(args.path)
    with context.open_store(args, create=True) as store:
        run = ingest(store, dataset, args.collection, name=args.name, progress=context.progress())
    added = run.summary["added"]
    context.done(
        run,
        f"XNLI benchmark: {added['passages']} new passages, {added['queries']} "
        f"new queries in collection {args.collection!r}",
        args.db,
    )
    return 0


def cmd_perturb(args: argparse.Namespace) -> int:
    """xqg robustness perturb."""
    from pipelines.robustness.variants import perturb_queries

    with context.open_store(args) as store:
        run = perturb_queries(
            store,
            args.collection,
            args.attack,
            strength=args.strength,
            seed=args.seed,
            splits=args.split,
            languages=context.languages(args.langs),
            name=args.name,
            progress=context.progress(),
        )
    context.done(
        run,
        f"{run.summary['variants']} variants ({run.summary['changed']} changed), "
        f"splits {', '.join(run.summary['splits'])}",
        args.db,
    )
    return 0


def cmd_attack(args: argparse.Namespace) -> int:
    """xqg robustness attack."""
    from pipelines.robustness.adversarial import Settings
    from pipelines.robustness.attack import attack_queries

    settings = Settings(
        args.moves,
        budget=args.budget,
        beam=args.beam,
        goal=args.goal,
        candidates=args.candidates,
        batch=args.batch,
        window=args.window,
        seed=args.seed,
    )
    with context.open_store(args) as store:
        run = attack_queries(
            store,
            args.system,
            settings,
            splits=args.split or ["premise"],
            languages=context.languages(args.langs),
            premises=args.premises,
            name=args.name,
            progress=context.progress(),
        )
    s = run.summary
    context.done(
        run,
        f"{s['queries']} adversarial queries against {run.params['target']} "
        f"({s['changed']} changed, {s['mean_edits']:.2f} edits each): the relevant passage "
        f"left rank 1 for {s['left_rank_1']} and the top 10 for {s['left_top_10']}; "
        f"{s['model_calls']} encoder calls, {s['encoded']} texts encoded, "
        f"split {', '.join(s['splits'])}",
        args.db,
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """xqg robustness evaluate."""
    from pipelines.robustness.evaluate import evaluate_robustness
    from xqg_tui.console import out, print_table
    from xqg_tui.robustness_report import (
        drops_png,
        markdown,
        overview_measure,
        overview_table,
        rich_tables,
        success_tables,
        summary_lines,
    )

    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    report_files.check_outputs(args)
    with context.open_store(args) as store:
        report = evaluate_robustness(
            store,
            _names(args.systems),
            _names(args.attacks),
            split=args.split,
            languages=context.languages(args.langs),
            depth=args.depth,
            measures=measures,
            name=args.name,
            test=args.test,
            correction=args.correction,
            alpha=args.level,
            progress=context.progress(),
        )
    if report.clean is not None:
        from xqg_tui.report import rich_tables as clean_tables

        shown = [m for m in report.clean.measures if m == args.show] or report.clean.measures
        for table in clean_tables(report.clean, shown, width=out.width):
            table.title = f"clean queries ({report.split}): {table.title}"
            print_table(table)
    for table in [*rich_tables(report, args.show), *success_tables(report)]:
        print_table(table)
    for line in summary_lines(report, args.show) if report.attacks else []:
        out.print(line)
    if report.attacks:
        print_table(overview_table(report, overview_measure(report)))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(report), encoding="utf-8")
    if args.png and report.attacks:
        drops_png(report, args.show, args.png)
    written = [f"--{k} {getattr(args, k)}" for k in ("json", "markdown", "png") if getattr(args, k)]
    wall = "" if report.seconds is None else f" in {report.seconds:.0f} s"
    out.print(f"robustness report{wall}" + (f"; wrote {', '.join(written)}" if written else ""))
    return 0


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
