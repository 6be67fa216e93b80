"""The search step: rank a collection's passages for its queries with a stored index.

Exact inner-product search is the default (reproducible; equal to FAISS IndexFlatIP, at its
speed: :mod:`pipelines.flat` over the index file's vectors, read in place); HNSW is an
option. Scores are recomputed as exact float32 dot products and ties are broken by
passage id, so rankings do not depend on thread timing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines import flat
from pipelines.encoders.base import Encoder, EncoderConfig, index_encoder_config, load_encoder
from pipelines.errors import InputError
from pipelines.options import ENGINES, HNSW_EXPANSION_SEARCH, EngineName
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.vectors import cached_vectors
from store import collections, generations, graphs, results, runs, vector_files, vectors
from store.db import Store
from store.records import Query, Run, SearchHit, VectorSet

if TYPE_CHECKING:
    from pipelines.search_ray import RaySearch

INDEX_KINDS = ("index", "augment")
QUERY_BATCH = 1024


def rank(
    index: Any,
    query_vectors: np.ndarray,
    depth: int,
    *,
    exact: bool = True,
    expansion: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``depth`` passage ids and inner-product scores per query, best first, over every
    shard of the index: each shard's top ``depth`` (exact, or HNSW with ``expansion``
    candidates), their scores recomputed as float32 dot products, merged by score then id.
    With several shards, each one's pages are dropped from memory once it is searched.

    Returns (ids, scores), each (n_queries, min(depth, index size)).
    """
    depth = min(depth, len(index))
    query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
    found = shards_top_k(index.shards, query_vectors, depth, exact, expansion)
    return merge_top_k(found, len(query_vectors), depth)


def shards_top_k(
    shards: Sequence[vectors.Shard],
    queries: np.ndarray,
    depth: int,
    exact: bool,
    expansion: int | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each non-empty shard's top ``depth`` per query (keys, float32 scores), in the given
    order; with several shards, each one's pages are dropped once it is searched."""
    found = []
    for shard in shards:
        if len(shard):
            found.append(shard_top_k(shard, queries, min(depth, len(shard)), exact, expansion))
        if len(shards) > 1:  # memory: one shard's pages at a time
            shard.release()
    return found


def merge_top_k(
    found: Sequence[tuple[np.ndarray, np.ndarray]], n_queries: int, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``depth`` per query of shards' top-k lists, by score then passage id (so the
    order the lists come in does not matter)."""
    if not found:
        empty = np.zeros((n_queries, 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    keys = np.concatenate([k for k, _ in found], axis=1)
    scores = np.concatenate([s for _, s in found], axis=1)
    order = np.lexsort((keys, -scores), axis=1)[:, :depth]
    return np.take_along_axis(keys, order, 1), np.take_along_axis(scores, order, 1)


# Queries whose candidates' vectors are gathered at once to rescore them (128 x 100 x 768
# float32: 39 MB).
RESCORE_BATCH = 128


def shard_top_k(
    shard: vectors.Shard, queries: np.ndarray, depth: int, exact: bool, expansion: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Keys and exact float32 scores of one shard's top ``depth`` per query: exact, or of
    the ``max(depth, expansion)`` candidates its HNSW graph finds, all rescored (a query for
    which the graph finds fewer, and a shard no larger than that, are scanned exactly)."""
    widen = None if shard.dtype == "f32" else partial(vector_files.widen, dtype=shard.dtype)
    wanted = min(len(shard), max(depth, expansion or depth))
    if exact or wanted == len(shard):  # a graph asked for every vector: the exact scan
        rows, _ = flat.top_k(shard.matrix, queries, depth, widen=widen)
        return shard.keys[rows], rescore(shard.rows, rows, queries)
    rows = graphs.search_graph(shard, queries, wanted, expansion)
    short = (rows < 0).any(axis=1)
    if short.any():  # the graph did not reach enough vectors for these: scan exactly
        rows[short] = flat.top_k(shard.matrix, queries[short], wanted, widen=widen)[0]
    return merge_top_k([(shard.keys[rows], rescore(shard.rows, rows, queries))], len(rows), depth)


def rescore(
    vectors_of: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, queries: np.ndarray
) -> np.ndarray:
    """Exact float32 dot products of each query with its candidate rows (``vectors_of``
    gives float32 vectors of rows by position), a batch of queries at a time; the batches
    are shared among as many threads as BLAS uses (gathering the candidates' vectors is
    most of the time, and numpy does it without the GIL)."""
    scores = np.empty(rows.shape, dtype=np.float32)

    def batch(start: int) -> None:
        part = rows[start : start + RESCORE_BATCH]
        found = vectors_of(part.reshape(-1)).reshape(*part.shape, -1)
        scores[start : start + len(part)] = np.einsum(
            "qkd,qd->qk", found, queries[start : start + len(part)]
        )

    starts = range(0, len(queries), RESCORE_BATCH)
    workers = min(flat.blas_threads(), len(starts)) if len(starts) > 1 else 1
    if workers == 1:
        for start in starts:
            batch(start)
        return scores
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(batch, starts))
    return scores


