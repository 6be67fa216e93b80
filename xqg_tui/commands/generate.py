"""xqg generate heldout and xqg import-generations: generated queries per passage."""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    generate = commands.add_parser("generate", help="generated queries for every passage")
    sources = generate.add_subparsers(title="sources", metavar="SOURCE", required=True)
    heldout = sources.add_parser(
        "heldout", parents=parents, help="held-out real questions as stand-ins (XQuAD, offline)"
    )
    heldout.add_argument("--collection", required=True)
    heldout.add_argument("--k", type=int, default=1, help="question ids per passage")
    heldout.add_argument("--langs", help="languages (default: every non-English one)")
    heldout.add_argument("--seed", type=int, default=13)
    heldout.set_defaults(handler=cmd_heldout)
    imports = commands.add_parser(
        "import-generations",
        parents=parents,
        help="import generated queries (official or flat JSONL)",
    )
    imports.add_argument("path", metavar="FILE")
    imports.add_argument("--collection", required=True)
    imports.set_defaults(handler=cmd_import_generations)


def cmd_heldout(args: argparse.Namespace) -> int:
    """xqg generate heldout."""
    from pipelines.generations import generate_heldout

    with context.open_store(args) as store:
        run = generate_heldout(
            store,
            args.collection,
            k=args.k,
            languages=context.languages(args.langs),
            seed=args.seed,
            name=args.name,
            progress=context.progress(),
        )
    context.done(
        run,
        f"{run.summary['generations']} stand-in generations, "
        f"{run.summary['held_out_question_ids']} question ids held out of evaluation",
        args.db,
    )
    return 0


def cmd_import_generations(args: argparse.Namespace) -> int:
    """xqg import-generations."""
    from pipelines.generations import import_generations

    with context.open_store(args) as store:
        run = import_generations(
            store, args.path, args.collection, name=args.name, progress=context.progress()
        )
    context.done(
        run,
        f"imported {run.summary['generations']} generated queries "
        f"({run.summary['dropped_empty']} empty ones dropped)",
        args.db,
    )
    return 0
