"""Exact top-k over blocks of a matrix: the rows a full sort would keep, in every regime
(first block, sparse candidates, ties at the cut, fewer rows than the depth), by one thread
or with the queries shared among BLAS's threads."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from pipelines.flat import _sparse_nonzero, top_k


def _full_sort(matrix: np.ndarray, queries: np.ndarray, depth: int) -> np.ndarray:
    scores = queries @ matrix.T
    rows = np.broadcast_to(np.arange(len(matrix)), scores.shape)
    order = np.lexsort((rows, -scores), axis=1)  # best first, the earlier row on ties
    return order[:, :depth]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize(
    ("rows", "block", "depth"), [(1000, 64, 10), (1000, 1000, 100), (37, 8, 50), (999, 16, 7)]
)
def test_top_k_equals_a_full_sort(rows: int, block: int, depth: int, threads: int) -> None:
    rng = np.random.default_rng(rows + block)
    matrix = rng.normal(size=(rows, 24)).astype(np.float32)
    queries = rng.normal(size=(100, 24)).astype(np.float32)  # 2 or 3 threads: 50 or 33 each
    with threadpool_limits(limits=threads, user_api="blas"):
        found, scores = top_k(matrix, queries, depth, block=block)
    expected = _full_sort(matrix, queries, depth)
    assert found.shape == (100, min(depth, rows))
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(
        scores, np.take_along_axis(queries @ matrix.T, expected, 1), rtol=1e-5
    )


def test_ties_keep_the_earlier_rows_across_blocks() -> None:
    # Rows 0-9 score 1 to 10 against the query; rows 10-19 repeat them in a second block.
    matrix = np.tile(np.arange(1, 11, dtype=np.float32), 2)[:, None]
    query = np.ones((1, 1), np.float32)
    found, scores = top_k(matrix, query, 3, block=10)
    assert found.tolist() == [[9, 19, 8]]  # 10, 10, 9: the kept 9 before the equal 19
    assert scores.tolist() == [[10.0, 10.0, 9.0]]
    # At the cut, an equal score of a later block does not displace a kept row.
    assert top_k(matrix, query, 1, block=10)[0].tolist() == [[9]]
    assert top_k(matrix, query, 4, block=10)[0].tolist() == [[9, 19, 8, 18]]


def test_ties_keep_the_earlier_rows_when_threads_share_the_queries() -> None:
    # Four copies of rows scoring 1 to 10; 64 queries, two BLAS threads: 32 queries each.
    matrix = np.tile(np.arange(1, 11, dtype=np.float32), 4)[:, None]
    queries = np.ones((64, 1), np.float32)
    with threadpool_limits(limits=2, user_api="blas"):
        found, scores = top_k(matrix, queries, 6, block=10)
    assert found.tolist() == [[9, 19, 29, 39, 8, 18]] * 64
    assert scores.tolist() == [[10.0, 10.0, 10.0, 10.0, 9.0, 9.0]] * 64


@pytest.mark.parametrize("shape", [(7, 64), (33, 13), (1, 8), (4, 1024)])
def test_the_sparse_scan_finds_what_nonzero_finds(shape: tuple[int, int]) -> None:
    passing = np.random.default_rng(shape[1]).random(shape) > 0.995
    passing[-1, -1] = True
    expected = np.nonzero(passing)
    found = _sparse_nonzero(passing, int(passing.sum()))
    assert [a.tolist() for a in found] == [a.tolist() for a in expected]


def test_an_empty_matrix_gives_no_rows() -> None:
    found, scores = top_k(np.zeros((0, 4), np.float32), np.ones((2, 4), np.float32), 5)
    assert found.shape == scores.shape == (2, 0)
