"""xqg generate (model, heldout), import-generations and export-generations."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import DTYPES, ENGINES, LAYOUTS
from xqg_tui.commands import context

FTS_HELP = (
    "also build the word index of the generated queries (trigram FTS, for the app's filter "
    "and Datasette; about twice the rows' bytes): `xqg generate fts RUN` builds it later"
)


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    generate = commands.add_parser("generate", help="generated queries for every passage")
    sources = generate.add_subparsers(title="sources", metavar="SOURCE", required=True)
    heldout = sources.add_parser(
        "heldout", parents=parents, help="held-out real questions as stand-ins (XQuAD, offline)"
    )
    heldout.add_argument("--collection", required=True, help="collection whose questions stand in")
    heldout.add_argument("--k", type=int, default=1, help="question ids per passage")
    heldout.add_argument("--langs", help="languages (default: every non-English one)")
    heldout.add_argument("--seed", type=int, default=13, help="fixes which questions stand in")
    heldout.add_argument(
        "--split",
        action="append",
        help="only questions of this split stand in (XNLI: hypothesis-entailment)",
    )
    heldout.add_argument("--fts", action="store_true", help=FTS_HELP)
    heldout.set_defaults(handler=cmd_heldout)
    _register_model(sources, parents)
    languages = sources.add_parser(
        "languages",
        parents=parents[:1],
        help="detected vs requested language of a run's generated queries",
        description="Print, per requested language, how many generated queries the "
        "offline detector (py3langid) finds in that language. Queries stored before "
        "language ID are detected first (and kept), so `augment --require-language` "
        "can use them.",
    )
    languages.add_argument("run", metavar="RUN", help="name or id of a generate run")
    languages.set_defaults(handler=cmd_languages)
    fts = sources.add_parser(
        "fts",
        parents=parents[:1],
        help="build the word index of a run's generated queries (trigram FTS)",
        description="Put the generated queries of a finished run into the full-text index "
        "(generations_fts) that the app's filter in generated queries and Datasette search. "
        "Generating steps leave it out unless given --fts: at 630M generated queries it "
        "costs about twice the rows' bytes. Idempotent.",
    )
    fts.add_argument("run", metavar="RUN", help="name or id of a finished generate run")
    fts.set_defaults(handler=cmd_fts)
    imports = commands.add_parser(
        "import-generations",
        parents=parents,
        help="import generated queries (official or flat JSONL)",
    )
    imports.add_argument("path", metavar="FILE", help="JSONL file (official or flat layout)")
    imports.add_argument("--collection", required=True, help="collection the docids name")
    imports.add_argument(
        "--no-guards",
        dest="guards",
        action="store_false",
        help="keep empty queries (as an export of a --no-guards run holds them)",
    )
    imports.add_argument("--fts", action="store_true", help=FTS_HELP)
    imports.set_defaults(handler=cmd_import_generations)
    exports = commands.add_parser(
        "export-generations",
        parents=parents[:1],
        help="write a generation run as JSONL (official or flat layout)",
    )
    exports.add_argument("run", metavar="RUN", help="name or id of a generate run")
    exports.add_argument("path", metavar="OUT", help="JSONL file to write")
    exports.add_argument(
        "--format",
        choices=LAYOUTS,
        default=LAYOUTS[0],
        help="official: one object per passage {docid, generated_queries: {lang: [...]}}; "
        "flat: one {docid, lang, text} per query (default: official)",
    )
    exports.set_defaults(handler=cmd_export_generations)


def _register_model(sources: Any, parents: list[argparse.ArgumentParser]) -> None:
    model = sources.add_parser(
        "model",
        parents=parents,
        help="queries sampled from a seq2seq generator (the xQG method)",
        description="Sample queries for every passage with a seq2seq model. Options left "
        "out take the paper's settings; with --resume they come from that run.",
    )
    add = model.add_argument
    add("--collection", help="collection to generate for (not needed with --resume)")
    add("--model", help="Hugging Face id or local folder (ielabgroup/xor-tydi-docTquery-mt5-base)")
    add("--langs", help="target languages, comma-separated (ar,bn,fi,ja,ko,ru,te)")
    add("--per-lang", type=int, dest="per_language", help="samples per language (5)")
    add("--top-k", type=int, help="sample from the k most likely tokens (10)")
    add("--max-new-tokens", type=int, help="longest query in tokens (32)")
    add("--max-input-length", type=int, help="prompt truncated to this many tokens (256)")
    add("--seed", type=int, help="with docid, language and sample number fixes a sample (313)")
    add(
        "--batch-size",
        type=int,
        help="passages per batch: one generate call, one transaction (8); part of the "
        "run's identity, since batches fix what resume and shards do",
    )
    add("--template", help="prompt with {lang}, {title}, {passage} (the official one)")
    add("--no-guards", dest="guards", action="store_const", const=False, help="keep every sample")
    add(
        "--trust-remote-code",
        action="store_const",
        const=True,
        help="allow the checkpoint's own Python code (off unless asked)",
    )
    add("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    add(
        "--dtype",
        default="auto",
        choices=DTYPES,
        help="auto: bfloat16 on a GPU that has it, else float32",
    )
    add("--threads", type=int, help="CPU threads (default: OMP_NUM_THREADS, else every CPU)")
    add("--shard", help="i/N: only this slice of the batches; shards of one --name merge")
    add("--engine", default=ENGINES[0], choices=ENGINES, help="local or ray (Ray Data)")
    add("--actors", type=int, help="Ray actors (default: one per GPU, else one)")
    add("--resume", metavar="RUN", help="continue this run with its own settings")
    add("--fts", action="store_true", help=FTS_HELP + " (by the shard that finishes the run)")
    model.set_defaults(handler=cmd_model)


def cmd_model(args: argparse.Namespace) -> int:
    """xqg generate model."""
    from pipelines.generations import generate_queries

    with context.open_store(args) as store:
        run = generate_queries(
            store,
            args.collection,
            model=args.model,
            languages=context.languages(args.langs),
            per_language=args.per_language,
            template=args.template,
            top_k=args.top_k,
            max_new_tokens=args.max_new_tokens,
            max_input_length=args.max_input_length,
            seed=args.seed,
            batch_size=args.batch_size,
            guards=args.guards,
            trust_remote_code=args.trust_remote_code,
            device=args.device,
            dtype=args.dtype,
            threads=args.threads,
            shard=args.shard,
            engine=args.engine,
            actors=args.actors,
            name=args.name,
            resume=args.resume,
            fts=args.fts,
            progress=context.progress(),
        )
    if run.status != "done":
        context.done(run, f"shard {args.shard} stored; run is {run.status}", args.db)
        return 0
    _print_summary(run.summary)
    context.done(run, f"{run.summary['generations']} generated queries", args.db)
    return 0


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    from xqg_tui.console import out, print_table

    table = Table(title="generated queries")
    for column in ("language", "queries"):
        table.add_column(column, justify="right" if column == "queries" else "left")
    for language, count in summary["per_language"].items():
        table.add_row(language, f"{count:,}")
    print_table(table)
    out.print(
        f"{summary['passages']:,} passages, {summary['samples']:,} samples; dropped "
        f"{summary['dropped_empty']:,} empty, {summary['dropped_copies']:,} copies of the "
        f"prompt, {summary['dropped_duplicates']:,} duplicates; "
        f"{summary['queries_per_second']:,} queries/s on {', '.join(summary['devices'])}",
        highlight=False,
    )


def cmd_languages(args: argparse.Namespace) -> int:
    """xqg generate languages."""
    from rich.table import Table

    from pipelines.generations.detection import detect_run_languages
    from xqg_tui.console import out, print_table

    with context.open_store(args) as store:
        agreement = detect_run_languages(store, args.run, progress=context.progress())
    table = Table(title=f"detected language of the generated queries of {args.run}")
    for column in ("requested", "queries", "detected as requested", "share"):
        table.add_column(column, justify="left" if column == "requested" else "right")
    for row in agreement:
        table.add_row(
            row.language, f"{row.queries:,}", f"{row.agreeing:,}", _share(row.agreeing, row.queries)
        )
    queries, agreeing = sum(r.queries for r in agreement), sum(r.agreeing for r in agreement)
    table.add_row("all", f"{queries:,}", f"{agreeing:,}", _share(agreeing, queries))
    print_table(table)
    out.print(f"`xqg augment --require-language` would drop {queries - agreeing:,} of them")
    return 0


def cmd_fts(args: argparse.Namespace) -> int:
    """xqg generate fts."""
    from pipelines.generations.fulltext import build_text_index
    from xqg_tui.console import marked, out

    with context.open_store(args) as store:
        run, added = build_text_index(store, args.run)
    said = (
        f"{added:,} generated queries of {run.name} put into the word index"
        if added
        else f"the generated queries of {run.name} were in the word index already"
    )
    out.print(marked("✓", "green", said))
    return 0


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def cmd_export_generations(args: argparse.Namespace) -> int:
    """xqg export-generations."""
    from pipelines.generations import export_generations
    from xqg_tui.console import marked, out

    with context.open_store(args) as store:
        written = export_generations(store, args.run, args.path, layout=args.format)
    out.print(
        marked(
            "✓",
            "green",
            f"{written.generations:,} generated queries of {written.passages:,} "
            f"passages written to {written.path} ({written.layout} layout)",
        )
    )
    return 0


def cmd_heldout(args: argparse.Namespace) -> int:
    """xqg generate heldout."""
    from pipelines.generations import generate_heldout

    with context.open_store(args) as store:
        run = generate_heldout(
            store,
            args.collection,
            k=args.k,
            languages=context.languages(args.langs),
            splits=args.split,
            seed=args.seed,
            name=args.name,
            fts=args.fts,
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
            store,
            args.path,
            args.collection,
            guards=args.guards,
            name=args.name,
            fts=args.fts,
            progress=context.progress(),
        )
    context.done(
        run,
        f"imported {run.summary['generations']} generated queries "
        f"({run.summary['dropped_empty']} empty ones dropped)",
        args.db,
    )
    return 0
