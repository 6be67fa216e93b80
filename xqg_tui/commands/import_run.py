"""xqg import-run: a TREC or Tevatron run file becomes a search run of a collection."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import TIE_ORDERS
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    command = commands.add_parser(
        "import-run",
        parents=parents,
        help="import a TREC or Tevatron run file as a search run",
        description="Import `qid Q0 docid rank score tag` (TREC) or `qid<TAB>docid<TAB>score` "
        "(Tevatron/xQG4xDR) rankings of a stored collection; unknown qids and docids are "
        "counted and reported. Scored as trec_eval scores the file: equal scores ordered by "
        "docno (descending), unknown docids retrieved and non-relevant.",
    )
    command.add_argument("file", help="the run file")
    command.add_argument("--collection", help="the collection it ranks (default: the only one)")
    command.add_argument(
        "--strict", action="store_true", help="refuse the file if any qid or docid is unknown"
    )
    command.add_argument(
        "--ties",
        choices=TIE_ORDERS,
        default="trec_eval",
        help="order of equal scores in a TREC file: trec_eval (docno, descending; default) or "
        "rank (the rank column, then the line)",
    )
    command.set_defaults(handler=cmd_import_run)


def cmd_import_run(args: argparse.Namespace) -> int:
    """xqg import-run."""
    from pipelines.trec import import_run

    progress = context.progress()
    with context.open_store(args) as store:
        run = import_run(
            store,
            args.file,
            collection=args.collection,
            name=args.name,
            strict=args.strict,
            ties=args.ties,
            progress=progress,
        )
    summary = run.summary
    unknown = (
        f"unknown: {summary['unknown_qids']['distinct']} qids "
        f"({summary['unknown_qids']['lines']} lines), "
        f"{summary['unknown_docids']['distinct']} docids "
        f"({summary['unknown_docids']['lines']} lines)"
    )
    context.done(
        run,
        f"imported {summary['imported']} of {summary['lines']} lines: {summary['queries']} "
        f"queries, depth up to {summary['depth']}; {unknown}",
        args.db,
    )
    return 0
