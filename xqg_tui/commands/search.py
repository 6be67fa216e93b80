"""xqg search: rank passages for the queries of a collection."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import HNSW_EXPANSION_SEARCH
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    from pipelines.options import ENGINES

    search = commands.add_parser("search", parents=parents, help="rank passages for queries")
    search.add_argument("--index", required=True, help="index or augment run")
    search.add_argument("--langs", help="only queries in these languages")
    search.add_argument("--split", help="only queries of this split")
    search.add_argument("--depth", type=int, default=100, help="passages ranked per query")
    search.add_argument(
        "--hnsw",
        action="store_true",
        help="approximate HNSW search (the index needs a graph: `xqg index-hnsw RUN`)",
    )
    search.add_argument(
        "--expansion-search",
        type=int,
        help=f"HNSW candidates per query and shard, all rescored exactly (efSearch; default "
        f"{HNSW_EXPANSION_SEARCH}, at least --depth; recall@100 against exact on 1M vectors: "
        "docs/vectors.md)",
    )
    search.add_argument(
        "--exclude-heldout",
        action="append",
        default=[],
        metavar="RUN",
        help="hold out the queries a heldout generation run used (repeatable)",
    )
    search.add_argument("--trec", help="also write a TREC run file")
    engine = search.add_argument_group("engine", "where shards are searched (results are the same)")
    engine.add_argument("--engine", default=ENGINES[0], choices=ENGINES, help="local or ray")
    engine.add_argument(
        "--actors", type=int, help="Ray actors (default: one per shard, up to the CPUs)"
    )
    engine.add_argument("--threads", type=int, help="CPU threads of each Ray actor (default: 1)")
    search.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    """xqg search."""
    from pipelines.search import search
    from pipelines.trec import export_run
    from xqg_tui import report_files

    report_files.check_outputs(args)
    with context.open_store(args) as store:
        run = search(
            store,
            args.index,
            languages=context.languages(args.langs),
            splits=[args.split] if args.split else None,
            depth=args.depth,
            exact=not args.hnsw,
            expansion=args.expansion_search,
            exclude=args.exclude_heldout,
            engine=args.engine,
            actors=args.actors,
            threads=args.threads,
            name=args.name,
            progress=context.progress(),
        )
        if args.trec:
            export_run(store, run.id, args.trec)
    where = f"; TREC run in {args.trec}" if args.trec else ""
    context.done(
        run,
        f"searched {run.summary['queries']} queries at depth {run.summary['depth']} "
        f"({run.summary['held_out']} held out){where}",
        args.db,
    )
    return 0
