"""Vector sets: shards of at most a shard size of vectors, each a usearch file (inner-product
metric, keys = our integer ids), registered in ``vector_shards`` with their checksums.

A set is written shard by shard (:func:`vector_writer`): each shard's file is written under a
temporary name, moved to its final name and registered in its own transaction, so a killed
build keeps its finished shards and a rerun of the same step continues after them (their
checksums and keys checked first). The set's ``vector_sets`` row holds the totals and is
marked complete at the end. Files are written with an empty graph (:mod:`store.vector_files`:
a file write, no HNSW build); :func:`store.graphs.build_graph` adds an HNSW graph beside each
shard when asked.

Reading (:func:`open_index`) memory-maps every shard after checking it against what was
recorded; :class:`ShardedIndex` answers ``keys``, ``len``, ``ndim``, ``get`` and ``contains``
over all shards. usearch reports ``1 - dot`` as the distance for the ``ip`` metric; callers
that need scores use :func:`scores_from_distances`.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from store import graphs
from store.db import Store
from store.errors import NotFoundError, StoreError
from store.records import VectorSet, VectorShard
from store.runs import now
from store.vector_files import (
    DTYPES,
    DenseVectors,
    Header,
    ShardFile,
    file_sha256,
    keys_sha256,
    read_dense,
    read_header,
    storage_rows,
    widen,
)

__all__ = [
    "DTYPES",
    "SHARD_SIZE",
    "DenseVectors",
    "ShardedIndex",
    "file_sha256",
    "keys_sha256",
    "load_vectors",
    "open_index",
    "run_vector_set",
    "vector_writer",
]

# Vectors per shard unless a step is told otherwise (--shard-size): 1.5 GB at 384 dims f32.
SHARD_SIZE = 1_000_000
# Vector files are named after the run that wrote them: run<id>-<kind>-<shard>.usearch
# (run<id>-<kind>.usearch before shards; .partial while being written).
RUN_FILE = re.compile(r"run(\d+)-")
REBUILD = "rebuild it: rerun the step that wrote it (the same command rebuilds the file)"
# Files up to this size are hashed on every open (about 0.1 s at 64 MiB): a same-size
# corruption or another index of the same shape is caught, not searched. Larger files get
# the header, layout and key checks on open.
HASHED_ON_OPEN = 64 << 20


def shard_file_name(run_id: int, kind: str, shard: int) -> str:
    """The file name of a run's shard."""
    return f"run{int(run_id)}-{kind}-{shard:05d}.usearch"


