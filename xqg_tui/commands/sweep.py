"""xqg sweep: the alpha ablation (and generated queries per language), per language."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.metrics.measures import SWEEP_KT, SWEEP_MEASURES
from pipelines.options import AGGREGATIONS, SWEEP_ALPHAS
from xqg_tui import report_files
from xqg_tui.commands import context
from xqg_tui.commands.context import listed


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    sweep = commands.add_parser(
        "sweep",
        parents=parents,
        help="build, search and evaluate an xQG index per alpha (and aggregation, count)",
        description="The paper's ablation: one xQG index per alpha x aggregation x "
        "--per-lang, searched and evaluated on the same queries as the baseline. --name "
        "sets the prefix of every run; a second sweep reuses finished points.",
    )
    sweep.add_argument("--index", required=True, help="baseline index run")
    sweep.add_argument("--generations", required=True, help="generation run")
    sweep.add_argument(
        "--alpha", default=",".join(f"{a:g}" for a in SWEEP_ALPHAS), help="fusion weights"
    )
    sweep.add_argument(
        "--agg",
        default=AGGREGATIONS[0],
        help=f"aggregations: {', '.join(AGGREGATIONS)} or {','.join(AGGREGATIONS)}",
    )
    sweep.add_argument(
        "--per-lang", help="generated queries per language: 1..5 or 1,2,4 (default: all)"
    )
    sweep.add_argument("--center", action="store_true", help="centre generated queries")
    sweep.add_argument("--depth", type=int, default=100, help="passages ranked per query")
    sweep.add_argument("--kt", default=listed(SWEEP_KT), help="R@kt token budgets")
    sweep.add_argument(
        "--measures", default=listed(SWEEP_MEASURES), help="ir-measures names, comma-separated"
    )
    report_files.add_statistics_options(sweep)
    report_files.add_output_options(sweep, chart=False)
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """xqg sweep."""
    report_files.check_outputs(args)
    result = _run(args)
    report_files.show_sweep(result, args)
    return 0


def _run(args: argparse.Namespace) -> Any:
    from pipelines.sweep import sweep

    with context.open_store(args) as store:
        return sweep(
            store,
            args.index,
            args.generations,
            alphas=floats(args.alpha, "--alpha"),
            aggregations=[a.strip() for a in args.agg.split(",") if a.strip()],
            per_language=counts(args.per_lang),
            center=args.center,
            depth=args.depth,
            measures=[m.strip() for m in args.measures.split(",") if m.strip()],
            kt=context.integers(args.kt, "--kt"),
            test=args.test,
            correction=args.correction,
            alpha_level=args.level,
            prefix=args.name,
            progress=context.progress(),
        )


def floats(text: str, flag: str) -> list[float]:
    """Comma-separated numbers, e.g. ``--alpha 0,0.01,0.02``."""
    from pipelines.errors import InputError

    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputError(f"{flag} expects comma-separated numbers, got {text!r}") from error


def counts(text: str | None) -> list[int | None]:
    """``--per-lang``: ``1..5`` (a range), ``1,2,4``, or absent (every generated query)."""
    from pipelines.errors import InputError

    if text is None:
        return [None]
    if ".." in text:
        first, _, last = text.partition("..")
        try:
            low, high = int(first), int(last)
        except ValueError as error:
            raise InputError(f"--per-lang expects 1..5 or 1,2,4, got {text!r}") from error
        if low > high:
            raise InputError(f"--per-lang {text}: the range is empty")
        return list(range(low, high + 1))
    return list(context.integers(text, "--per-lang"))
