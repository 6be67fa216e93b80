"""The search step: rank a collection's passages for its queries with a stored index.

Exact inner-product search is the default (reproducible; equal to FAISS IndexFlatIP, at its
speed: :mod:`pipelines.flat` over the index file's vectors, read in place); HNSW is an
option. Scores are recomputed as exact float32 dot products and ties are broken by
passage id, so rankings do not depend on thread timing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from pipelines import flat
from pipelines.encoders.base import Encoder, EncoderConfig, index_encoder_config, load_encoder
from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.vectors import cached_vectors
from store import collections, generations, results, runs, vectors
from store.db import Store
from store.records import Query, Run, SearchHit

INDEX_KINDS = ("index", "augment")
QUERY_BATCH = 1024


def rank(
    index: Any, query_vectors: np.ndarray, depth: int, *, exact: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``depth`` passage ids and inner-product scores per query, best first.

    Returns (ids, scores), each (n_queries, min(depth, index size)).
    """
    depth = min(depth, len(index))
    query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
    dense = vectors.dense_vectors(index) if exact else None
    if dense is not None:
        rows, _ = flat.top_k(dense.matrix, query_vectors, depth)
        keys = dense.keys[rows]
        passage_vectors = np.asarray(dense.matrix[rows.reshape(-1)]).reshape(*rows.shape, -1)
    else:
        keys, passage_vectors = _usearch_top_k(index, query_vectors, depth, exact)
    scores = np.einsum("qkd,qd->qk", passage_vectors, query_vectors)
    order = np.lexsort((keys, -scores), axis=1)
    return np.take_along_axis(keys, order, 1), np.take_along_axis(scores, order, 1)


def _usearch_top_k(
    index: Any, query_vectors: np.ndarray, depth: int, exact: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Keys and vectors of usearch's top ``depth`` (HNSW, or its exact scan)."""
    matches = index.search(query_vectors, depth, exact=exact)
    keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(query_vectors), -1)
    # usearch answers one query with Matches (no counts), several with BatchMatches.
    counts = np.asarray(getattr(matches, "counts", [keys.shape[1]])).reshape(-1)
    if (counts < depth).any():
        raise RuntimeError(f"search returned {int(counts.min())} of {depth} passages")
    passage_vectors = vectors.load_vectors(index, keys.reshape(-1)).reshape(
        keys.shape[0], depth, -1
    )
    return keys, passage_vectors


def search(
    store: Store,
    index: str | int,
    *,
    languages: Sequence[str] | None = None,
    splits: Sequence[str] | None = None,
    depth: int = 100,
    exact: bool = True,
    exclude: Sequence[str | int] = (),
    name: str | None = None,
    progress: Progress = SILENT,
    encoders: dict[EncoderConfig, Encoder] | None = None,
) -> Run:
    """Search all (or some) queries of the index's collection; results go to the store.

    Queries held out by a ``heldout`` generation run in the index's lineage, or by the
    generation runs in ``exclude``, are never searched. ``encoders``, when given, keeps the
    encoders loaded by config, for a caller that searches many times in one process.
    """
    if depth < 1:
        raise InputError(f"depth must be at least 1, got {depth}")
    index_run = require_done(runs.get_run(store, index))
    if index_run.kind not in INDEX_KINDS:
        raise InputError(
            f"run {index_run.name!r} is a {index_run.kind} run; search needs an "
            "index or augment run"
        )
    vector_set = vectors.run_vector_set(store, index_run.id, "passages")
    holdouts = held_out_by(store, index_run, exclude)
    params = {
        "index": index_run.name,
        "languages": sorted(languages) if languages else None,
        "splits": sorted(splits) if splits else None,
        "depth": depth,
        "exact": exact,
        "held_out_by": sorted(run.name for run in holdouts),
    }

    def body(run: Run) -> dict[str, Any]:
        held_out = generations.held_out_query_ids(store, [r.id for r in holdouts])
        queries = [
            q
            for q in collections.get_queries(
                store, vector_set.collection_id, languages=languages, splits=splits
            )
            if q.id not in held_out
        ]
        if not queries:
            raise InputError("no queries to search (check --langs/--split and held-out runs)")
        config = index_encoder_config(vector_set, index_run)
        if encoders is None:
            encoder = load_encoder(config)
        else:
            encoder = encoders.get(config) or encoders.setdefault(config, load_encoder(config))
        texts = {q.id: q.text for q in queries}
        query_vectors = cached_vectors(
            store,
            encoder,
            kind="queries",
            collection_id=vector_set.collection_id,
            keys=list(texts),
            texts_for=lambda ids: [texts[i] for i in ids],
            run_id=run.id,
            progress=progress,
        )
        started = time.perf_counter()
        hits = list(
            _hits(
                vectors.open_index(store, vector_set),
                queries,
                query_vectors,
                depth,
                exact,
                progress,
            )
        )
        seconds = time.perf_counter() - started
        results.add_results(store, run.id, hits)
        return {
            "queries": len(queries),
            "held_out": len(held_out),
            "depth": depth,
            "search_seconds": round(seconds, 3),
            "per_language": dict(sorted(Counter(q.language for q in queries).items())),
        }

    return run_step(
        store,
        "search",
        params,
        body,
        name=name,
        default_name=f"search-{index_run.name}",
        parents=[("index", index_run.id)] + [("held_out_by", r.id) for r in holdouts],
        collection_id=vector_set.collection_id,
        progress=progress,
    )


def held_out_by(store: Store, index_run: Run, exclude: Sequence[str | int]) -> list[Run]:
    """Heldout generation runs in the index's lineage plus the ones named in ``exclude``."""
    found = {run.id: run for run in (runs.get_run(store, ref, kind="generate") for ref in exclude)}
    pending = [index_run]
    while pending:
        for _, parent in runs.parent_runs(store, pending.pop().id):
            if parent.kind == "generate" and parent.params.get("source") == "heldout":
                found[parent.id] = parent
            pending.append(parent)
    return [found[key] for key in sorted(found)]


def _hits(
    index: Any,
    queries: list[Query],
    query_vectors: np.ndarray,
    depth: int,
    exact: bool,
    progress: Progress,
) -> Iterator[SearchHit]:
    with progress.task("searching", len(queries)) as advance:
        for start in range(0, len(queries), QUERY_BATCH):
            batch = queries[start : start + QUERY_BATCH]
            ids, scores = rank(index, query_vectors[start : start + len(batch)], depth, exact=exact)
            for row, query in enumerate(batch):
                for position in range(ids.shape[1]):
                    yield SearchHit(
                        query.id,
                        position + 1,
                        int(ids[row, position]),
                        float(scores[row, position]),
                    )
            advance(len(batch))