class VectorWriter:
    """Streams vectors into the shards of a vector set (see :func:`vector_writer`).

    ``resumed`` vectors (``last_key`` the last of them, in the order they were added) were
    already stored by an earlier, interrupted attempt: the caller adds what comes after.
    """

    def __init__(
        self,
        store: Store,
        vector_set: VectorSet,
        finished: list[tuple[VectorShard, np.ndarray]],
    ) -> None:
        self.store = store
        self.vector_set_id = vector_set.id
        self.run_id = vector_set.run_id
        self.kind = vector_set.kind
        self.dim = vector_set.dim
        self.dtype = vector_set.dtype
        self.shard_size = int(vector_set.shard_size or SHARD_SIZE)
        self._seen = [np.sort(keys.astype(np.uint64)) for _, keys in finished]
        self.count = sum(len(keys) for _, keys in finished)
        self.resumed = self.count
        self.last_key: int | None = int(finished[-1][1][-1]) if self.count else None
        self._next_shard = len(finished)
        self._current: ShardFile | None = None
        self._current_keys: set[int] = set()
        self.vector_set: VectorSet | None = None  # the registered set, once complete

    def add(self, keys: np.ndarray | Sequence[int], vectors: np.ndarray) -> None:
        """Add a batch; keys must be new to this vector set."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.dim):
            raise StoreError(
                f"{len(keys)} keys for vectors of shape {vectors.shape}, "
                f"expected ({len(keys)}, {self.dim})"
            )
        self._check_new(keys)
        rows = storage_rows(vectors, self.dtype)
        start = 0
        while start < len(keys):
            if self._current is None:
                name = shard_file_name(self.run_id, self.kind, self._next_shard)
                self._current = ShardFile(self.store.vectors_dir / name, self.dim, self.dtype)
            room = self.shard_size - self._current.count
            self._current.add(keys[start : start + room], rows[start : start + room])
            start += room
            if self._current.count >= self.shard_size:
                self._finish_shard()
        self.count += len(keys)

    def _check_new(self, keys: np.ndarray) -> None:
        fresh = set(keys.tolist())
        repeated = len(fresh) != len(keys) or bool(fresh & self._current_keys)
        for seen in self._seen:
            at = np.minimum(np.searchsorted(seen, keys), max(len(seen) - 1, 0))
            repeated = repeated or bool(len(seen) and (seen[at] == keys).any())
        if repeated:
            raise StoreError("vector keys must be unique within a vector set")
        self._current_keys |= fresh

    def _finish_shard(self) -> None:
        """Close the current shard's file and register it (its own transaction)."""
        assert self._current is not None
        shard, self._current = self._current, None
        keys = shard.close()
        self._current_keys = set()
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO vector_shards (vector_set_id, shard, path, count, dim, dtype, "
                "sha256, keys_sha256, graph, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    self.vector_set_id,
                    self._next_shard,
                    relative_path(self.store, shard.path),
                    len(keys),
                    self.dim,
                    self.dtype,
                    file_sha256(shard.path),
                    keys_sha256(keys),
                    now(),
                ),
            )
        self._seen.append(np.sort(keys))
        self.last_key = int(keys[-1])
        self._next_shard += 1

    @property
    def finished_shards(self) -> int:
        """Shards finished and registered so far (resumed ones included)."""
        return self._next_shard

    def close(self) -> None:
        """Finish the last, partly filled shard."""
        if self._current is not None and self._current.count:
            self._finish_shard()
        self.abort()

    def abort(self) -> None:
        """Remove the shard being written (finished shards stay registered)."""
        if self._current is not None:
            self._current.abort()
            self._current = None

    def keys_sha256(self) -> str:
        """The digest of every key stored, as :func:`keys_sha256` computes it."""
        if not self._seen:
            return keys_sha256(np.zeros(0, dtype=np.uint64))
        return keys_sha256(np.concatenate(self._seen))


@contextmanager
def vector_writer(
    store: Store,
    *,
    run_id: int,
    kind: str,
    collection_id: int,
    encoder: str,
    encoder_config: dict[str, Any],
    dim: int,
    source_run_id: int | None = None,
    dtype: str = "f32",
    shard_size: int = SHARD_SIZE,
) -> Iterator[VectorWriter]:
    """Write a vector set: add batches inside the block; every ``shard_size`` vectors a shard
    is saved and registered; on success the set is marked complete with its totals.

    An incomplete set of the same run, kind and description (an interrupted attempt) is
    continued: its shards whose files still match their checksums are kept, and the writer
    says how many vectors it holds (``resumed``, ``last_key``). On bad input (a
    :class:`StoreError`: repeated keys, wrong shapes) nothing is left behind; on any other
    failure the finished shards stay for the next attempt (the set's row too, when there
    are any).
    """
    if dtype not in DTYPES:
        raise StoreError(f"unknown storage type {dtype!r}; expected one of {', '.join(DTYPES)}")
    if shard_size < 1:
        raise StoreError(f"the shard size must be at least 1, got {shard_size}")
    store.vectors_dir.mkdir(parents=True, exist_ok=True)
    wanted = {
        "run_id": run_id,
        "kind": kind,
        "collection_id": collection_id,
        "source_run_id": source_run_id,
        "encoder": encoder,
        "encoder_config": json.dumps(encoder_config, sort_keys=True),
        "dim": dim,
        "dtype": dtype,
        "shard_size": shard_size,
    }
    writer = _begin(store, wanted)
    try:
        yield writer
        writer.close()
        writer.vector_set = _complete(store, writer.vector_set_id, writer.keys_sha256())
    except StoreError:
        writer.abort()
        drop_set(store, writer.vector_set_id)
        raise
    except BaseException:
        writer.abort()
        if not writer.finished_shards:  # nothing to continue from: no row left behind
            drop_set(store, writer.vector_set_id)
        raise


