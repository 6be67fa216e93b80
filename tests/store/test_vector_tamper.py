"""A vector file that is not the one recorded is refused on open, naming what differs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from usearch.index import Index

from store import Store
from store import vectors as store_vectors
from store.errors import StoreError
from store.vectors import open_index, vector_path
from tests.conftest import MakeVectorSet

KEYS = np.arange(1, 41, dtype=np.uint64)


def _vectors(dim: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((len(KEYS), dim)).astype(np.float32)


def _index(
    path: Path,
    dim: int = 8,
    dtype: str = "f32",
    count: int = len(KEYS),
    seed: int = 0,
    keys: np.ndarray = KEYS,
) -> None:
    index = Index(ndim=dim, metric="ip", dtype=dtype)
    index.add(keys[:count], _vectors(dim, seed)[:count])
    index.save(str(path))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _flip_vector_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(255 - b for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


HASH = "SHA-256 differs from the one recorded"
# What is refused, and how: (file hashed on open because it is small, header checks only).
TAMPERING: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "missing": (lambda p: p.unlink(), "is missing", "is missing"),
    "a folder": (_folder, "a folder where the vector file", "a folder where the vector file"),
    "zero length": (lambda p: p.write_bytes(b""), "not a usearch index", "not a usearch index"),
    "truncated": (_truncate, "not a whole usearch index", "not a whole usearch index"),
    "f16 where f32 is recorded": (
        lambda p: _index(p, dtype="f16"),
        "scalar type f16 where f32 is recorded",
        "scalar type f16 where f32 is recorded",
    ),
    "another dimension": (
        lambda p: _index(p, dim=16),
        "dimensions 16 where 8 is recorded",
        "dimensions 16 where 8 is recorded",
    ),
    "fewer vectors": (
        lambda p: _index(p, count=39),
        "vectors 39 where 40 is recorded",
        "vectors 39 where 40 is recorded",
    ),
    "same-size corruption": (_flip_vector_bytes, HASH, ""),
    "another index of the same shape": (lambda p: _index(p, seed=1), HASH, ""),
    "another collection's keys": (
        lambda p: _index(p, keys=KEYS + 1000),
        HASH,
        "its keys are not those recorded",
    ),
}


@pytest.mark.parametrize("hashed", [True, False], ids=["hashed", "header-only"])
@pytest.mark.parametrize("case", TAMPERING)
def test_tampered_files_are_refused_with_what_differs(
    case: str, hashed: bool, store: Store, make_vector_set: MakeVectorSet, monkeypatch: Any
) -> None:
    if not hashed:  # as a file over the size that is hashed on every open
        monkeypatch.setattr(store_vectors, "HASHED_ON_OPEN", 0)
    vector_set = make_vector_set(store, KEYS, _vectors())
    path = vector_path(store, vector_set)
    assert len(open_index(store, vector_set)) == len(KEYS)  # the untouched file opens
    tamper, small, large = TAMPERING[case]
    tamper(path)
    expected = small if hashed else large
    if not expected:  # same header, same size: only the full hash (xqg check) can tell
        assert len(open_index(store, vector_set)) == len(KEYS)
        with pytest.raises(StoreError, match=HASH):
            open_index(store, vector_set, verify=True)
        return
    with pytest.raises(StoreError) as refused:
        open_index(store, vector_set)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and expected in message
    assert "rerun the step that wrote it" in message


def test_a_restored_copy_opens_again(store: Store, make_vector_set: MakeVectorSet) -> None:
    vector_set = make_vector_set(store, KEYS, _vectors())
    path = vector_path(store, vector_set)
    shutil.copy(path, path.with_suffix(".bak"))
    _flip_vector_bytes(path)
    with pytest.raises(StoreError):
        open_index(store, vector_set)
    shutil.copy(path.with_suffix(".bak"), path)
    index = open_index(store, vector_set)
    assert np.allclose(index.get(KEYS[:3]), _vectors()[:3])
