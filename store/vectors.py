"""Vector sets: usearch index files (inner-product metric, keys = our integer ids).

usearch reports ``1 - dot`` as the distance for the ``ip`` metric; callers that need scores
use :func:`scores_from_distances`. Files are written beside the database, under a temporary
name first, and registered in ``vector_sets`` with their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from store.db import Store
from store.errors import NotFoundError, StoreError
from store.records import VectorSet
from store.runs import now

ADD_BATCH = 65_536
# Vector files are named after the run that wrote them: run<id>-<kind>.usearch (.partial).
RUN_FILE = re.compile(r"run(\d+)-")


class VectorWriter:
    """Streams vectors into a new usearch file, then registers it (see :func:`vector_writer`)."""

    def __init__(self, store: Store, path: Path, dim: int) -> None:
        from usearch.index import Index

        self.store = store
        self.path = path
        self.dim = dim
        self.count = 0
        self._keys: set[int] = set()
        self.index = Index(ndim=dim, metric="ip", dtype="f32")

    def add(self, keys: np.ndarray | Sequence[int], vectors: np.ndarray) -> None:
        """Add a batch; keys must be new to this file."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.dim):
            raise StoreError(
                f"{len(keys)} keys for vectors of shape {vectors.shape}, "
                f"expected ({len(keys)}, {self.dim})"
            )
        fresh = set(keys.tolist())
        if len(fresh) != len(keys) or fresh & self._keys:
            raise StoreError("vector keys must be unique within a vector set")
        self._keys |= fresh
        for start in range(0, len(keys), ADD_BATCH):
            self.index.add(keys[start : start + ADD_BATCH], vectors[start : start + ADD_BATCH])
        self.count += len(keys)

    def keys_sha256(self) -> str:
        """The digest of every key added, as :func:`keys_sha256` computes it from a file."""
        return keys_sha256(np.fromiter(self._keys, dtype=np.uint64, count=len(self._keys)))


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
) -> Iterator[VectorWriter]:
    """Write a vector set: add batches inside the block; on success the file is saved under
    its final name and registered, on failure nothing is left behind."""
    store.vectors_dir.mkdir(parents=True, exist_ok=True)
    path = store.vectors_dir / f"run{run_id}-{kind}.usearch"
    partial = path.with_suffix(".partial")
    writer = VectorWriter(store, path, dim)
    try:
        yield writer
        try:
            writer.index.save(str(partial))
        except RuntimeError as error:  # usearch: "Failed to serialize into stream"
            raise StoreError(
                f"{partial}: could not write the vector file ({error}): the disk may be full "
                "or over a size limit; free space and rerun the same command"
            ) from None
        os.replace(partial, path)
        with store.transaction():
            store.execute(
                "INSERT INTO vector_sets (run_id, kind, collection_id, source_run_id, encoder, "
                "encoder_config, dim, metric, dtype, count, path, sha256, keys_sha256, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'ip', 'f32', ?, ?, ?, ?, ?)",
                (
                    run_id,
                    kind,
                    collection_id,
                    source_run_id,
                    encoder,
                    json.dumps(encoder_config, sort_keys=True),
                    dim,
                    writer.count,
                    os.path.relpath(path, store.path.parent),
                    file_sha256(path),
                    writer.keys_sha256(),
                    now(),
                ),
            )
    except BaseException:
        for leftover in (partial, path):
            leftover.unlink(missing_ok=True)
        raise


def run_vector_sets(store: Store, run_id: int) -> list[VectorSet]:
    """Every vector set a run wrote."""
    rows = store.rows("SELECT * FROM vector_sets WHERE run_id = ? ORDER BY id", (run_id,))
    return [VectorSet.from_row(row) for row in rows]


def damage(store: Store, vector_set: VectorSet, *, full: bool = False) -> str | None:
    """Why a vector set's file is not the one recorded, or None when it is: the header
    always, the SHA-256 when ``full`` or when the file is small."""
    path = vector_path(store, vector_set)
    try:
        check_header(path, vector_set)
        if (full or path.stat().st_size <= HASHED_ON_OPEN) and (
            file_sha256(path) != vector_set.sha256
        ):
            return f"{path}: SHA-256 differs from the one recorded"
    except StoreError as error:
        return str(error).split("; rebuild it")[0]
    return None


def run_vector_set(store: Store, run_id: int, kind: str) -> VectorSet:
    """The vector set of a given kind that a run wrote."""
    rows = store.rows(
        "SELECT * FROM vector_sets WHERE run_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
        (run_id, kind),
    )
    if not rows:
        raise NotFoundError(f"run {run_id} wrote no {kind} vectors")
    return VectorSet.from_row(rows[0])