def rank_matrix(
    keys: np.ndarray, matrix: np.ndarray, queries: np.ndarray, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rank` over vectors held in memory (``keys[i]`` is row ``i``'s passage id),
    exact: the same top-k, rescoring and tie-breaking as a one-shard index gives."""
    depth = min(depth, len(matrix))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    rows, _ = flat.top_k(matrix, queries, depth)
    found = (np.asarray(keys, dtype=np.int64)[rows], rescore(matrix.__getitem__, rows, queries))
    return merge_top_k([found], len(queries), depth)


def search(
    store: Store,
    index: str | int,
    *,
    languages: Sequence[str] | None = None,
    splits: Sequence[str] | None = None,
    depth: int = 100,
    exact: bool = True,
    expansion: int | None = None,
    exclude: Sequence[str | int] = (),
    engine: EngineName = "local",
    actors: int | None = None,
    threads: int | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
    encoders: dict[EncoderConfig, Encoder] | None = None,
) -> Run:
    """Search all (or some) queries of the index's collection; results go to the store.

    ``engine="ray"`` searches the shards on a pool of Ray actors (``actors``, default one
    per shard up to the cluster's CPUs; ``threads`` CPUs each), :mod:`pipelines.search_ray`;
    the results are those of ``local``, so the engine is a runtime setting: it is in the
    run's summary, not in its parameters.

    ``exact=False`` searches each shard's HNSW graph (``xqg index-hnsw``) with ``expansion``
    candidates (usearch's ``expansion_search``; :data:`HNSW_EXPANSION_SEARCH` when None).

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
    if not exact:
        _require_graph(store, index_run, vector_set)
    if expansion is not None and (exact or expansion < 1):
        raise InputError("--expansion-search needs --hnsw and is at least 1")
    if not exact:
        expansion = expansion or HNSW_EXPANSION_SEARCH
    if engine not in ENGINES:
        raise InputError(f"--engine must be {' or '.join(ENGINES)}, got {engine!r}")
    if engine == "local" and (actors is not None or threads is not None):
        raise InputError("--actors, --threads: only with --engine ray")
    holdouts = held_out_by(store, index_run, exclude)
    params = {
        "index": index_run.name,
        "languages": sorted(languages) if languages else None,
        "splits": sorted(splits) if splits else None,
        "depth": depth,
        "exact": exact,
        "held_out_by": sorted(run.name for run in holdouts),
    }
    if expansion is not None:  # HNSW only: exact runs keep their identity
        params["expansion_search"] = expansion

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
        with _ranker(vectors.open_index(store, vector_set), engine, actors, threads) as ranker:
            hits = list(_hits(ranker, queries, query_vectors, depth, exact, expansion, progress))
            where = ranker.describe()
        seconds = time.perf_counter() - started
        results.add_results(store, run.id, hits)
        return {
            "engine": where,
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


def _require_graph(store: Store, index_run: Run, vector_set: VectorSet) -> None:
    """HNSW search needs a graph in every shard: refused before the run starts."""
    bare = [s.shard for s in vectors.set_shards(store, vector_set.id) if s.graph is None]
    if bare:
        raise InputError(
            f"index run {index_run.name!r} has no HNSW graph in {len(bare)} of its shards "
            f"(indexes are built without one unless asked); add one with `xqg index-hnsw "
            f"{index_run.name}`, or search without --hnsw"
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


class LocalSearch:
    """The shards searched in this process, one after the other."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def rank(
        self, queries: np.ndarray, depth: int, *, exact: bool = True, expansion: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`rank` over the index."""
        return rank(self.index, queries, depth, exact=exact, expansion=expansion)

    def describe(self) -> str:
        """``local``."""
        return "local"

    def close(self) -> None:
        """Nothing to free."""


@contextmanager
def _ranker(
    index: Any, engine: str, actors: int | None, threads: int | None
) -> Iterator[LocalSearch | RaySearch]:
    """The engine that ranks: this process, or a Ray actor pool stopped at the end."""
    if engine == "local":
        yield LocalSearch(index)
        return
    from pipelines.search_ray import RaySearch

    ranker = RaySearch(index, actors=actors, threads=threads)
    try:
        yield ranker
    finally:
        ranker.close()


def _hits(
    ranker: LocalSearch | RaySearch,
    queries: list[Query],
    query_vectors: np.ndarray,
    depth: int,
    exact: bool,
    expansion: int | None,
    progress: Progress,
) -> Iterator[SearchHit]:
    with progress.task("searching", len(queries)) as advance:
        for start in range(0, len(queries), QUERY_BATCH):
            batch = queries[start : start + QUERY_BATCH]
            ids, scores = ranker.rank(
                query_vectors[start : start + len(batch)],
                depth,
                exact=exact,
                expansion=expansion,
            )
            for row, query in enumerate(batch):
                for position in range(ids.shape[1]):
                    yield SearchHit(
                        query.id,
                        position + 1,
                        int(ids[row, position]),
                        float(scores[row, position]),
                    )
            advance(len(batch))
