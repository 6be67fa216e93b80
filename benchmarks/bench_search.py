"""Exact search and fusion speed: xqg against FAISS IndexFlatIP, usearch and plain numpy.

Seeded float32 unit vectors around 1,000 cluster centres (passages and queries, 384
dimensions as e5-small), written
to a usearch file the way the index step writes it and opened the way search opens it.
Side by side in one process, top-100 per query (xqg and FAISS: the best of 3 alternating
runs, as the machine is shared; the others: one run):

- xqg exact search (``pipelines.search.rank``: blocked sgemm over the file's vectors read
  in place), against FAISS ``IndexFlatIP`` on the same vectors (the target: >= 0.8x its
  speed), usearch's own exact scan (what ``rank`` did before), and numpy (one matrix
  product, ``argpartition``, sort); with whether the top-100 ids are identical.
- usearch HNSW at several expansion settings: recall@100 against exact, and speed.
- Fusion (``pipelines.augment.owner_sums``) against ``np.add.at``, same float64 sums.

``--quick`` (``make bench``): 50,000 passages; default 200,000; ``--passages 1000000``
for the 1M row of docs/benchmarks.md (the HNSW graph alone takes about a minute to build).
Threads: whatever BLAS and FAISS use by default (both cores here).

Run: ``make bench-search`` (or ``python benchmarks/bench_search.py --passages 1000000``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.table import Row, add_arguments, seconds, write_rows  # noqa: E402

DIM, QUERIES, DEPTH, SEED = 384, 1000, 100, 20241204
EXPANSIONS = (64, 512)
REPEATS = 3
CLUSTERS = 1000


def main() -> int:
    """Build the vectors and the file, time every side, print and record the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, help="passages (default 200,000; quick 50,000)")
    parser.add_argument("--queries", type=int, default=QUERIES)
    add_arguments(parser)
    args = parser.parse_args()
    count = args.passages or (50_000 if args.quick else 200_000)
    rng = np.random.default_rng(SEED)
    centers = rng.standard_normal((CLUSTERS, DIM), dtype=np.float32)
    passages = _around(rng, centers, count)
    queries = _around(rng, centers, args.queries)
    print(f"{count:,} passages x {DIM} float32, {len(queries):,} queries, top-{DEPTH}")
    with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
        index, build_s = _usearch_file(Path(work), passages)
        print(f"usearch file with its HNSW graph written in {build_s:.1f} s (the index step)")
        rows = _exact(index, passages, queries) + _hnsw(index, queries)
    rows += _fusion(rng)
    write_rows(args.rows, rows)
    met = rows[0]["ratio"] >= 0.8 and rows[0]["identical"] == "yes"
    print(
        f"exact search at >= 0.8x FAISS with identical top-{DEPTH}: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


def _around(rng: np.random.Generator, centers: np.ndarray, count: int) -> np.ndarray:
    """Unit vectors near seeded cluster centres (embeddings cluster by topic; uniform
    random vectors in 384 dimensions are the worst case for a graph index)."""
    vectors = centers[rng.integers(0, len(centers), count)]
    vectors += rng.standard_normal((count, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _usearch_file(folder: Path, passages: np.ndarray) -> tuple[Any, float]:
    from usearch.index import Index

    started = time.perf_counter()
    built = Index(ndim=DIM, metric="ip", dtype="f32")
    built.add(np.arange(len(passages), dtype=np.uint64), passages)
    path = folder / "passages.usearch"
    built.save(str(path))
    index = Index.restore(str(path), view=True)
    index.path = path
    return index, time.perf_counter() - started


def _timed(label: str, search: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    ids = search()
    took = time.perf_counter() - started
    print(f"  {label:<44} {took:8.2f} s")
    return ids, took


def _exact(index: Any, passages: np.ndarray, queries: np.ndarray) -> list[Row]:
    import faiss

    from pipelines.search import rank

    flat = faiss.IndexFlatIP(DIM)
    flat.add(passages)
    print(f"exact top-{DEPTH}, the best of {REPEATS} alternating runs of xqg and FAISS:")
    ours_s = faiss_s = float("inf")
    for _ in range(REPEATS):
        ours, took = _timed(
            "xqg (pipelines.search.rank, exact)", lambda: rank(index, queries, DEPTH)[0]
        )
        ours_s = min(ours_s, took)
        theirs, took = _timed("FAISS IndexFlatIP", lambda: flat.search(queries, DEPTH)[1])
        faiss_s = min(faiss_s, took)
    plain, numpy_s = _timed("numpy matmul + argpartition + sort", lambda: _numpy(passages, queries))
    old, usearch_s = _timed(
        "usearch search(exact=True)", lambda: index.search(queries, DEPTH, exact=True).keys
    )
    rows = []
    for name, ids, took in (
        ("FAISS IndexFlatIP", theirs, faiss_s),
        ("numpy matmul + argpartition", plain, numpy_s),
        ("usearch exact (before)", old, usearch_s),
    ):
        same = _same_sets(ours, ids)
        print(f"  xqg vs {name}: {took / ours_s:.2f}x, identical top-{DEPTH}: {same}")
        rows.append(
            Row(
                benchmark=f"exact search {len(passages):,} x {DIM}, {len(queries):,} queries",
                xqg=seconds(ours_s),
                alternative=f"{seconds(took)} ({name})",
                ratio=round(took / ours_s, 2),
                identical=same,
            )
        )
    return rows


def _numpy(passages: np.ndarray, queries: np.ndarray) -> np.ndarray:
    scores = queries @ passages.T
    cut = np.argpartition(-scores, DEPTH, axis=1)[:, :DEPTH]
    order = np.argsort(-np.take_along_axis(scores, cut, 1), axis=1, kind="stable")
    return np.take_along_axis(cut, order, 1)


def _same_sets(ours: np.ndarray, theirs: np.ndarray) -> str:
    """'yes' when every query's top ids are the same set, else how many queries differ."""
    ours, theirs = np.sort(np.asarray(ours, np.int64), 1), np.sort(np.asarray(theirs, np.int64), 1)
    differ = int((ours != theirs).any(axis=1).sum())
    return "yes" if differ == 0 else f"no ({differ} queries)"


def _hnsw(index: Any, queries: np.ndarray) -> list[Row]:
    from pipelines.search import rank

    exact, exact_s = _timed("exact, for recall", lambda: rank(index, queries, DEPTH)[0])
    rows = []
    print("usearch HNSW (connectivity 16, the default), by expansion_search:")
    for expansion in EXPANSIONS:
        index.expansion_search = expansion
        found, took = _timed(
            f"expansion {expansion}", lambda: rank(index, queries, DEPTH, exact=False)[0]
        )
        recall = float(
            np.mean([len(set(a) & set(b)) / DEPTH for a, b in zip(found, exact, strict=True)])
        )
        print(f"    recall@{DEPTH} {recall:.3f}, {exact_s / took:.1f}x the exact speed")
        rows.append(
            Row(
                benchmark=f"HNSW search {len(index):,}, expansion {expansion}",
                xqg=seconds(took),
                alternative=f"{seconds(exact_s)} (xqg exact)",
                ratio=round(exact_s / took, 2),
                identical=f"recall {recall:.3f}",
            )
        )
    return rows


def _fusion(rng: np.random.Generator) -> list[Row]:
    from pipelines.augment import owner_sums

    passages, per = 65_536, 5  # one augment chunk, 5 generated queries per passage
    rows = rng.standard_normal((passages * per, DIM))
    owners = np.repeat(np.arange(passages), per)
    print(f"fusion of one chunk: {passages:,} passages x {per} generated queries, float64:")

    def add_at() -> np.ndarray:
        totals = np.zeros((passages, DIM))
        np.add.at(totals, owners, rows)
        return totals

    ours, ours_s = _timed(
        "xqg (owner_sums: one sparse product)", lambda: owner_sums(rows, owners, passages)
    )
    theirs, theirs_s = _timed("np.add.at", add_at)
    same = "yes" if np.array_equal(ours, theirs) else "NO"
    print(f"  {theirs_s / ours_s:.1f}x, bit-identical: {same}")
    return [
        Row(
            benchmark=f"fusion {passages:,} passages x {per} queries",
            xqg=seconds(ours_s),
            alternative=f"{seconds(theirs_s)} (np.add.at)",
            ratio=round(theirs_s / ours_s, 2),
            identical=same,
        )
    ]


if __name__ == "__main__":
    sys.exit(main())
