"""Exact inner-product top-k over a memory-mapped matrix: what FAISS ``IndexFlatIP`` does.

The passages are read in blocks of rows; each block's scores for all queries come from one
BLAS matrix product (sgemm). A query keeps its best ``depth`` so far; from a block only the
scores above its current ``depth``-th best are candidates (after the first block, a few per
block), and they are merged with the kept ones by one sort. Memory: the block's scores
(queries x ``BLOCK`` float32, 32 MiB for 1,024 queries) and the kept ``depth`` per query; the
matrix itself is paged in from the file by the operating system.
"""

from __future__ import annotations

import numpy as np

BLOCK = 8192


def top_k(
    matrix: np.ndarray, queries: np.ndarray, depth: int, block: int = BLOCK
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and scores of the ``depth`` best rows per query, best first.

    Scores are float32 dot products from the matrix product; of rows with equal scores at
    the cut, the earlier block's are kept.

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
        threshold = self.scores[:, -1:]
        passing = np.count_nonzero(scores > threshold)
        if passing == 0:
            return
        if passing > 2 * self.scores.size and scores.shape[1] > self.depth:
            # Many candidates (the first blocks): keep each query's best depth of the block.
            cut = np.argpartition(scores, scores.shape[1] - self.depth, axis=1)[:, -self.depth :]
            queries = np.repeat(np.arange(len(scores)), self.depth)
            columns = cut.reshape(-1)
        else:
            queries, columns = np.nonzero(scores > threshold)
        self._merge(queries, scores[queries, columns], columns.astype(np.int64) + start)

    def _merge(self, queries: np.ndarray, scores: np.ndarray, rows: np.ndarray) -> None:
        touched = np.unique(queries)
        depth = self.depth
        all_queries = np.concatenate((np.repeat(touched, depth), queries))
        all_scores = np.concatenate((self.scores[touched].reshape(-1), scores))
        all_rows = np.concatenate((self.rows[touched].reshape(-1), rows))
        # Kept rows (placed first) win ties against later rows: a stable sort on
        # (query, -score) keeps them ahead; -1 placeholders carry -inf and sort last.
        order = np.lexsort((-all_scores, all_queries))
        firsts = np.searchsorted(all_queries[order], touched)
        take = order[firsts[:, None] + np.arange(depth)]
        self.scores[touched] = all_scores[take]
        self.rows[touched] = all_rows[take]

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows, self.scores
