"""Training pairs, generator examples and the dev split, read from stored collections and runs.

A pair is a query text with its positive passages: a stored query with its qrels, or (with
``--with-generations``) a generated query with the passage it was generated for. The dev
split is either a stored split (``--dev-split dev``) or a seeded fraction of question
groups: queries that share a ``parallel_id`` (translations of one question) always land on
the same side, so no translation of a dev question is ever trained on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipelines.errors import InputError
from pipelines.training.config import EncoderTraining, TrainingJob
from store import collections, generations
from store.db import Store
from store.records import Query, Run

Source = Literal["query", "generation"]


@dataclass(frozen=True)
class TrainingPair:
    """A training query with its positive passage ids; ``key`` is its stored id."""

    query: str
    positives: tuple[int, ...]
    source: Source
    key: int
    language: str


@dataclass(frozen=True)
class GenerationExample:
    """One prompt and the question a generator should write for it."""

    prompt: str
    target: str
    language: str


@dataclass
class TrainingData:
    """Pairs to train on, dev queries with their qrels, and counts for the run summary."""

    pairs: list[TrainingPair]
    dev: list[Query]
    dev_qrels: dict[int, dict[int, int]]
    counts: dict[str, Any] = field(default_factory=dict)


def in_dev(group: str, seed: int, fraction: float) -> bool:
    """Whether a question group falls in the dev fraction (stable across runs and machines)."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def load_training_data(
    store: Store,
    collection_id: int,
    job: EncoderTraining,
    *,
    generation_run: Run | None = None,
    held_out: set[int] | None = None,
) -> TrainingData:
    """Pairs and dev queries for a job; held-out queries never enter the dev set."""
    # Perturbed copies of queries (robustness probes) are neither trained on nor dev.
    queries = [q for q in collections.get_queries(store, collection_id) if q.original_id is None]
    qrels = collections.qrels_for(store, [q.id for q in queries])
    train, dev = split_queries(queries, job)
    skipped = sum(1 for q in train if not _positives(qrels.get(q.id, {})))
    pairs = [
        TrainingPair(q.text, _positives(qrels[q.id]), "query", q.id, q.language)
        for q in train
        if _positives(qrels.get(q.id, {}))
    ]
    if generation_run is not None:
        pairs += _generation_pairs(store, generation_run, job.generation_languages)
    dev = [q for q in dev if q.id in qrels and q.id not in (held_out or set())]
    if not pairs:
        raise InputError(
            "no training pairs: no query of the chosen languages and splits has a relevant "
            "passage (check --langs, --train-split, --dev-split)"
        )
    counts = {
        "pairs": len(pairs),
        "pairs_by_source": dict(sorted(Counter(p.source for p in pairs).items())),
        "pairs_by_language": dict(sorted(Counter(p.language for p in pairs).items())),
        "queries_without_qrels": skipped,
        "dev_queries": len(dev),
        "dev_by_language": dict(sorted(Counter(q.language for q in dev).items())),
    }
    return TrainingData(pairs, dev, {q.id: qrels[q.id] for q in dev}, counts)


def split_queries(queries: Sequence[Query], job: TrainingJob) -> tuple[list[Query], list[Query]]:
    """(train, dev) by a stored dev split or by a seeded fraction of question groups."""
    if job.dev_split is not None:
        known = {q.split for q in queries}
        if job.dev_split not in known:
            raise InputError(
                f"no query has split {job.dev_split!r}; stored splits: {sorted(known)}"
            )
        is_dev = {q.id: q.split == job.dev_split for q in queries}
    else:
        is_dev = {q.id: in_dev(q.parallel_id or q.qid, job.seed, job.dev_fraction) for q in queries}
    train = [
        q
        for q in queries
        if not is_dev[q.id]
        and (job.languages is None or q.language in job.languages)
        and (job.train_splits is None or q.split in job.train_splits)
    ]
    dev = [
        q
        for q in queries
        if is_dev[q.id] and (job.dev_languages is None or q.language in job.dev_languages)
    ]
    return train, dev


def _positives(judged: dict[int, int]) -> tuple[int, ...]:
    return tuple(sorted(p for p, relevance in judged.items() if relevance > 0))


def _generation_pairs(
    store: Store, run: Run, languages: Sequence[str] | None
) -> list[TrainingPair]:
    found = generations.get_generations(store, run.id, languages=languages)
    if not found:
        raise InputError(
            f"generation run {run.name!r} has no generated queries"
            + (f" in {', '.join(languages)}" if languages else "")
        )
    return [TrainingPair(g.text, (g.passage_id,), "generation", g.id, g.language) for g in found]
