"""xqg ingest FORMAT PATH: add a dataset to a collection."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from xqg_tui.commands import context

KINDS = ("passages", "queries", "qrels", "answers")


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    ingest = commands.add_parser("ingest", help="add a dataset to a collection")
    formats = ingest.add_subparsers(title="formats", metavar="FORMAT", required=True)
    for fmt, target, about in (
        ("xquad", "DIR", "XQuAD folder (xquad.<lang>.json)"),
        ("xor-tydi", "FILE", "XOR-TyDi XOR-Retrieve question file (.jsonl)"),
        ("xnli", "FILE", "XNLI TSV as retrieval with adversarial distractors"),
        ("beir", "DIR", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/)"),
        ("jsonl", "FILE", "generic JSONL of passages and queries (see docs/data.md)"),
        ("passages-tsv", "FILE", "DPR/XOR-TyDi passage TSV (id, text, title; .gz too), streamed"),
        ("trec", "QRELS", "TREC qrels with their --topics (qid<TAB>query), e.g. MIRACL"),
    ):
        sub = formats.add_parser(fmt, parents=parents, help=about)
        sub.add_argument("path", metavar=target, help=about)
        sub.add_argument("--collection", help="collection name (default: the format name)")
        if fmt == "xquad":
            sub.add_argument("--langs", help="only these languages (default: every file)")
        if fmt == "xnli":
            _split_options(sub)
        if fmt == "beir":
            sub.add_argument("--query-language", help="language of queries without 'lang'")
        if fmt == "trec":
            sub.add_argument(
                "--topics", action="append", required=True, metavar="FILE", help="topics file(s)"
            )
        sub.set_defaults(handler=cmd_ingest, format=fmt)


def cmd_ingest(args: argparse.Namespace) -> int:
    """xqg ingest FORMAT PATH."""
    from pipelines import ingest
    from pipelines.ingest.trec_files import read_trec

    if args.format == "passages-tsv":
        return _passages_tsv(args)
    if args.format == "xnli" and args.split_by_prompt:
        return _xnli_halves(args)
    readers: dict[str, Callable[[], Any]] = {
        "xquad": lambda: ingest.read_xquad(args.path, context.languages(args.langs)),
        "xor-tydi": lambda: ingest.read_xor_tydi(args.path),
        "xnli": lambda: ingest.read_xnli(args.path),
        "beir": lambda: ingest.read_beir(args.path, args.query_language),
        "jsonl": lambda: ingest.read_jsonl(args.path),
        "trec": lambda: read_trec(args.path, args.topics),
    }
    dataset = readers[args.format]()  # validated before the database is touched
    with context.open_store(args, create=True) as store:
        run = ingest.ingest(
            store, dataset, args.collection, name=args.name, progress=context.progress()
        )
    added = run.summary.get("added", {})
    counts = ", ".join(f"{added.get(kind, 0)} {kind}" for kind in KINDS)
    context.done(run, f"added {counts} to collection {run.params['collection']!r}", args.db)
    return 0


def _split_options(parser: argparse.ArgumentParser) -> None:
    split = parser.add_argument_group("train/test split by premise (promptID)")
    split.add_argument(
        "--split-by-prompt",
        action="store_true",
        help="two collections, COLLECTION-train and COLLECTION-test: every premise with its "
        "hypotheses and their translations on one side",
    )
    split.add_argument(
        "--train-share", type=float, default=0.5, help="share of promptIDs trained on (0.5)"
    )
    split.add_argument("--seed", type=int, default=1, help="fixes the split (default: 1)")
    split.add_argument(
        "--max-prompts", type=int, help="only the first n promptIDs of each half (a subset)"
    )


def _xnli_halves(args: argparse.Namespace) -> int:
    from pipelines import ingest

    split = ingest.PromptSplit(args.train_share, args.seed, args.max_prompts)
    datasets = ingest.read_xnli_halves(args.path, split)  # validated before the database
    target = args.collection or "xnli"
    with context.open_store(args, create=True) as store:
        for half, dataset in datasets.items():  # neither half is written if one is refused
            ingest.check_part(store, f"{target}-{half}", dataset.part)
        done = [
            ingest.ingest(
                store,
                dataset,
                f"{target}-{half}",
                name=f"{args.name}-{half}" if args.name else None,
                progress=context.progress(),
            )
            for half, dataset in datasets.items()
        ]
    for run in done:
        added = run.summary.get("added", {})
        counts = ", ".join(f"{added.get(kind, 0)} {kind}" for kind in KINDS)
        context.done(run, f"added {counts} to collection {run.params['collection']!r}", args.db)
    return 0


def _passages_tsv(args: argparse.Namespace) -> int:
    from pipelines.ingest.passages_tsv import check_passages_tsv, ingest_passages_tsv

    progress = context.progress()
    checked = check_passages_tsv(args.path, progress)  # before the database is touched
    with context.open_store(args, create=True) as store:
        run = ingest_passages_tsv(
            store,
            args.path,
            args.collection or "xor-tydi",
            name=args.name,
            checked=checked,
            progress=progress,
        )
    added = run.summary["added"]["passages"]
    context.done(
        run,
        f"added {added} of {run.summary['passages']} passages to collection "
        f"{run.params['collection']!r}",
        args.db,
    )
    return 0
