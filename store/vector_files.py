"""The usearch file format, written and read without usearch: one shard of a vector set.

A usearch file holds the vectors first (rows and row size as two u32, then the rows in slot
order), a 64-byte header (``usearch``, the format version as three u16, the metric, scalar,
key and slot kinds as one byte each, the vectors present and deleted and the dimensions as
u64, a multi-vector flag), then the graph: five u64 (size, connectivity, base connectivity,
top level, entry slot), one i16 level per node, and each node's key (u64), level (i16) and
neighbour lists (a u32 count and ``connectivity`` u32 slots per level, ``base`` at level 0).

:func:`write_shard` writes the vectors with an empty graph (every node on level 0 with no
neighbours, the smallest connectivity usearch accepts): a file write, no graph build, and
``usearch.Index.restore(path, view=True)`` still reads it (``get``, ``contains``, exact
search). An HNSW graph is added on request (:func:`store.vectors.build_graph`).

Storage types: ``f32``; ``f16``; ``bf16`` (numpy has none: the raw 16 bits are kept as
uint16 and widened to float32 block by block, :func:`widen`).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from store.errors import StoreError

# usearch's codes for what this writes and reads.
SCALAR_CODES = {"f32": 11, "f16": 12, "bf16": 4, "f64": 10, "i8": 23, "b1": 1}
METRIC_CODES = {"ip": 0x69, "cos": 0x63, "l2sq": 0x65}
KEY_U64, SLOT_U32 = 0x0E, 0x0F
FORMAT_VERSION = (2, 26, 6)  # the usearch version whose layout this writes (2.x reads it)
EMPTY_CONNECTIVITY = 2  # usearch refuses less ("the index degenerates into ropes")
DTYPES = ("f32", "f16", "bf16")
ROW_BYTES = {"f32": 4, "f16": 2, "bf16": 2}
HEADER = 64
_NODE_CHUNK = 1 << 20


def storage_rows(vectors: np.ndarray, dtype: str) -> np.ndarray:
    """Float32 rows in the storage type (bf16: rounded to nearest even, as uint16)."""
    if dtype == "f32":
        return np.ascontiguousarray(vectors, dtype=np.float32)
    if dtype == "f16":
        return np.ascontiguousarray(vectors, dtype=np.float16)
    bits = np.ascontiguousarray(vectors, dtype=np.float32).view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    return (rounded >> np.uint32(16)).astype(np.uint16)


def widen(rows: np.ndarray, dtype: str) -> np.ndarray:
    """Stored rows as float32 (a copy for f16 and bf16; f32 rows as they are)."""
    if dtype == "bf16":
        return (np.asarray(rows, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(
            np.float32
        )
    return np.asarray(rows, dtype=np.float32)


def numpy_dtype(dtype: str) -> np.dtype[Any]:
    """The numpy type a shard's rows are memory-mapped as."""
    return np.dtype({"f32": "float32", "f16": "float16", "bf16": "uint16"}[dtype])