def _begin(store: Store, wanted: dict[str, Any]) -> VectorWriter:
    """A writer continuing the interrupted set that matches ``wanted``, or a new set's."""
    rows = store.rows(
        "SELECT * FROM vector_sets WHERE run_id = ? AND kind = ? AND source_run_id IS ? "
        "ORDER BY id",
        (wanted["run_id"], wanted["kind"], wanted["source_run_id"]),
    )
    for row in rows:
        same = not row["complete"] and all(row[k] == v for k, v in wanted.items())
        if same:
            vector_set = VectorSet.from_row(row)
            return VectorWriter(store, vector_set, _valid_prefix(store, vector_set))
        drop_set(store, row["id"])  # rewritten now: its files would be overwritten
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO vector_sets (run_id, kind, collection_id, source_run_id, encoder, "
            "encoder_config, dim, metric, dtype, count, path, sha256, keys_sha256, created_at, "
            "complete, shard_size) VALUES (:run_id, :kind, :collection_id, :source_run_id, "
            ":encoder, :encoder_config, :dim, 'ip', :dtype, 0, '', '', NULL, :created_at, 0, "
            ":shard_size)",
            {**wanted, "created_at": now()},
        )
    set_id = int(cursor.lastrowid or 0)
    return VectorWriter(store, get_vector_set(store, set_id), [])


def _valid_prefix(store: Store, vector_set: VectorSet) -> list[tuple[VectorShard, np.ndarray]]:
    """The finished shards of an interrupted set up to the first whose file is not the one
    recorded, with their keys in slot order; the rest are dropped (rows and files)."""
    kept: list[tuple[VectorShard, np.ndarray]] = []
    for shard in set_shards(store, vector_set.id):
        try:
            opened = open_shard(store, vector_set, shard, verify=True)
        except StoreError:
            break
        if shard.shard != len(kept) or shard.graph is not None:
            break
        kept.append((shard, opened.keys.astype(np.uint64)))
    for shard in set_shards(store, vector_set.id)[len(kept) :]:
        store.execute(
            "DELETE FROM vector_shards WHERE vector_set_id = ? AND shard = ?",
            (vector_set.id, shard.shard),
        )
        (store.path.parent / shard.path).unlink(missing_ok=True)
    return kept


def _complete(store: Store, set_id: int, keys_digest: str) -> VectorSet:
    """Mark a set complete with its totals (and its first shard's file as its ``path``)."""
    shards = set_shards(store, set_id)
    first = shards[0] if shards else None
    with store.transaction():
        store.execute(
            "UPDATE vector_sets SET count = ?, path = ?, sha256 = ?, keys_sha256 = ?, "
            "complete = 1, created_at = ? WHERE id = ?",
            (
                sum(s.count for s in shards),
                first.path if first else "",
                first.sha256 if first else "",
                keys_digest,
                now(),
                set_id,
            ),
        )
    return get_vector_set(store, set_id)


def drop_set(store: Store, set_id: int) -> None:
    """Delete a vector set's rows and its shard (and HNSW graph) files."""
    shards = set_shards(store, set_id)
    paths = [s.path for s in shards] + [
        s.graph["path"] for s in shards if s.graph and "path" in s.graph
    ]
    with store.transaction():
        store.execute("DELETE FROM vector_sets WHERE id = ?", (set_id,))
    remove_files(store, paths)


def get_vector_set(store: Store, set_id: int) -> VectorSet:
    """A vector set by id."""
    rows = store.rows("SELECT * FROM vector_sets WHERE id = ?", (set_id,))
    if not rows:
        raise NotFoundError(f"no vector set {set_id}")
    return VectorSet.from_row(rows[0])


