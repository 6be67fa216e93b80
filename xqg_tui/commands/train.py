"""xqg train encoder: contrastive fine-tuning of a Hugging Face encoder (a ``train`` run)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pipelines.options import POOLINGS, PRECISIONS, SIMILARITIES
from xqg_tui.commands import context

if TYPE_CHECKING:
    from pipelines.training import EncoderTraining


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    train = commands.add_parser("train", help="fine-tune models on stored collections")
    kinds = train.add_subparsers(title="what", metavar="WHAT", required=True)
    encoder = kinds.add_parser(
        "encoder",
        parents=parents,
        help="contrastive fine-tuning of an HF encoder (Tevatron-style xDR)",
        description="Defaults follow the paper's xDR: CLS pooling, dot product, 1 positive "
        "+ 7 hard negatives per query, lr 1e-5, query 32 / passage 128 tokens.",
    )
    _data_options(encoder)
    _negative_options(encoder)
    _model_options(encoder)
    _optimisation_options(encoder, lr=1e-5, warmup=0.1, seed=42)
    encoder.set_defaults(handler=cmd_train_encoder)
    generator = kinds.add_parser(
        "generator",
        parents=parents,
        help="fine-tune a seq2seq query generator with the generation prompt",
        description="Defaults follow the xQG generator (DSI-QG): the generation prompt "
        "template, lr 1e-4, max input 128 tokens, best checkpoint by eval loss, seed 313.",
    )
    _split_options(generator)
    prompt = generator.add_argument_group("model")
    prompt.add_argument("--model", required=True, help="seq2seq folder or model id (mT5, ...)")
    prompt.add_argument("--template", help="prompt with {lang}, {title}, {passage}")
    prompt.add_argument(
        "--max-input-length", type=int, default=128, help="prompt truncated to this many tokens"
    )
    prompt.add_argument(
        "--max-target-length", type=int, default=32, help="query truncated to this many tokens"
    )
    prompt.add_argument("--eval-every", type=int, help="eval loss every N steps (and per epoch)")
    prompt.add_argument("--trust-remote-code", action="store_true", help=TRUST_REMOTE_CODE)
    _optimisation_options(generator, lr=1e-4, warmup=0.0, seed=313)
    generator.set_defaults(handler=cmd_train_generator)


TRUST_REMOTE_CODE = "run the checkpoint's own Python code (only for models you trust)"


def _split_options(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument("--collection", required=True, help="collection of the training pairs")
    data.add_argument("--langs", help="training query languages (default: all)")
    data.add_argument("--train-split", help="training query splits, comma-separated")
    data.add_argument("--dev-split", help="stored split used as dev (instead of --dev-fraction)")
    data.add_argument(
        "--dev-fraction",
        type=float,
        default=0.1,
        help="seeded share of question groups (parallel ids) held out as dev; 0: no dev",
    )
    data.add_argument("--dev-langs", help="dev query languages (default: all)")


def _data_options(parser: argparse.ArgumentParser) -> None:
    _split_options(parser)
    data = parser.add_argument_group("generated queries")
    data.add_argument(
        "--with-generations", metavar="RUN", help="add a generation run's queries as pairs"
    )
    data.add_argument("--generation-langs", help="only these languages of the generations")
    data.add_argument(
        "--exclude-heldout",
        metavar="RUN",
        action="append",
        default=[],
        help="keep this heldout run's questions out of dev (repeatable)",
    )


def _negative_options(parser: argparse.ArgumentParser) -> None:
    negatives = parser.add_argument_group("negatives")
    negatives.add_argument("--negatives-from", metavar="INDEX", help="index run to mine from")
    negatives.add_argument("--negative-depth", type=int, default=30, help="mined pool per query")
    negatives.add_argument("--negatives", type=int, default=7, help="negatives per query")


def _model_options(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model")
    model.add_argument("--model", required=True, help="HF folder or model id (hf: optional)")
    model.add_argument(
        "--pooling", choices=POOLINGS, default=POOLINGS[0], help="CLS token or mean of tokens"
    )
    model.add_argument(
        "--similarity",
        choices=SIMILARITIES,
        default=SIMILARITIES[0],
        help="dot product or cosine in the contrastive loss",
    )
    model.add_argument("--temperature", type=float, help="default 1 (dot), 0.05 (cos)")
    model.add_argument("--query-prefix", default="", help="text put before every query")
    model.add_argument("--passage-prefix", default="", help="text put before every passage")
    model.add_argument("--query-max-length", type=int, default=32, help="query tokens kept")
    model.add_argument("--passage-max-length", type=int, default=128, help="passage tokens kept")
    model.add_argument("--no-title", action="store_true", help="passage text without title")
    model.add_argument("--trust-remote-code", action="store_true", help=TRUST_REMOTE_CODE)


def _optimisation_options(
    parser: argparse.ArgumentParser, *, lr: float, warmup: float, seed: int
) -> None:
    optimisation = parser.add_argument_group("optimisation")
    optimisation.add_argument("--batch-size", type=int, default=8, help="examples per micro-batch")
    optimisation.add_argument("--accumulation", type=int, default=1, help="micro-batches/step")
    optimisation.add_argument("--lr", type=float, default=lr, help="peak learning rate")
    optimisation.add_argument(
        "--warmup-ratio", type=float, default=warmup, help="share of steps with rising lr"
    )
    optimisation.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    optimisation.add_argument("--epochs", type=int, default=1, help="passes over the data")
    optimisation.add_argument("--max-steps", type=int, help="stop after this many steps")
    optimisation.add_argument(
        "--freeze-embeddings",
        action="store_true",
        help="leave the word embeddings as they are (most of a multilingual model; faster)",
    )
    optimisation.add_argument(
        "--seed", type=int, default=seed, help="fixes shuffling, dev split and dropout"
    )
    optimisation.add_argument(
        "--precision", choices=PRECISIONS, default=PRECISIONS[0], help="training number format"
    )
    optimisation.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    optimisation.add_argument("--output", help="folder (default: <db>.models/<run name>)")
    optimisation.add_argument("--save-every", type=int, help="checkpoint every N steps")
    optimisation.add_argument(
        "--keep-checkpoints", type=int, default=2, help="newest checkpoints kept on disk"
    )
    optimisation.add_argument(
        "--eval-batch-size", type=int, default=64, help="examples per dev-loss batch"
    )


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def _common(args: argparse.Namespace) -> dict[str, Any]:
    """The settings every training job takes."""
    return {
        "model": args.model,
        "collection": args.collection,
        "languages": context.languages(args.langs),
        "train_splits": _names(args.train_split),
        "dev_split": args.dev_split,
        "dev_fraction": args.dev_fraction,
        "dev_languages": context.languages(args.dev_langs),
        "batch_size": args.batch_size,
        "accumulation": args.accumulation,
        "learning_rate": args.lr,
        "warmup_ratio": args.warmup_ratio,
        "weight_decay": args.weight_decay,
        "epochs": args.epochs,
        "max_steps": args.max_steps,
        "freeze_embeddings": args.freeze_embeddings,
        "seed": args.seed,
        "precision": args.precision,
        "trust_remote_code": args.trust_remote_code,
        "device": args.device,
        "save_every": args.save_every,
        "keep_checkpoints": args.keep_checkpoints,
        "eval_batch_size": args.eval_batch_size,
        "output": args.output,
    }


def _job(args: argparse.Namespace) -> EncoderTraining:
    from pipelines.training import EncoderTraining

    return EncoderTraining(
        **_common(args),
        with_generations=args.with_generations,
        generation_languages=context.languages(args.generation_langs),
        exclude_heldout=args.exclude_heldout,
        negatives_from=args.negatives_from,
        negative_depth=args.negative_depth,
        negatives=args.negatives,
        pooling=args.pooling,
        similarity=args.similarity,
        temperature=args.temperature,
        query_prefix=args.query_prefix,
        passage_prefix=args.passage_prefix,
        query_max_length=args.query_max_length,
        passage_max_length=args.passage_max_length,
        passage_title=not args.no_title,
    )


def cmd_train_encoder(args: argparse.Namespace) -> int:
    """xqg train encoder."""
    from pipelines.training import train_encoder
    from xqg_tui.console import out

    job = _job(args)
    with context.open_store(args) as store:
        run = train_encoder(store, job, name=args.name, progress=context.progress())
    summary = run.summary
    _print_dev(summary)
    context.done(
        run,
        f"{summary['steps']} steps on {summary['data']['pairs']} pairs; model in "
        f"{summary['model_dir']}",
        args.db,
    )
    encoder = summary["encoder"]
    flags = [f"--encoder {encoder['name']}", f"--pooling {encoder['pooling']}"]
    if encoder["normalize"]:
        flags.append("--normalize")
    for side in ("query", "passage"):
        if encoder[f"{side}_prefix"]:
            flags.append(f'--{side}-prefix "{encoder[side + "_prefix"]}"')
    if not encoder["passage_title"]:
        flags.append("--no-title")
    for side, default in (("query", 32), ("passage", 128)):  # the index command's defaults
        if encoder[f"{side}_max_length"] != default:
            flags.append(f"--{side}-max-length {encoder[side + '_max_length']}")
    out.print(f"  index with it: xqg index --collection {job.collection} {' '.join(flags)}")
    return 0


def _print_dev(summary: dict[str, Any]) -> None:
    """Dev MRR@10 per language before and after training."""
    from rich.table import Table

    from xqg_tui.console import print_table

    before, after = summary.get("dev_before"), summary.get("dev_after")
    if not after:
        return
    measure = "MRR@10"
    table = Table(title=f"dev {measure} (step {after['step']})")
    for column in ("lang", "before", "after", "Δ"):
        table.add_column(column, justify="right")
    for language in [*after["by_language"], "avg"]:
        new = _measure(after, language, measure)
        old = _measure(before, language, measure) if before else None
        delta = "" if old is None or new is None else f"{new - old:+.3f}"
        table.add_row(language, _number(old), _number(new), delta)
    print_table(table)


def _measure(report: dict[str, Any], language: str, measure: str) -> float | None:
    values = report["avg"] if language == "avg" else report["by_language"].get(language, {})
    return values.get(measure)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def cmd_train_generator(args: argparse.Namespace) -> int:
    """xqg train generator."""
    from pipelines.training import GeneratorTraining, train_generator
    from xqg_tui.console import out

    extra = {} if args.template is None else {"template": args.template}
    job = GeneratorTraining(
        **_common(args),
        max_input_length=args.max_input_length,
        max_target_length=args.max_target_length,
        eval_every=args.eval_every,
        **extra,
    )
    with context.open_store(args) as store:
        run = train_generator(store, job, name=args.name, progress=context.progress())
    summary = run.summary
    before, best = summary["eval_loss_before"], summary["best_eval_loss"]
    if best is not None:
        out.print(
            f"eval loss {before:.4f} before training, best {best:.4f} "
            f"(step {summary['chosen_step']} of {summary['steps']})",
            highlight=False,
        )
    context.done(
        run,
        f"{summary['steps']} steps on {summary['data']['examples']} examples; model in "
        f"{summary['model_dir']}",
        args.db,
    )
    out.print(
        f"  generate with it: xqg generate model --collection ... --model {summary['model_dir']}"
    )
    return 0
