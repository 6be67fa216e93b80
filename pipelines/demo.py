"""The main job: a complete xQG experiment on XQuAD, offline, with the bundled e5-small.

Ingest the 240 English paragraphs and the questions of all 12 languages, encode a
baseline index, take one question id per paragraph as held-out stand-in "generated"
queries in the 11 non-English languages, build xQG indexes (alpha 0.01 with the paper's
sum, and a mean variant), search the remaining questions in every language with each
index, and evaluate per language with paired tests. Every step has a fixed name, so a
second run reuses what the first finished.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

from pipelines.augment import augment
from pipelines.encoders.base import EncoderConfig
from pipelines.errors import StepError
from pipelines.evaluate import EvaluationReport, evaluate
from pipelines.generations.heldout import DEFAULT_SEED, generate_heldout
from pipelines.index import build_index
from pipelines.ingest import ingest, read_xquad
from pipelines.ingest.xquad import LANGUAGES, SOURCE_URL
from pipelines.options import DEFAULT_ALPHA, Aggregation
from pipelines.progress import SILENT, Progress
from pipelines.search import search
from store.db import Store

COLLECTION = "xquad"
# The paper's fusion (sum, alpha 0.01) and the mean ablation at the same alpha.
VARIANTS: tuple[tuple[str, float, Aggregation], ...] = (
    ("demo-xqg-sum", DEFAULT_ALPHA, "sum"),
    ("demo-xqg-mean", DEFAULT_ALPHA, "mean"),
)
# 50 of 240 passages hold far more than 5,000 tokens, enough for every measure below.
DEPTH = 50
MEASURES = ("MRR@10", "nDCG@10", "Recall@1", "Recall@10", "Recall@50")


def xquad_folder(given: str | Path | None, cache: Path | None = None) -> Path:
    """A folder with the XQuAD files: the given one, or the official files downloaded."""
    if given is not None:
        return Path(given)
    cache = cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xqg"
    folder = cache / "xquad"
    for lang in LANGUAGES:
        target = folder / f"xquad.{lang}.json"
        if target.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with urllib.request.urlopen(SOURCE_URL.format(lang=lang), timeout=30) as response:
                payload = response.read()
            json.loads(payload)
        except (OSError, ValueError) as error:
            raise StepError(
                f"could not download XQuAD ({error}); give a local copy with --xquad DIR"
            ) from error
        partial = target.with_suffix(".partial")
        partial.write_bytes(payload)
        partial.replace(target)
    return folder


def run_demo(
    store: Store,
    xquad: Path,
    *,
    k: int = 1,
    seed: int = DEFAULT_SEED,
    depth: int = DEPTH,
    encoder: EncoderConfig | None = None,
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Run (or finish) the demo experiment; returns the evaluation report.

    ``encoder`` is the baseline's encoder (default: the bundled e5-small); every later
    step reuses it through the index.
    """
    ingest(store, read_xquad(xquad), COLLECTION, name="demo-ingest", progress=progress)
    build_index(
        store, COLLECTION, encoder or EncoderConfig(), name="demo-baseline", progress=progress
    )
    # A few hundred stand-ins: the word index costs nothing here and the app searches them.
    generate_heldout(
        store, COLLECTION, k=k, seed=seed, name="demo-heldout", fts=True, progress=progress
    )
    for name, alpha, aggregation in VARIANTS:
        augment(
            store,
            "demo-baseline",
            "demo-heldout",
            alpha=alpha,
            aggregation=aggregation,
            name=name,
            progress=progress,
        )
    searched = [
        search(
            store,
            "demo-baseline",
            depth=depth,
            exclude=["demo-heldout"],
            name="demo-search-baseline",
            progress=progress,
        )
    ]
    searched += [
        search(
            store,
            name,
            depth=depth,
            name=f"demo-search-{name.removeprefix('demo-')}",
            progress=progress,
        )
        for name, _, _ in VARIANTS
    ]
    return evaluate(
        store,
        [run.name for run in searched],
        measures=MEASURES,
        name="demo-eval",
        progress=progress,
    )