def set_shards(store: Store, set_id: int) -> list[VectorShard]:
    """A vector set's shards in order."""
    rows = store.rows(
        "SELECT * FROM vector_shards WHERE vector_set_id = ? ORDER BY shard", (set_id,)
    )
    return [VectorShard.from_row(row) for row in rows]


def run_vector_sets(store: Store, run_id: int) -> list[VectorSet]:
    """Every vector set a run wrote (complete or being written)."""
    rows = store.rows("SELECT * FROM vector_sets WHERE run_id = ? ORDER BY id", (run_id,))
    return [VectorSet.from_row(row) for row in rows]


def run_shard_paths(store: Store, run_id: int) -> list[str]:
    """The files of every shard of a run's vector sets, and of their HNSW graphs."""
    rows = store.execute(
        "SELECT s.path FROM vector_shards s JOIN vector_sets v ON v.id = s.vector_set_id "
        "WHERE v.run_id = ?",
        (run_id,),
    )
    return [row[0] for row in rows] + graphs.graph_files(store, run_id)


def damage(store: Store, vector_set: VectorSet, *, full: bool = False) -> str | None:
    """Why a vector set's files are not the ones recorded, or None when they are: header,
    layout and keys always, the SHA-256 when ``full`` or when a file is small."""
    try:
        open_index(store, vector_set, verify=full)
    except StoreError as error:
        return str(error).split(f"; {REBUILD}")[0]  # a graph's own advice is kept
    return None


def run_vector_set(store: Store, run_id: int, kind: str) -> VectorSet:
    """The complete vector set of a given kind that a run wrote."""
    rows = store.rows(
        "SELECT * FROM vector_sets WHERE run_id = ? AND kind = ? AND complete = 1 "
        "ORDER BY id DESC LIMIT 1",
        (run_id, kind),
    )
    if not rows:
        raise NotFoundError(f"run {run_id} wrote no {kind} vectors")
    return VectorSet.from_row(rows[0])


def find_vector_sets(
    store: Store, *, kind: str, collection_id: int, encoder: str, source_run_id: int | None = None
) -> list[VectorSet]:
    """Complete vector sets of finished runs that match, newest first."""
    rows = store.rows(
        "SELECT v.* FROM vector_sets v JOIN runs r ON r.id = v.run_id "
        "WHERE v.kind = ? AND v.collection_id = ? AND v.encoder = ? AND r.status = 'done' "
        "AND v.source_run_id IS ? AND v.complete = 1 ORDER BY v.id DESC",
        (kind, collection_id, encoder, source_run_id),
    )
    return [VectorSet.from_row(row) for row in rows]


def vector_path(store: Store, vector_set: VectorSet) -> Path:
    """Absolute path of a vector set's first shard file."""
    return store.path.parent / vector_set.path


def relative_path(store: Store, path: Path) -> str:
    """A path as recorded: relative to the database's folder."""
    return os.path.relpath(path, store.path.parent)


@dataclass
class Shard:
    """One opened shard: its record, file and memory-mapped vectors."""

    record: VectorShard
    path: Path
    dense: DenseVectors
    _usearch: Any = field(default=None, repr=False)
    _order: np.ndarray | None = field(default=None, repr=False)

    @property
    def keys(self) -> np.ndarray:
        """Keys in row order (int64)."""
        return self.dense.keys

    @property
    def matrix(self) -> np.ndarray:
        """The rows as stored (float32, float16 or uint16 for bf16), memory-mapped."""
        return self.dense.matrix

    @property
    def dtype(self) -> str:
        """The storage type."""
        return self.dense.dtype

    def __len__(self) -> int:
        return len(self.dense.keys)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """Rows by position, as float32."""
        return widen(self.dense.matrix[np.asarray(rows, dtype=np.int64)], self.dtype)

    def release(self) -> None:
        """Drop the shard's pages from this process's memory (they stay in the operating
        system's page cache, and are read again on the next access)."""
        mapped = getattr(self.dense.matrix, "_mmap", None)
        if mapped is not None and hasattr(mmap, "MADV_DONTNEED"):
            mapped.madvise(mmap.MADV_DONTNEED)

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """The row of each key (keys of this shard only)."""
        if self._order is None:
            self._order = np.argsort(self.dense.keys, kind="stable")
        ordered = self.dense.keys[self._order]
        at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
        if not (ordered[at] == keys).all():
            raise StoreError(f"{self.path}: keys asked for that shard {self.record.shard} lacks")
        return np.asarray(self._order[at], dtype=np.int64)

    def graph_index(self) -> Any:
        """The shard's HNSW graph as a usearch index (memory-mapped view), checked first
        (:func:`store.graphs.check_graph`).

        Raises:
            StoreError: the shard has no graph, or its file is missing or changed.
        """
        if self._usearch is None:
            from usearch.index import Index

            path = graphs.check_graph(self.path, self.record, verify=False)
            self._usearch = Index.restore(str(path), view=True)
        return self._usearch

    def forget_graph(self) -> None:
        """Drop the opened graph (it was rebuilt)."""
        self._usearch = None


