"""Exact inner-product top-k over a memory-mapped matrix: what FAISS ``IndexFlatIP`` does.

The passages are read in blocks of rows; each block's scores for all queries come from one
BLAS matrix product (sgemm). A query keeps its best ``depth`` so far; from a block only the
scores above its current ``depth``-th best are candidates (after the first block, a few per
block), and they are merged with the kept ones by one sort. Memory: the block's scores
(queries x ``BLOCK`` float32, 32 MiB for 1,024 queries) and the kept ``depth`` per query; the
matrix itself is paged in from the file by the operating system. The queries are shared
among BLAS's threads, each with its own blocks of scores (the same memory in all).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK = 8192
# Queries a thread takes at least when a search is split among BLAS's threads (fewer make
# each thread's matrix products too thin to run at full speed).
THREAD_QUERIES = 32


def top_k(
    matrix: np.ndarray,
    queries: np.ndarray,
    depth: int,
    block: int = BLOCK,
    widen: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and scores of the ``depth`` best rows per query, best first.

    Scores are float32 dot products from the matrix product; of rows with equal scores at
    the cut, the earlier row is kept. ``widen`` turns a block of stored rows (float16, or
    bf16 kept as uint16) into float32, one block at a time.

    With BLAS set to several threads (and at least :data:`THREAD_QUERIES` queries a
    thread), the queries are split among that many threads,
    each scanning every row with one BLAS thread, so the selection runs beside the products
    instead of between them; each query is scanned exactly as it would be alone.

    Returns (rows, scores), each (n_queries, min(depth, n_rows)).
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    depth = min(depth, len(matrix))
    workers = 1
    if depth and len(queries) >= 2 * THREAD_QUERIES:
        workers = min(blas_threads(), len(queries) // THREAD_QUERIES)
    if workers > 1:
        return _parallel(matrix, queries, depth, block, widen, workers)
    return _scan(matrix, queries, depth, block, widen).finish()


def _scan(
    matrix: np.ndarray,
    queries: np.ndarray,
    depth: int,
    block: int,
    widen: Callable[[np.ndarray], np.ndarray] | None,
) -> _Kept:
    """The best ``depth`` per query of the matrix's rows, block by block."""
    kept = _Kept(len(queries), depth)
    if depth == 0:
        return kept
    scores = np.empty((len(queries), min(block, len(matrix))), dtype=np.float32)
    for start in range(0, len(matrix), block):
        rows = np.asarray(matrix[start : start + block])
        rows = widen(rows) if widen is not None else rows
        part = scores[:, : len(rows)]
        np.matmul(queries, rows.T, out=part)
        kept.offer(part, start)
    return kept


def _parallel(
    matrix: np.ndarray,
    queries: np.ndarray,
    depth: int,
    block: int,
    widen: Callable[[np.ndarray], np.ndarray] | None,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_scan` of ``workers`` parts of the queries at once, one BLAS thread each."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    parts = np.array_split(np.arange(len(queries)), workers)

    def scan(part: np.ndarray) -> _Kept:
        return _scan(matrix, queries[part], depth, block, widen)

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        found = list(pool.map(scan, parts))
    return np.concatenate([k.rows for k in found]), np.concatenate([k.scores for k in found])


def blas_threads() -> int:
    """The threads BLAS uses for a product now (1 when it cannot be told)."""
    from threadpoolctl import threadpool_info

    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(1, min(counts, default=1))


def _sparse_nonzero(passing: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a boolean matrix with few true entries (``total``), in row-major
    order: the matrix is scanned as 8-byte words and only the words with a true byte are
    looked into (``np.nonzero`` itself walks every byte, a third of a block's time)."""
    flat = passing.reshape(-1)
    if flat.size % 8 or not flat.flags.c_contiguous or total * 64 > flat.size:
        queries, columns = np.nonzero(passing)
        return queries, columns
    words = np.flatnonzero(flat.view(np.uint64))
    bytes_ = flat.reshape(-1, 8)[words]
    word_of, offset = np.nonzero(bytes_)
    positions = words[word_of] * 8 + offset
    return np.divmod(positions, passing.shape[1])


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
        queries, columns = _sparse_nonzero(passing, int(counts.sum()))
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
