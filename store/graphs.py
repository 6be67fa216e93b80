"""HNSW graphs of vector shards: built on request, each in a usearch file beside its shard.

A shard's file holds its vectors as stored (f32, f16 or bf16) with an empty graph, and exact
search reads them in place. :func:`build_graph` adds, per shard, a usearch HNSW index over a
copy of the vectors in the graph's own scalar type, ``run<id>-<kind>-<shard>.hnsw.usearch``:

- ``i8`` (the default): the vectors times one scale per shard (``127 / max |x|``, so no
  component is clipped and inner-product order is kept for vectors of any length), rounded
  to int8; queries are scaled the same way, per query. A quarter of the f32 bytes, and
  usearch's int8 dot products are the fastest it has.
- ``f16``, ``f32``: the vectors in that type.

Search asks each graph for ``max(depth, expansion_search)`` candidates, and the caller
rescores every candidate with an exact float32 dot product from the shard's own vectors, so
a graph's rounding changes which passages are found, never their scores or order.

``vector_shards.graph`` records the graph's parameters (``connectivity``, ``expansion_add``,
``dtype``), ``scale``, its ``path`` (relative to the database, like shard paths) and its
``sha256``; the graph's keys are the shard's row numbers (``"keys": "rows"``), so what it
finds needs no lookup to be rescored. Shards migrated from before graphs had files of their
own (migration 10) record only ``connectivity`` and ``expansion_add``: their graph is
inside the shard's file, over its stored vectors, keyed by passage id, and is searched
there.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from store.db import Store
from store.errors import StoreError
from store.records import VectorSet, VectorShard
from store.vector_files import file_sha256

if TYPE_CHECKING:
    from store.vectors import Shard

GRAPH_DTYPES = ("i8", "f16", "f32")
GRAPH_BATCH = 65_536
# Files up to this size are hashed when their graph is opened (as shards are).
HASHED_ON_OPEN = 64 << 20
I8_MAX = 127


def graph_file_name(shard_file: str) -> str:
    """The graph file's name beside a shard's (``run1-passages-00000.hnsw.usearch``)."""
    return shard_file.removesuffix(".usearch") + ".hnsw.usearch"


def graph_params(graph: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a graph was built with: connectivity, expansion_add and its scalar type (``in
    file`` for a graph inside the shard's file, over its stored vectors)."""
    if graph is None:
        return None
    return {
        "connectivity": graph["connectivity"],
        "expansion_add": graph["expansion_add"],
        "dtype": graph.get("dtype", "in file"),
    }


def graph_path(shard_path: Path, graph: dict[str, Any]) -> Path:
    """Where a shard's graph is: its own file beside the shard, or the shard's file."""
    if "path" not in graph:
        return shard_path
    return shard_path.parent / Path(graph["path"]).name


def as_graph_vectors(vectors: np.ndarray, dtype: str, scale: float) -> np.ndarray:
    """Float32 vectors as a graph of ``dtype`` holds them (see the module's notes)."""
    if dtype == "i8":
        return np.clip(np.rint(vectors * scale), -I8_MAX, I8_MAX).astype(np.int8)
    return np.ascontiguousarray(vectors, dtype=np.float16 if dtype == "f16" else np.float32)


def as_graph_queries(queries: np.ndarray, graph: dict[str, Any]) -> np.ndarray:
    """Float32 queries as a graph searches them: int8 queries scaled per query (a query's
    scale does not change the order of its dot products), else the queries as they are."""
    if graph.get("dtype") != "i8":
        return queries
    peak = np.abs(queries).max(axis=1, keepdims=True)
    return as_graph_vectors(queries / np.where(peak > 0, peak, 1.0), "i8", I8_MAX)


def build_graph(
    store: Store,
    vector_set: VectorSet,
    *,
    connectivity: int,
    expansion_add: int,
    dtype: str = "i8",
) -> list[VectorShard]:
    """Build an HNSW graph for every shard of a set that has none, one of other parameters,
    or a damaged one; returns the shards rebuilt. Each graph file is written beside its
    shard under a temporary name, moved into place and recorded in the shard's row (the
    shard's own file is not touched)."""
    from store.vectors import open_index, relative_path

    if dtype not in GRAPH_DTYPES:
        raise StoreError(f"graph type must be one of {', '.join(GRAPH_DTYPES)}, got {dtype!r}")
    params = {"connectivity": connectivity, "expansion_add": expansion_add, "dtype": dtype}
    rebuilt = []
    for shard in open_index(store, vector_set).shards:
        if graph_params(shard.record.graph) == params and _intact(shard.path, shard.record):
            continue
        path = shard.path.with_name(graph_file_name(shard.path.name))
        scale = _scale(shard) if dtype == "i8" else 1.0
        _write_graph(shard, path, params, scale)
        graph = {**params, "scale": scale, "keys": "rows", "path": relative_path(store, path)}
        graph["sha256"] = file_sha256(path)
        with store.transaction():
            store.execute(
                "UPDATE vector_shards SET graph = ? WHERE vector_set_id = ? AND shard = ?",
                (json.dumps(graph, sort_keys=True), vector_set.id, shard.record.shard),
            )
        rebuilt.append(shard.record)
        shard.forget_graph()
    return rebuilt


