"""xqg augment: build an xQG index from an index and a generation run."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import AGGREGATIONS, DEFAULT_ALPHA
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    augment = commands.add_parser(
        "augment", parents=parents, help="build an xQG index from an index and generations"
    )
    augment.add_argument("--index", required=True, help="baseline index run")
    augment.add_argument("--generations", required=True, help="generation run")
    augment.add_argument(
        "--alpha",
        type=float,
        default=DEFAULT_ALPHA,
        help="weight of the generated queries in the fused vector",
    )
    augment.add_argument(
        "--agg",
        choices=AGGREGATIONS,
        default=AGGREGATIONS[0],
        help="how the generated-query vectors of a passage combine",
    )
    augment.add_argument("--langs", help="only generated queries in these languages")
    augment.add_argument("--per-lang", type=int, help="only the first N per language")
    augment.add_argument(
        "--center",
        action="store_true",
        help="subtract the mean generated-query vector (uneven counts)",
    )
    augment.add_argument(
        "--require-language",
        action="store_true",
        help="drop generated queries whose detected language is not the one they were "
        "generated for (counted in the run summary)",
    )
    augment.add_argument(
        "--stream",
        action="store_true",
        help="encode the generated queries straight into per-passage sums and store no "
        "generated-query vectors (bounded memory and disk; another augment encodes again)",
    )
    context.add_encoding_engine(augment)
    augment.set_defaults(handler=cmd_augment)


def cmd_augment(args: argparse.Namespace) -> int:
    """xqg augment."""
    from pipelines.augment import augment

    with context.open_store(args) as store:
        run = augment(
            store,
            args.index,
            args.generations,
            alpha=args.alpha,
            aggregation=args.agg,
            languages=context.languages(args.langs),
            per_language=args.per_lang,
            center=args.center,
            require_language=args.require_language,
            stream=args.stream,
            **context.encoding_engine(args),
            name=args.name,
            progress=context.progress(),
        )
    per = run.summary["per_passage"]
    check = run.summary.get("language_check")
    if check:
        from xqg_tui.console import out

        dropped = ", ".join(f"{k} {v}" for k, v in check["dropped_per_language"].items())
        out.print(
            f"language check: kept {check['kept']}, dropped {check['dropped']} generated "
            f"queries in another language than requested ({dropped or 'none'})"
        )
    context.done(
        run,
        f"xQG index of {run.summary['passages']} passages from "
        f"{run.summary['generations_used']} generated queries "
        f"(per passage: min {per['min']}, mean {per['mean']}, max {per['max']})",
        args.db,
    )
    return 0