class ShardFile:
    """A shard being written: rows go to ``<path>.partial`` as they come; :meth:`close`
    adds the header and the empty graph and moves the file to its final name."""

    def __init__(self, path: Path, dim: int, dtype: str) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.dim = dim
        self.dtype = dtype
        self.keys: list[np.ndarray] = []
        self.count = 0
        self._handle: IO[bytes] | None = open(self.partial, "wb")  # noqa: SIM115
        self._handle.write(b"\0" * 8)  # rows and row size, known at the end

    def add(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Append rows (already in the storage type) and their keys."""
        assert self._handle is not None
        with self._named_errors():
            self._handle.write(rows.tobytes())
        self.keys.append(keys)
        self.count += len(keys)

    @contextmanager
    def _named_errors(self) -> Iterator[None]:
        """A failed write (a full disk, a size limit) as bad input naming the file."""
        try:
            yield
        except OSError as error:
            raise StoreError(
                f"{self.partial}: could not write the vector file ({error}): the disk may be "
                "full or over a size limit; free space and rerun the same command"
            ) from None

    def close(self) -> np.ndarray:
        """Finish the file under its final name; returns its keys in slot order."""
        assert self._handle is not None
        keys = np.concatenate(self.keys) if self.keys else np.zeros(0, dtype=np.uint64)
        handle, self._handle = self._handle, None
        try:
            with self._named_errors():
                _write_tail(handle, keys, self.dim, self.dtype)
                handle.seek(0)
                handle.write(struct.pack("<II", self.count, self.dim * ROW_BYTES[self.dtype]))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            handle.close()
            self.partial.unlink(missing_ok=True)
            raise
        handle.close()
        os.replace(self.partial, self.path)
        return keys

    def abort(self) -> None:
        """Remove the partial file (an interrupted shard is rewritten from its start)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.partial.unlink(missing_ok=True)


def _write_tail(handle: IO[bytes], keys: np.ndarray, dim: int, dtype: str) -> None:
    count = len(keys)
    handle.write(header_bytes(count, dim, dtype))
    base = 2 * EMPTY_CONNECTIVITY
    handle.write(struct.pack("<QQQQQ", count, EMPTY_CONNECTIVITY, base, 0, 0))
    handle.write(np.zeros(count, dtype="<i2").tobytes())
    node = 8 + 2 + 4 + 4 * base
    for start in range(0, count, _NODE_CHUNK):
        part = keys[start : start + _NODE_CHUNK]
        nodes = np.zeros((len(part), node), dtype=np.uint8)
        nodes[:, :8] = part.astype("<u8").view(np.uint8).reshape(len(part), 8)
        handle.write(nodes.tobytes())


def header_bytes(count: int, dim: int, dtype: str) -> bytes:
    """The 64-byte usearch header of an inner-product index of u64 keys."""
    head = b"usearch" + struct.pack(
        "<HHHBBBBQQQB",
        *FORMAT_VERSION,
        METRIC_CODES["ip"],
        SCALAR_CODES[dtype],
        KEY_U64,
        SLOT_U32,
        count,
        0,
        dim,
        0,
    )
    return head + b"\0" * (HEADER - len(head))


@dataclass(frozen=True)
class Header:
    """What a file's header says."""

    count: int
    dim: int
    dtype: str
    metric: str
    row_bytes: int


def read_header(path: Path) -> Header:
    """The header of a usearch file (reads the first 8 bytes and the 64 after the vectors).

    Raises:
        StoreError: no usearch header where the layout puts it (the message says why).
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        start = handle.read(8)
        if len(start) < 8:
            raise StoreError(f"{path}: not a usearch index (empty or truncated)")
        rows, row_bytes = struct.unpack("<II", start)
        head = 8 + rows * row_bytes
        if size < head + HEADER:
            raise StoreError(
                f"{path}: not a whole usearch index (the file ends before its header: truncated)"
            )
        handle.seek(head)
        raw = handle.read(HEADER)
    if raw[:7] != b"usearch":
        raise StoreError(f"{path}: not a usearch index (no usearch header: overwritten?)")
    metric, scalar = raw[13], raw[14]
    count, _, dim = struct.unpack("<QQQ", raw[17:41])
    names = {code: name for name, code in SCALAR_CODES.items()}
    metrics = {code: name for name, code in METRIC_CODES.items()}
    return Header(
        count=count,
        dim=dim,
        dtype=names.get(scalar, f"kind {scalar}"),
        metric=metrics.get(metric, f"kind {metric}"),
        row_bytes=row_bytes,
    )


@dataclass(frozen=True)
class DenseVectors:
    """A shard's vectors as one read-only memory-mapped matrix (in the storage type), with
    the key of each row (the file's slot order)."""

    keys: np.ndarray  # (n,) int64
    matrix: np.ndarray  # (n, dim), memory-mapped: float32, float16 or uint16 (bf16)
    dtype: str


def read_dense(path: Path, header: Header) -> DenseVectors | None:
    """The vectors and keys of a file whose layout accounts for every byte, else None.

    The keys are read from the graph's nodes (any graph: empty or built by usearch).
    """
    count, dim = header.count, header.dim
    if header.dtype not in DTYPES or header.row_bytes not in (0, dim * ROW_BYTES[header.dtype]):
        return None
    if count == 0:
        empty = np.zeros((0, dim), dtype=numpy_dtype(header.dtype))
        return DenseVectors(np.zeros(0, dtype=np.int64), empty, header.dtype)
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    graph = 8 + count * header.row_bytes + HEADER
    if int(raw[:4].view("<u4")[0]) != count or len(raw) < graph + 40:
        return None
    size, connectivity, base, _, _ = (int(x) for x in raw[graph : graph + 40].view("<u8"))
    nodes = graph + 40 + 2 * size
    if size != count or len(raw) < nodes:
        return None
    levels = raw[graph + 40 : nodes].view("<i2").astype(np.int64)
    sizes = 10 + 4 + 4 * base + levels * (4 + 4 * connectivity)
    starts = nodes + np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    if int(starts[-1] + sizes[-1]) != len(raw):
        return None
    keys = np.empty(count, dtype=np.int64)
    for first in range(0, count, _NODE_CHUNK):
        at = starts[first : first + _NODE_CHUNK]
        keys[first : first + len(at)] = raw[at[:, None] + np.arange(8)].view("<u8")[:, 0]
    matrix = np.memmap(
        path, dtype=numpy_dtype(header.dtype), mode="r", offset=8, shape=(count, dim)
    )
    return DenseVectors(keys, matrix, header.dtype)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keys_sha256(keys: np.ndarray) -> str:
    """SHA-256 of a key set, in sorted order as unsigned 64-bit integers (about 1 s for
    18M keys: cheap next to hashing the vectors)."""
    return hashlib.sha256(np.sort(np.asarray(keys, dtype=np.uint64)).tobytes()).hexdigest()