def find_vector_sets(
    store: Store, *, kind: str, collection_id: int, encoder: str, source_run_id: int | None = None
) -> list[VectorSet]:
    """Vector sets of finished runs that match, newest first."""
    rows = store.rows(
        "SELECT v.* FROM vector_sets v JOIN runs r ON r.id = v.run_id "
        "WHERE v.kind = ? AND v.collection_id = ? AND v.encoder = ? AND r.status = 'done' "
        "AND v.source_run_id IS ? ORDER BY v.id DESC",
        (kind, collection_id, encoder, source_run_id),
    )
    return [VectorSet.from_row(row) for row in rows]


def vector_path(store: Store, vector_set: VectorSet) -> Path:
    """Absolute path of a vector set's file."""
    return store.path.parent / vector_set.path


# Files up to this size are hashed on every open (about 0.1 s at 64 MiB): a same-size
# corruption or another index of the same shape is caught, not searched. Larger files get
# the header checks on open.
HASHED_ON_OPEN = 64 << 20


def open_index(store: Store, vector_set: VectorSet, *, verify: bool = False) -> Any:
    """The usearch index of a vector set, memory-mapped read-only, after checking that the
    file is the one recorded: its header (dimensions, scalar type, metric, count) always,
    its SHA-256 when ``verify`` or when the file is small.

    Raises:
        StoreError: the file is missing, not a usearch index, or not the recorded one; the
            message names what was expected and what was found.
    """
    from usearch.index import Index

    path = vector_path(store, vector_set)
    check_header(path, vector_set)
    if (verify or path.stat().st_size <= HASHED_ON_OPEN) and (
        file_sha256(path) != vector_set.sha256
    ):
        raise StoreError(
            f"{path}: SHA-256 differs from the one recorded for vector set {vector_set.id}: "
            f"the file changed after it was written; {REBUILD}"
        )
    try:
        index = Index.restore(str(path), view=True)
    except (ValueError, RuntimeError) as error:  # a header that promises more than is there
        raise StoreError(f"{path}: not a whole usearch index ({error}); {REBUILD}") from None
    if index is not None:
        index.path = path  # where dense_vectors reads the vectors in place
    if index is None or len(index) != vector_set.count or index.ndim != vector_set.dim:
        raise StoreError(
            f"{path}: holds {0 if index is None else len(index)} vectors, "
            f"{vector_set.count} recorded; {REBUILD}"
        )
    if vector_set.keys_sha256 and keys_sha256(index.keys) != vector_set.keys_sha256:
        raise StoreError(
            f"{path}: its keys are not those recorded for vector set {vector_set.id} (another "
            f"run's or collection's index?); {REBUILD}"
        )
    return index


def keys_sha256(keys: Any) -> str:
    """SHA-256 of a key set, in sorted order as unsigned 64-bit integers (about 1 s for
    18M keys: cheap next to hashing the vectors)."""
    return hashlib.sha256(np.sort(np.asarray(keys, dtype=np.uint64)).tobytes()).hexdigest()


REBUILD = "rebuild it: rerun the step that wrote it (the same command rebuilds the file)"


def check_header(path: Path, vector_set: VectorSet) -> None:
    """Compare a vector file's header with what the database recorded for it (cheap: the
    header alone is read, whatever the file's size)."""
    from usearch.index import Index

    if path.is_dir():
        raise StoreError(f"{path}: a folder where the vector file should be; {REBUILD}")
    if not path.exists():
        raise StoreError(f"{path}: vector file of vector set {vector_set.id} is missing; {REBUILD}")
    try:
        header = Index.metadata(str(path))
    except (ValueError, RuntimeError) as error:
        header, reason = None, str(error)
    else:
        reason = "no usearch header"
    if header is None:
        raise StoreError(
            f"{path}: not a usearch index ({reason}: truncated or overwritten); {REBUILD}"
        )
    found = {
        "dimensions": header["dimensions"],
        "vectors": header["count_present"],
        "scalar type": str(header["kind_scalar"].name).lower(),
        "metric": str(header["kind_metric"].name).lower(),
    }
    expected = {
        "dimensions": vector_set.dim,
        "vectors": vector_set.count,
        "scalar type": vector_set.dtype.lower(),
        "metric": vector_set.metric.lower(),
    }
    wrong = [
        f"{k} {found[k]} where {expected[k]} is recorded"
        for k in expected
        if found[k] != expected[k]
    ]
    if wrong:
        raise StoreError(f"{path}: {'; '.join(wrong)}; {REBUILD}")