def _scale(shard: Shard) -> float:
    """``127 / max |x|`` over a shard's vectors (1 for a shard of zeros)."""
    peak = 0.0
    for start in range(0, len(shard), GRAPH_BATCH):
        rows = shard.rows(np.arange(start, min(start + GRAPH_BATCH, len(shard))))
        peak = max(peak, float(np.abs(rows).max(initial=0.0)))
    return I8_MAX / peak if peak > 0 else 1.0


def _write_graph(shard: Shard, path: Path, params: dict[str, Any], scale: float) -> None:
    from usearch.index import Index

    built = Index(
        ndim=shard.dense.matrix.shape[1],
        metric="ip",
        dtype=params["dtype"],
        connectivity=params["connectivity"],
        expansion_add=params["expansion_add"],
    )
    for start in range(0, len(shard), GRAPH_BATCH):
        rows = np.arange(start, min(start + GRAPH_BATCH, len(shard)))
        vectors = as_graph_vectors(shard.rows(rows), params["dtype"], scale)
        built.add(rows.astype(np.uint64), vectors)  # keyed by row: search needs no lookup
    partial = path.with_name(path.name + ".partial")
    built.save(str(partial))
    os.replace(partial, path)


def _intact(shard_path: Path, record: VectorShard) -> bool:
    """Whether a shard's graph file is there and is the one recorded."""
    graph = record.graph or {}
    path = graph_path(shard_path, graph)
    return "path" not in graph or (path.is_file() and file_sha256(path) == graph["sha256"])


def check_graph(shard_path: Path, record: VectorShard, *, verify: bool) -> Path:
    """A shard's graph file, after checking it is there and, when ``verify`` or when it is
    small, that it is the one recorded.

    Raises:
        StoreError: no graph, or its file is missing or changed; the message says how to
            rebuild it.
    """
    where = f"shard {record.shard} of vector set {record.vector_set_id}"
    if record.graph is None:
        raise StoreError(
            f"{shard_path}: {where} has no HNSW graph (indexes are built without one unless "
            "asked); add one with `xqg index-hnsw RUN`, or search exactly"
        )
    path = graph_path(shard_path, record.graph)
    if "path" not in record.graph:
        return path
    rebuild = "rebuild it with `xqg index-hnsw` on its index run, or search without --hnsw"
    if not path.is_file():
        raise StoreError(f"{path}: the HNSW graph file of {where} is missing; {rebuild}")
    if (verify or path.stat().st_size <= HASHED_ON_OPEN) and file_sha256(path) != record.graph[
        "sha256"
    ]:
        raise StoreError(
            f"{path}: SHA-256 differs from the one recorded for the HNSW graph of {where}: "
            f"the file changed after it was built; {rebuild}"
        )
    return path


def search_graph(
    shard: Shard, queries: np.ndarray, count: int, expansion: int | None
) -> np.ndarray:
    """Rows (positions in the shard) of the ``count`` candidates per query that the shard's
    graph finds with ``expansion`` (usearch's ``expansion_search``; at least ``count``);
    -1 where a graph found fewer (a graph need not reach every node)."""
    index = shard.graph_index()
    index.expansion_search = max(expansion or count, count)
    matches = index.search(as_graph_queries(queries, shard.record.graph or {}), count, exact=False)
    keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
    # usearch answers one query with Matches (no counts), several with BatchMatches.
    counts = np.asarray(getattr(matches, "counts", [keys.shape[1]])).reshape(-1, 1)
    found = np.arange(keys.shape[1]) < counts
    rows = np.full(keys.shape, -1, dtype=np.int64)
    if (shard.record.graph or {}).get("keys") != "rows":  # a graph inside the shard's file
        rows[found] = shard.positions(keys[found])
        return rows
    if found.any() and (keys[found].min() < 0 or keys[found].max() >= len(shard)):
        raise StoreError(f"{shard.path}: its HNSW graph names rows the shard does not have")
    rows[found] = keys[found]
    return rows


def graph_files(store: Store, run_id: int) -> list[str]:
    """The graph files of every shard of a run's vector sets (relative paths)."""
    rows = store.execute(
        "SELECT json_extract(s.graph, '$.path') FROM vector_shards s "
        "JOIN vector_sets v ON v.id = s.vector_set_id "
        "WHERE v.run_id = ? AND json_extract(s.graph, '$.path') IS NOT NULL",
        (run_id,),
    )
    return [row[0] for row in rows]


def copy_graph(
    source_path: Path, record: VectorShard, shard_path: Path, store: Store
) -> dict[str, Any] | None:
    """Copy a shard's graph file beside the shard's copy at ``shard_path`` (index-attach);
    returns the graph record for the copy (None when the shard has no graph, the record as
    it is for a graph inside the shard's file)."""
    from store.vectors import relative_path

    graph = record.graph
    if graph is None or "path" not in graph:
        return graph
    source = check_graph(source_path, record, verify=True)
    target = shard_path.with_name(graph_file_name(shard_path.name))
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    if file_sha256(partial) != graph["sha256"]:
        partial.unlink()
        raise StoreError(f"{source}: changed while it was copied; attach again")
    os.replace(partial, target)
    return {**graph, "path": relative_path(store, target)}
