"""Exact inner-product top-k over a memory-mapped matrix: what FAISS ``IndexFlatIP`` does.

The passages are read in blocks of rows; each block's scores for all queries come from one
BLAS matrix product (sgemm). A query keeps its best ``depth`` so far; from a block only the
scores above its current ``depth``-th best are candidates (after the first block, a few per
block), and they are merged with the kept ones by one sort. Memory: the block's scores
(queries x ``BLOCK`` float32, 32 MiB for 1,024 queries) and the kept ``depth`` per query; the
matrix itself is paged in from the file by the operating system.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK = 8192


def top_k(
    matrix: np.ndarray,
    queries: np.ndarray,
    depth: int,
    block: int = BLOCK,
    widen: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and scores of the ``depth`` best rows per query, best first.

    Scores are float32 dot products from the matrix product; of rows with equal scores at
    the cut, the earlier block's are kept. ``widen`` turns a block of stored rows (float16,
    or bf16 kept as uint16) into float32, one block at a time.

    Returns (rows, scores), each (n_queries, min(depth, n_rows)).
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    depth = min(depth, len(matrix))
    kept = _Kept(len(queries), depth)
    if depth == 0:
        return kept.rows, kept.scores
    scores = np.empty((len(queries), min(block, len(matrix))), dtype=np.float32)
    for start in range(0, len(matrix), block):
        rows = np.asarray(matrix[start : start + block])
        rows = widen(rows) if widen is not None else rows
        part = scores[:, : len(rows)]
        np.matmul(queries, rows.T, out=part)
        kept.offer(part, start)
    return kept.finish()


class _Kept:
    """The best ``depth`` (score, row) per query so far."""

    def __init__(self, count: int, depth: int) -> None:
        self.depth = depth
        self.scores = np.full((count, depth), -np.inf, dtype=np.float32)
        self.rows = np.full((count, depth), -1, dtype=np.int64)

    def offer(self, scores: np.ndarray, start: int) -> None:
        """Merge the candidates of one block of scores (rows from ``start``)."""
        passing = scores > self.scores[:, -1:]
        counts = np.count_nonzero(passing, axis=1)
        widest = int(counts.max(initial=0))
        if widest == 0:
            return
        if widest > 4 * self.depth and scores.shape[1] > self.depth:
            # Many candidates (the first blocks): keep each query's best depth of the block.
            cut = np.argpartition(scores, scores.shape[1] - self.depth, axis=1)[:, -self.depth :]
            self._merge(np.take_along_axis(scores, cut, 1), cut + start)
            return
        queries, columns = np.nonzero(passing)
        # Lay each query's candidates out in a row of their own (padded with -inf).
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        slots = np.arange(len(queries)) - firsts[queries]
        found = np.full((len(scores), widest), -np.inf, dtype=np.float32)
        rows = np.full((len(scores), widest), -1, dtype=np.int64)
        found[queries, slots] = scores[queries, columns]
        rows[queries, slots] = columns + start
        self._merge(found, rows)

    def _merge(self, scores: np.ndarray, rows: np.ndarray) -> None:
        """Keep the best ``depth`` of the kept and the offered, row by row; the kept come
        first and the sort is stable, so they win ties."""
        all_scores = np.concatenate((self.scores, scores), axis=1)
        all_rows = np.concatenate((self.rows, rows), axis=1)
        order = np.argsort(-all_scores, axis=1, kind="stable")[:, : self.depth]
        self.scores = np.take_along_axis(all_scores, order, 1)
        self.rows = np.take_along_axis(all_rows, order, 1)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows, self.scores
