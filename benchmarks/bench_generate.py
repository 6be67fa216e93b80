"""Queries/s and peak memory of ``xqg generate model`` against the released approach.

The released xQG code generates with one ``transformers.pipeline("text2text-generation")``
call per passage and language (``do_sample=True, top_k=10, num_return_sequences=5``).
transformers 5 removed that pipeline task; its faithful equivalent here is what the
pipeline did inside: tokenize one prompt, one unbatched ``model.generate`` with the same
sampling settings, decode. Both sides use the same tiny mT5 (built on the spot: no model
can be downloaded here), the same XQuAD paragraphs, languages, settings and threads, and
each runs in its own process so that its peak RSS is its own. Queries/s count the time spent
generating (for xqg: its batches, while the writer thread stores them); the end-to-end time
adds imports, model loading and, for xqg, the database.

    python benchmarks/bench_generate.py [--passages 32] [--repeat 3] [--threads 1] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.table import Row, add_arguments, write_rows  # noqa: E402

LANGUAGES = ("ar", "bn", "fi", "ja", "ko", "ru", "te")


def main() -> int:
    """Build the model, run both sides in subprocesses, print the comparison."""
    args = _parser().parse_args()
    if args.quick:  # make bench: one run of each side on a few passages
        args.passages, args.repeat = min(args.passages, 8), 1
    if args.side:
        print(json.dumps(_run_side(args)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as work:
        folder = Path(work)
        _prepare(folder, args)
        print(
            f"tiny mT5 (d_model {args.d_model}, {args.layers} layers, vocab {args.vocab}); "
            f"{args.passages} XQuAD passages x {len(LANGUAGES)} languages x 5 samples, "
            f"top_k 10, 32 new tokens, 256 input tokens; threads: {args.threads or 'all CPUs'}",
            flush=True,
        )
        # Alternating runs, the median of each side: a machine shared with other work drifts.
        baselines, ours = [], []
        for _ in range(args.repeat):
            baselines.append(_side(folder, args, "baseline"))
            ours.append(_side(folder, args, "xqg", batch_size=args.batch_size))
        baseline, mine = _median(baselines), _median(ours)
        label = f"xqg generate (batch {args.batch_size})"
        _report([("released approach", baseline), (label, mine)])
        runs = ", ".join(
            f"{o['qps'] / b['qps']:.1f}x" for b, o in zip(baselines, ours, strict=True)
        )
        end_to_end = baseline["seconds"] / mine["seconds"]
        write_rows(
            args.rows,
            [
                Row(
                    benchmark=f"generate, {args.passages} passages x {len(LANGUAGES)} languages",
                    xqg=f"{mine['qps']:.0f} queries/s",
                    alternative=f"{baseline['qps']:.0f} queries/s (released approach)",
                    ratio=round(mine["qps"] / baseline["qps"], 1),
                    identical="n/a (sampled)",
                )
            ],
        )
        print(
            f"speed-up: {mine['qps'] / baseline['qps']:.1f}x queries/s while generating "
            f"(runs: {runs}); {end_to_end:.1f}x end to end (imports, model loading, SQLite)",
            flush=True,
        )
        if args.sweep:
            sizes = (1, 4, 16, 32)
            _report([(f"xqg batch {b}", _side(folder, args, "xqg", batch_size=b)) for b in sizes])
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=_default_xquad())
    parser.add_argument("--passages", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, help="torch threads for both (default: all)")
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each side")
    parser.add_argument("--sweep", action="store_true", help="also time batch sizes 1, 4, 16, 32")
    parser.add_argument("--side", choices=("baseline", "xqg"), help=argparse.SUPPRESS)
    add_arguments(parser)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    return parser


def _default_xquad() -> Path:
    shared = os.environ.get("XQG_SHARED_DATA") or str(ROOT.parent / "shared" / "data")
    return Path(shared) / "xquad"


def _prepare(folder: Path, args: argparse.Namespace) -> None:
    """The model and a database holding the first ``passages`` English XQuAD paragraphs."""
    from pipelines.ingest import ingest, read_xquad
    from pipelines.ingest.records import Dataset
    from store import open_store
    from tests.pipelines.generations.tiny_mt5 import build_tiny_mt5

    build_tiny_mt5(
        folder / "model",
        args.xquad,
        vocab_size=args.vocab,
        d_model=args.d_model,
        layers=args.layers,
    )
    dataset = read_xquad(args.xquad, ["en"])
    with open_store(folder / "template.db") as store:
        passages = dataset.passages[: args.passages]
        ingest(store, Dataset(dataset.source, dataset.files, passages=passages), "xquad")


def _side(
    folder: Path, args: argparse.Namespace, side: str, batch_size: int = 16
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--side", side, "--work", str(folder)]
    command += ["--batch-size", str(batch_size), "--passages", str(args.passages)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _run_side(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    side = _baseline if args.side == "baseline" else _xqg
    queries, generating = side(args.work, args)
    seconds = time.perf_counter() - started
    return {
        "queries": queries,
        "seconds": seconds,
        "generating": generating,
        "qps": queries / generating,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _baseline(work: Path, args: argparse.Namespace) -> tuple[int, float]:
    """One unbatched generate per passage and language, as the released pipeline calls did."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from pipelines.generations.prompts import DEFAULT_TEMPLATE, format_prompt
    from store import open_store
    from store.collections import iter_passages

    tokenizer = AutoTokenizer.from_pretrained(work / "model")
    model = AutoModelForSeq2SeqLM.from_pretrained(work / "model", use_safetensors=True).eval()
    torch.manual_seed(313)
    with open_store(work / "template.db") as store:
        passages = [p for batch in iter_passages(store, 1) for p in batch]
    queries, started = 0, time.perf_counter()
    with torch.inference_mode():
        for _, title, text in passages:
            for language in LANGUAGES:
                prompt = format_prompt(DEFAULT_TEMPLATE, language, title, text)
                inputs = tokenizer(prompt, truncation=True, max_length=256, return_tensors="pt")
                output = model.generate(
                    **inputs,
                    do_sample=True,
                    top_k=10,
                    max_new_tokens=32,
                    num_return_sequences=5,
                )
                queries += len(tokenizer.batch_decode(output, skip_special_tokens=True))
    return queries, time.perf_counter() - started


def _xqg(work: Path, args: argparse.Namespace) -> tuple[int, float]:
    """The generate step as ``xqg generate model`` runs it, into a copy of the database."""
    import shutil

    from pipelines.generations import generate_queries
    from store import open_store

    db = work / f"xqg-{args.batch_size}.db"
    shutil.copy(work / "template.db", db)
    with open_store(db) as store:
        run = generate_queries(
            store,
            "xquad",
            model=str(work / "model"),
            languages=LANGUAGES,
            batch_size=args.batch_size,
            threads=args.threads,
        )
    # Time spent generating batches; writing runs beside it on its own thread.
    return int(run.summary["samples"]), float(run.summary["generation_seconds"])


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median queries/s (with its own time and memory)."""
    return sorted(results, key=lambda r: float(r["qps"]))[len(results) // 2]


def _report(rows: list[tuple[str, dict[str, Any]]]) -> None:
    print(
        f"{'':30} {'queries':>7} {'generating':>10} {'queries/s':>9} {'end to end':>10} "
        f"{'peak RSS':>8}"
    )
    for label, r in rows:
        print(
            f"{label:30} {r['queries']:>7} {r['generating']:>9.2f}s {r['qps']:>9.1f} "
            f"{r['seconds']:>9.2f}s {r['rss_mb']:>5.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