class ShardedIndex:
    """Every shard of a vector set, as one index: keys, length, dimensions, get, contains."""

    def __init__(self, vector_set: VectorSet, shards: list[Shard]) -> None:
        self.vector_set = vector_set
        self.shards = shards
        self.ndim = vector_set.dim
        self.dtype = vector_set.dtype
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return sum(len(shard) for shard in self.shards)

    @property
    def keys(self) -> np.ndarray:
        """Every key, shard by shard in row order (uint64)."""
        if not self.shards:
            return np.zeros(0, dtype=np.uint64)
        return np.concatenate([shard.keys for shard in self.shards]).astype(np.uint64)

    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys sorted, and the position (over all shards) of each."""
        if self._sorted is None:
            keys = self.keys
            order = np.argsort(keys, kind="stable")
            self._sorted = (keys[order], order)
        return self._sorted

    def _positions(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of each key over all shards, and whether it is present."""
        keys = np.asarray(keys, dtype=np.uint64).reshape(-1)
        ordered, order = self._lookup()
        if len(ordered) == 0:
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
        return order[at], ordered[at] == keys

    def contains(self, keys: np.ndarray | Sequence[int]) -> np.ndarray:
        """Whether each key has a vector."""
        return self._positions(np.asarray(keys))[1]

    def get(self, keys: np.ndarray | Sequence[int]) -> np.ndarray:
        """Float32 vectors of keys that are all present, in key order."""
        positions, present = self._positions(np.asarray(keys))
        if not present.all():
            raise StoreError(f"{int((~present).sum())} keys have no vector")
        starts = np.cumsum([0] + [len(shard) for shard in self.shards])
        owner = np.searchsorted(starts, positions, side="right") - 1
        found = np.empty((len(positions), self.ndim), dtype=np.float32)
        for number in np.unique(owner):
            mine = owner == number
            found[mine] = self.shards[number].rows(positions[mine] - starts[number])
        return found


def open_index(store: Store, vector_set: VectorSet, *, verify: bool = False) -> ShardedIndex:
    """Every shard of a vector set, memory-mapped read-only, after checking each file is the
    one recorded: header (dimensions, scalar type, metric, count), layout and keys always,
    its SHA-256 when ``verify`` or when the file is small.

    Raises:
        StoreError: a shard is missing, not a usearch file, or not the one recorded; or the
            shards disagree with the set; the message names the file and shard.
    """
    if not vector_set.complete:
        raise StoreError(
            f"vector set {vector_set.id} (run {vector_set.run_id}) is still being written or "
            f"was interrupted; {REBUILD}"
        )
    shards = set_shards(store, vector_set.id)
    for shard in shards:
        if (shard.dim, shard.dtype) != (vector_set.dim, vector_set.dtype):
            raise StoreError(
                f"{store.path.parent / shard.path}: shard {shard.shard} of vector set "
                f"{vector_set.id} holds {shard.dim}-dimensional {shard.dtype} vectors, the set "
                f"{vector_set.dim}-dimensional {vector_set.dtype}; {REBUILD}"
            )
    if sum(s.count for s in shards) != vector_set.count:
        raise StoreError(
            f"vector set {vector_set.id}: its shards hold {sum(s.count for s in shards)} "
            f"vectors, {vector_set.count} recorded; {REBUILD}"
        )
    return ShardedIndex(vector_set, [open_shard(store, vector_set, s, verify) for s in shards])


