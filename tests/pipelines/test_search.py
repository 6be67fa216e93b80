"""The ranking kernel: exact inner product like FAISS IndexFlatIP, ties broken by passage id."""

from __future__ import annotations

import numpy as np
from usearch.index import Index

from pipelines.search import rank
from store import Store, vectors
from store.vectors import open_index
from tests.conftest import MakeVectorSet


def test_exact_ranking_equals_brute_force_dot_products(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    rng = np.random.default_rng(7)
    passages = rng.normal(size=(300, 24)).astype(np.float32) * 2.5  # unnormalised, like xQG
    queries = rng.normal(size=(20, 24)).astype(np.float32)
    keys = np.arange(1000, 1300)
    ids, scores = rank(open_index(store, make_vector_set(store, keys, passages)), queries, 10)
    dots = queries @ passages.T
    expected = np.argsort(-dots, axis=1, kind="stable")[:, :10]
    np.testing.assert_array_equal(ids, keys[expected])
    np.testing.assert_allclose(scores, np.take_along_axis(dots, expected, 1), rtol=1e-5)


def test_ties_are_broken_by_passage_id(store: Store, make_vector_set: MakeVectorSet) -> None:
    passages = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    ids, scores = rank(
        open_index(store, make_vector_set(store, np.array([40, 10, 30, 20]), passages)),
        np.array([[1.0, 0.0]], dtype=np.float32),
        4,
    )
    assert ids.tolist() == [[10, 20, 40, 30]]
    assert scores.tolist() == [[1.0, 1.0, 1.0, 0.0]]


def test_depth_beyond_the_corpus_returns_the_whole_corpus(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    passages = np.eye(3, dtype=np.float32)
    ids, _ = rank(
        open_index(store, make_vector_set(store, np.array([1, 2, 3]), passages)),
        np.array([[0.0, 1.0, 0.5]], dtype=np.float32),
        50,
    )
    assert ids.tolist() == [[2, 3, 1]]


def test_exact_rank_reads_the_file_and_equals_usearch_exact(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    rng = np.random.default_rng(7)
    passages = rng.normal(size=(5000, 32)).astype(np.float32)
    keys = rng.permutation(50_000)[:5000]
    index = vectors.open_index(store, make_vector_set(store, keys, passages))
    queries = rng.normal(size=(20, 32)).astype(np.float32)
    assert vectors.dense_vectors(index) is not None
    ids, scores = rank(index, queries, 50)
    full = queries @ passages.T
    best = np.argsort(-full, axis=1, kind="stable")[:, :50]
    np.testing.assert_array_equal(ids, keys[best])
    np.testing.assert_allclose(scores, np.take_along_axis(full, best, 1), rtol=1e-5)
    # usearch reads the file written without it (empty graph) and finds the same passages.
    matches = Index.restore(str(index.shards[0].path), view=True).search(queries, 50, exact=True)
    usearch_ids = np.asarray(matches.keys)
    assert {tuple(sorted(row)) for row in usearch_ids} == {tuple(sorted(row)) for row in ids}