def load_vectors(index: Any, keys: Sequence[int] | np.ndarray) -> np.ndarray:
    """Vectors for keys, in key order; every key must be present."""
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


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_files(store: Store, relative_paths: Sequence[str]) -> None:
    """Delete vector files that no registered vector set points at any more."""
    for relative in relative_paths:
        still = store.scalar("SELECT count(*) FROM vector_sets WHERE path = ?", (relative,))
        path = store.path.parent / relative
        if not still and path.exists():
            path.unlink()


def run_files(store: Store, run_id: int) -> list[Path]:
    """Every file a run's vector writers left under the vectors folder (``run<id>-*``),
    registered or not: finished files, and ``.partial`` ones of an interrupted write."""
    if not store.vectors_dir.is_dir():
        return []
    return sorted(store.vectors_dir.glob(f"run{int(run_id)}-*"))


def unregistered_files(store: Store) -> list[tuple[Path, int | None]]:
    """Files under the vectors folder that no vector set points at, with the run id their
    name carries (None when it carries none)."""
    if not store.vectors_dir.is_dir():
        return []
    rows = store.execute("SELECT path FROM vector_sets")
    registered = {store.path.parent / row[0] for row in rows}
    found = []
    for path in sorted(store.vectors_dir.iterdir()):
        if path not in registered:
            match = RUN_FILE.match(path.name)
            found.append((path, int(match.group(1)) if match else None))
    return found


@dataclass(frozen=True)
class DenseVectors:
    """An index file's vectors as one read-only memory-mapped matrix, with the key of each
    row (the file's slot order)."""

    keys: np.ndarray  # (n,) int64
    matrix: np.ndarray  # (n, dim) float32, memory-mapped


_DENSE: weakref.WeakKeyDictionary[Any, DenseVectors | None] = weakref.WeakKeyDictionary()
_SPOT_CHECKS = 64


def dense_vectors(index: Any) -> DenseVectors | None:
    """The vectors of an index from :func:`open_index`, read in place (no copy, no graph),
    or None when the file's layout is not the one this reads (then search through usearch).

    A usearch file holds the vectors first (rows and row size as two u32, then the rows in
    slot order), a 64-byte header, then the graph: five u64 (size, connectivity, base
    connectivity, top level, entry slot), one i16 level per node, and each node's key (u64),
    level (i16) and neighbour lists (a u32 count and u32 slots per level). The keys are read
    from the nodes; the layout must account for every byte of the file, and sampled rows
    must equal what usearch returns for their keys.
    """
    if index in _DENSE:
        return _DENSE[index]
    path = getattr(index, "path", None)
    found = _read_dense(Path(path), len(index), index.ndim) if path else None
    if found is not None and len(found.keys):
        sample = np.linspace(0, len(found.keys) - 1, _SPOT_CHECKS).astype(np.int64)
        expected = np.asarray(index.get(found.keys[sample].astype(np.uint64)), dtype=np.float32)
        if not np.array_equal(expected.reshape(len(sample), -1), found.matrix[sample]):
            found = None
    _DENSE[index] = found
    return found


def _read_dense(path: Path, count: int, dim: int) -> DenseVectors | None:
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if len(raw) < 8:
        return None
    rows, row_bytes = (int(x) for x in raw[:8].view("<u4"))
    head = 8 + rows * row_bytes
    graph = head + 64
    if rows != count or row_bytes != 4 * dim or len(raw) < graph + 40:
        return None
    if bytes(raw[head : head + 7]) != b"usearch":
        return None
    size, connectivity, base, _, _ = (int(x) for x in raw[graph : graph + 40].view("<u8"))
    nodes = graph + 40 + 2 * size
    if size != count or len(raw) < nodes:
        return None
    levels = raw[graph + 40 : nodes].view("<i2").astype(np.int64)
    sizes = 10 + 4 + 4 * base + levels * (4 + 4 * connectivity)
    starts = nodes + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    if count and int(starts[-1] + sizes[-1]) != len(raw):
        return None
    keys = np.empty(count, dtype=np.int64)
    for first in range(0, count, 1 << 20):
        at = starts[first : first + (1 << 20)]
        keys[first : first + len(at)] = raw[at[:, None] + np.arange(8)].view("<u8")[:, 0]
    matrix = np.memmap(path, dtype=np.float32, mode="r", offset=8, shape=(count, dim))
    return DenseVectors(keys, matrix)