def open_shard(store: Store, vector_set: VectorSet, shard: VectorShard, verify: bool) -> Shard:
    """One shard's file, checked against its record (see :func:`open_index`)."""
    path = store.path.parent / shard.path
    where = f"shard {shard.shard} of vector set {vector_set.id}"
    header = _checked_header(path, shard, vector_set.metric, where)
    if (verify or path.stat().st_size <= HASHED_ON_OPEN) and file_sha256(path) != shard.sha256:
        raise StoreError(
            f"{path}: SHA-256 differs from the one recorded for {where}: the file changed "
            f"after it was written; {REBUILD}"
        )
    dense = _dense(path, header, where)
    if shard.keys_sha256 and keys_sha256(dense.keys) != shard.keys_sha256:
        raise StoreError(
            f"{path}: its keys are not those recorded for {where} (another run's or "
            f"collection's index?); {REBUILD}"
        )
    if verify and shard.graph is not None:
        graphs.check_graph(path, shard, verify=True)
    return Shard(shard, path, dense)


def open_shard_file(shard: VectorShard, path: Path) -> Shard:
    """A shard's file opened without the database (on a Ray actor, given the record and the
    file's path by the driver, which checked the file with :func:`open_index`): its header
    and layout are checked against the record again, as they are read anyway.

    Raises:
        StoreError: the file is missing or not the one recorded; the message names it.
    """
    where = f"shard {shard.shard} of vector set {shard.vector_set_id}"
    return Shard(shard, path, _dense(path, _checked_header(path, shard, "ip", where), where))


def _checked_header(path: Path, shard: VectorShard, metric: str, where: str) -> Header:
    """The usearch header of a shard's file, after checking it is the one recorded."""
    if path.is_dir():
        raise StoreError(f"{path}: a folder where the vector file should be ({where}); {REBUILD}")
    if not path.exists():
        raise StoreError(f"{path}: vector file ({where}) is missing; {REBUILD}")
    try:
        header = read_header(path)
    except StoreError as error:
        raise StoreError(f"{error} ({where}); {REBUILD}") from None
    found = {
        "dimensions": header.dim,
        "vectors": header.count,
        "scalar type": header.dtype,
        "metric": header.metric,
    }
    expected = {
        "dimensions": shard.dim,
        "vectors": shard.count,
        "scalar type": shard.dtype,
        "metric": metric,
    }
    wrong = [f"{k} {found[k]} where {v} is recorded" for k, v in expected.items() if found[k] != v]
    if wrong:
        raise StoreError(f"{path}: {'; '.join(wrong)} ({where}); {REBUILD}")
    return header


def _dense(path: Path, header: Header, where: str) -> DenseVectors:
    """A shard file's keys and vectors, memory-mapped."""
    dense = read_dense(path, header)
    if dense is None:
        raise StoreError(
            f"{path}: not a whole usearch index (its layout does not account for every byte; "
            f"{where}); {REBUILD}"
        )
    return dense


def dense_vectors(index: ShardedIndex) -> DenseVectors | None:
    """The vectors of a one-shard index read in place (None for several shards)."""
    return index.shards[0].dense if len(index.shards) == 1 else None


def load_vectors(index: Any, keys: Sequence[int] | np.ndarray) -> np.ndarray:
    """Float32 vectors for keys, in key order; every key must be present."""
    keys = np.asarray(keys, dtype=np.uint64)
    if len(keys) == 0:
        return np.zeros((0, index.ndim), dtype=np.float32)
    present = np.asarray(index.contains(keys), dtype=bool)
    if not present.all():
        missing = keys[~present][:5].tolist()
        raise StoreError(f"{int((~present).sum())} keys have no vector (e.g. {missing})")
    return np.asarray(index.get(keys), dtype=np.float32).reshape(len(keys), index.ndim)


