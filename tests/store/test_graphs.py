"""HNSW graphs beside their shards: the int8 copy keeps inner-product order for vectors of
any length, search finds what exact search finds, a missing or changed graph file is named
with the command that rebuilds it, and graph files go with their run."""

from __future__ import annotations

import numpy as np
import pytest
from usearch.index import Index

from store import Store, StoreError
from store.check import check_database
from store.graphs import (
    as_graph_queries,
    as_graph_vectors,
    build_graph,
    graph_files,
    graph_params,
    search_graph,
)
from store.records import VectorSet
from store.runs import delete_run, finish_run
from store.vector_files import file_sha256
from store.vectors import (
    damage,
    drop_set,
    open_index,
    set_shards,
    unregistered_files,
)
from tests.conftest import MakeVectorSet

DIM, COUNT, QUERIES, DEPTH = 32, 2_000, 60, 10


def _clustered(seed: int, count: int) -> np.ndarray:
    """Vectors around 20 topics, of lengths from 0.5 to 40 (xQG sums are not unit)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(7).standard_normal((20, DIM))
    vectors = centres[rng.integers(0, 20, count)] + 0.6 * rng.standard_normal((count, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors * rng.uniform(0.5, 40.0, (count, 1))).astype(np.float32)


def _index(
    make_vector_set: MakeVectorSet, store: Store, vectors: np.ndarray, shard_size: int = 1_000
) -> VectorSet:
    """A finished index run holding ``vectors`` under passage ids 1, 2, ..."""
    keys = np.arange(1, len(vectors) + 1)
    vector_set = make_vector_set(store, keys, vectors, shard_size)
    finish_run(store, vector_set.run_id, {})
    return vector_set


def _recall(found: np.ndarray, wanted: np.ndarray) -> float:
    return float(
        np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, wanted, strict=True)])
    )


def test_the_int8_copy_is_scaled_not_clipped() -> None:
    """Hand-computed: 127 / max |x| = 63.5 for the vectors, 127 / 0.4 for the query."""
    vectors = np.array([[2.0, -1.0], [0.5, 0.25]], dtype=np.float32)
    assert as_graph_vectors(vectors, "i8", 127 / 2.0).tolist() == [[127, -64], [32, 16]]
    query = np.array([[0.1, 0.4]], dtype=np.float32)
    assert as_graph_queries(query, {"dtype": "i8"}).tolist() == [[32, 127]]
    # float graphs take the vectors as they are
    assert as_graph_queries(query, {"dtype": "f16"}) is query
    assert as_graph_vectors(vectors, "f16", 1.0).dtype == np.float16


def test_an_int8_graph_finds_the_exact_top_k_of_vectors_of_any_length(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vectors = _clustered(0, COUNT)
    queries = _clustered(1, QUERIES)
    vector_set = _index(make_vector_set, store, vectors, shard_size=COUNT)
    build_graph(store, vector_set, connectivity=32, expansion_add=128)
    shard = open_index(store, vector_set).shards[0]
    rows = search_graph(shard, queries, 40, 40)
    candidates = shard.keys[rows]
    # the 40 candidates rescored: their top 10 are the exact top 10 (ids are row + 1)
    scores = np.einsum("qkd,qd->qk", vectors[candidates - 1], queries)
    best = np.take_along_axis(candidates, np.argsort(-scores, axis=1)[:, :DEPTH], 1)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :DEPTH] + 1
    # usearch builds with every core, so the graph (and the recall) varies a little from
    # build to build: 0.993 to 1.0 in 12 builds
    assert _recall(best, exact) >= 0.98
    # usearch's own float-to-int8 cast normalises each vector (cosine): on vectors of
    # different lengths it loses the inner-product order that the scaled copy keeps.
    cast = Index(ndim=DIM, metric="ip", dtype="i8", connectivity=32, expansion_add=128)
    cast.add(np.arange(1, COUNT + 1), vectors)
    cast.expansion_search = 40
    theirs = cast.search(queries, 40).keys.astype(np.int64)
    scores = np.einsum("qkd,qd->qk", vectors[theirs - 1], queries)
    best = np.take_along_axis(theirs, np.argsort(-scores, axis=1)[:, :DEPTH], 1)
    assert _recall(best, exact) < 0.8


def test_graph_files_sit_beside_their_shards_which_stay_as_written(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vector_set = _index(make_vector_set, store, _clustered(0, 1_500))
    before = [
        (s.path, s.sha256, file_sha256(store.path.parent / s.path))
        for s in set_shards(store, vector_set.id)
    ]
    built = build_graph(store, vector_set, connectivity=8, expansion_add=32, dtype="f16")
    shards = set_shards(store, vector_set.id)
    assert [s.shard for s in built] == [0, 1]
    assert [(s.path, s.sha256, file_sha256(store.path.parent / s.path)) for s in shards] == before
    paths = [s.graph["path"] for s in shards if s.graph]
    assert paths == [
        "xqg.vectors/run1-passages-00000.hnsw.usearch",
        "xqg.vectors/run1-passages-00001.hnsw.usearch",
    ]
    assert [file_sha256(store.path.parent / p) for p in paths] == [
        s.graph["sha256"] for s in shards if s.graph
    ]
    assert graph_params(shards[0].graph) == {"connectivity": 8, "expansion_add": 32, "dtype": "f16"}
    assert unregistered_files(store) == []
    # the same parameters again: nothing to rebuild; another type: every shard
    assert build_graph(store, vector_set, connectivity=8, expansion_add=32, dtype="f16") == []
    assert len(build_graph(store, vector_set, connectivity=8, expansion_add=32)) == 2


def test_a_missing_or_changed_graph_is_named_and_rebuilt(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vectors = _clustered(0, 1_500)
    vector_set = _index(make_vector_set, store, vectors)
    build_graph(store, vector_set, connectivity=8, expansion_add=32)
    graph = store.path.parent / set_shards(store, vector_set.id)[1].graph["path"]  # type: ignore[index]
    data = bytearray(graph.read_bytes())
    data[-1] ^= 0xFF
    graph.write_bytes(bytes(data))
    shard = open_index(store, vector_set).shards[1]
    with pytest.raises(
        StoreError,
        match=r"SHA-256 differs .* HNSW graph of shard 1 of vector set 1: .* `xqg index-hnsw` on",
    ):
        search_graph(shard, vectors[:2], 5, 16)
    findings, _ = check_database(store)
    assert [f.kind for f in findings] == ["vector file"]
    assert "HNSW graph of shard 1" in findings[0].detail
    assert findings[0].detail.endswith(
        "`xqg index-hnsw` on its index run, or search without --hnsw"
    )
    assert damage(store, vector_set) is None  # the vectors themselves are fine
    graph.unlink()
    with pytest.raises(
        StoreError, match=r"hnsw.usearch: the HNSW graph file of shard 1 .* is missing"
    ):
        open_index(store, vector_set).shards[1].graph_index()
    # exact search does not need the graph; building again redoes the broken shard only
    assert len(open_index(store, vector_set)) == 1_500
    assert [s.shard for s in build_graph(store, vector_set, connectivity=8, expansion_add=32)] == [
        1
    ]
    query = vectors[1_200:1_201]
    rows = search_graph(open_index(store, vector_set).shards[1], query, 20, 32)
    best = int(np.argmax(vectors[1_000:] @ query[0]))  # shard 1 holds rows 1,000 to 1,499
    assert best in rows[0].tolist()


def test_graph_files_go_with_their_set_and_run(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vector_set = _index(make_vector_set, store, _clustered(0, 1_500))
    build_graph(store, vector_set, connectivity=8, expansion_add=32)
    files = [store.path.parent / p for p in graph_files(store, vector_set.run_id)]
    assert len(files) == 2 and all(f.is_file() for f in files)
    drop_set(store, vector_set.id)
    assert not any(f.exists() for f in files)
    # a deleted run hands back every file it owned, graphs included, for removal
    vector_set = _index(make_vector_set, store, _clustered(2, 1_400))
    build_graph(store, vector_set, connectivity=8, expansion_add=32)
    shards = set_shards(store, vector_set.id)
    owned = [s.path for s in shards] + [s.graph["path"] for s in shards if s.graph]
    assert len(owned) == 4  # 1,000 + 400 vectors
    assert sorted(delete_run(store, vector_set.run_id)) == sorted(owned)


def test_queries_a_graph_finds_too_few_for_are_scanned_exactly(
    store: Store, make_vector_set: MakeVectorSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph need not reach every node: a query it found fewer candidates for (-1 rows)
    gets the exact scan of the shard instead of an error or a short list."""
    from pipelines import search as search_step

    vectors = _clustered(0, 300)
    queries = _clustered(1, 4)
    vector_set = _index(make_vector_set, store, vectors, shard_size=300)
    build_graph(store, vector_set, connectivity=16, expansion_add=64)
    shard = open_index(store, vector_set).shards[0]
    real = search_graph

    def short(shard: object, queries: np.ndarray, count: int, expansion: int | None) -> np.ndarray:
        rows = real(shard, queries, count, expansion)  # type: ignore[arg-type]
        rows[1, -3:] = -1  # the second query: 3 candidates short
        return rows

    monkeypatch.setattr("store.graphs.search_graph", short)
    keys, scores = search_step.shard_top_k(shard, queries, 10, exact=False, expansion=20)
    exact_keys, exact_scores = search_step.shard_top_k(
        shard, queries, 10, exact=True, expansion=None
    )
    assert keys[1].tolist() == exact_keys[1].tolist()
    assert scores[1].tolist() == exact_scores[1].tolist()