def scores_from_distances(distances: np.ndarray) -> np.ndarray:
    """Inner-product scores from usearch ``ip`` distances (``distance = 1 - dot``)."""
    return 1.0 - distances.astype(np.float64)


def attach_shards(
    store: Store, target: VectorSet, source_store: Store, source: VectorSet
) -> list[VectorShard]:
    """Copy every shard of ``source`` (a set of another database) into this database as
    further shards of ``target``; the files are checked against their records first and the
    keys of the two sets must not overlap. Returns the new shards."""
    incoming = open_index(source_store, source, verify=True)
    present = open_index(store, target)
    overlap = np.intersect1d(present.keys, incoming.keys)
    if len(overlap):
        raise StoreError(
            f"{len(overlap)} keys are in both vector sets (e.g. {overlap[:5].tolist()}): "
            "attach only shards of other passages"
        )
    first = len(present.shards)
    added = []
    for offset, shard in enumerate(incoming.shards):
        number = first + offset
        path = store.vectors_dir / shard_file_name(target.run_id, target.kind, number)
        partial = path.with_name(path.name + ".partial")
        store.vectors_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shard.path, partial)
        if file_sha256(partial) != shard.record.sha256:
            partial.unlink()
            raise StoreError(f"{shard.path}: changed while it was copied; attach again")
        os.replace(partial, path)
        added.append(
            replace(
                shard.record,
                vector_set_id=target.id,
                shard=number,
                path=relative_path(store, path),
                graph=graphs.copy_graph(shard.path, shard.record, path, store),
            )
        )
    all_keys = np.concatenate([present.keys, incoming.keys])
    with store.transaction():
        for record in added:
            store.execute(
                "INSERT INTO vector_shards (vector_set_id, shard, path, count, dim, dtype, "
                "sha256, keys_sha256, graph, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.vector_set_id,
                    record.shard,
                    record.path,
                    record.count,
                    record.dim,
                    record.dtype,
                    record.sha256,
                    record.keys_sha256,
                    json.dumps(record.graph, sort_keys=True) if record.graph else None,
                    record.created_at,
                ),
            )
        store.execute(
            "UPDATE vector_sets SET count = ?, keys_sha256 = ? WHERE id = ?",
            (len(all_keys), keys_sha256(all_keys), target.id),
        )
    return added


def remove_files(store: Store, relative_paths: Sequence[str]) -> None:
    """Delete vector files that no registered shard or vector set points at any more."""
    for relative in relative_paths:
        still = store.scalar(
            "SELECT (SELECT count(*) FROM vector_shards WHERE path = ?) + "
            "(SELECT count(*) FROM vector_sets WHERE path = ?)",
            (relative, relative),
        )
        path = store.path.parent / relative
        if relative and not still and path.is_file():
            path.unlink()


def run_files(store: Store, run_id: int) -> list[Path]:
    """Every file a run's vector writers left under the vectors folder (``run<id>-*``),
    registered or not: finished files, and ``.partial`` ones of an interrupted write."""
    if not store.vectors_dir.is_dir():
        return []
    return sorted(store.vectors_dir.glob(f"run{int(run_id)}-*"))


def unregistered_files(store: Store) -> list[tuple[Path, int | None]]:
    """Files under the vectors folder that no shard points at, with the run id their name
    carries (None when it carries none)."""
    if not store.vectors_dir.is_dir():
        return []
    rows = store.execute(
        "SELECT path FROM vector_shards UNION SELECT path FROM vector_sets "
        "UNION SELECT json_extract(graph, '$.path') FROM vector_shards "
        "WHERE json_extract(graph, '$.path') IS NOT NULL"
    )
    registered = {store.path.parent / row[0] for row in rows}
    found = []
    for path in sorted(store.vectors_dir.iterdir()):
        if path not in registered:
            match = RUN_FILE.match(path.name)
            found.append((path, int(match.group(1)) if match else None))
    return found
