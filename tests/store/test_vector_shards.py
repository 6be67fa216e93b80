"""Vector sets in shards: usearch files written without a graph, f16 and bf16 storage, a
write that stops keeps its finished shards and continues bit for bit, shards that disagree
with their set are refused naming the file and the shard."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pytest
from usearch.index import Index

from store import Store, StoreError, open_store
from store.collections import ensure_collection
from store.records import VectorSet
from store.runs import start_run
from store.vector_files import file_sha256, keys_sha256, storage_rows, widen
from store.vectors import (
    SHARD_SIZE,
    VectorWriter,
    open_index,
    run_vector_set,
    set_shards,
    vector_writer,
)

DIM = 8
KEYS = np.arange(101, 151, dtype=np.uint64)  # 50 vectors: shards of 7 -> 7 x 7 + 1


def _vectors(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((len(KEYS), DIM)).astype(np.float32)


def _writer(
    store: Store, run_name: str = "base", *, shard_size: int = SHARD_SIZE, dtype: str = "f32"
) -> AbstractContextManager[VectorWriter]:
    collection = ensure_collection(store, "c", "jsonl")
    rows = store.rows("SELECT id FROM runs WHERE name = ?", (run_name,))
    run_id = rows[0]["id"] if rows else start_run(store, "index", run_name, {}).id
    return vector_writer(
        store,
        run_id=run_id,
        kind="passages",
        collection_id=collection.id,
        encoder="e5-small",
        encoder_config={"name": "e5-small"},
        dim=DIM,
        shard_size=shard_size,
        dtype=dtype,
    )


def _write(
    store: Store, vectors: np.ndarray, *, shard_size: int = SHARD_SIZE, dtype: str = "f32"
) -> None:
    batch = 5
    with _writer(store, shard_size=shard_size, dtype=dtype) as writer:
        for start in range(0, len(KEYS), batch):
            writer.add(KEYS[start : start + batch], vectors[start : start + batch])


def _files(store: Store) -> list[tuple[int, int, str]]:
    vector_set = run_vector_set(store, 1, "passages")
    return [
        (s.shard, s.count, file_sha256(store.path.parent / s.path))
        for s in set_shards(store, vector_set.id)
    ]


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
def test_shards_are_usearch_files_without_a_graph(store: Store, dtype: str) -> None:
    vectors = _vectors()
    _write(store, vectors, shard_size=7, dtype=dtype)
    vector_set = run_vector_set(store, 1, "passages")
    shards = set_shards(store, vector_set.id)
    assert [(s.shard, s.count, s.dtype, s.graph) for s in shards] == [
        *[(n, 7, dtype, None) for n in range(7)],
        (7, 1, dtype, None),
    ]
    assert (vector_set.count, vector_set.dtype, vector_set.shard_size) == (50, dtype, 7)
    stored = widen(storage_rows(vectors, dtype), dtype)
    index = open_index(store, vector_set, verify=True)
    np.testing.assert_array_equal(index.get(KEYS[[49, 0, 20]]), stored[[49, 0, 20]])
    row_bytes = DIM * (4 if dtype == "f32" else 2)
    # Vectors, header, graph head, a level per node and 30 bytes a node: no neighbours.
    path = store.path.parent / shards[0].path
    assert path.stat().st_size == 8 + 7 * row_bytes + 64 + 40 + 7 * 2 + 7 * 30
    usearch = Index.restore(str(path), view=True)
    assert usearch.contains(KEYS[:8]).tolist() == [True] * 7 + [False]
    np.testing.assert_array_equal(np.asarray(usearch.get(KEYS[:7]), np.float32), stored[:7])


def test_bf16_rounds_to_nearest_even() -> None:
    # 1 + 2^-8 lies halfway between 1 (even) and 1 + 2^-7; 1 + 3 * 2^-8 between 1 + 2^-7
    # and 1 + 2^-6 (even); 1 + 2^-8 + 2^-12 is above halfway.
    values = np.array([[1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-12, -2.0]], np.float32)
    bits = storage_rows(values, "bf16")
    assert bits.tolist() == [[0x3F80, 0x3F82, 0x3F81, 0xC000]]
    assert widen(bits, "bf16").tolist() == [[1.0, 1.015625, 1.0078125, -2.0]]


def test_shard_size_does_not_change_what_is_stored(tmp_path: Path, store: Store) -> None:
    vectors = _vectors()
    _write(store, vectors, shard_size=7)
    with open_store(tmp_path / "one.db") as one:
        _write(one, vectors)
        whole = open_index(one, run_vector_set(one, 1, "passages"))
        assert len(whole.shards) == 1
        sharded = open_index(store, run_vector_set(store, 1, "passages"))
        np.testing.assert_array_equal(sharded.keys, whole.keys)
        np.testing.assert_array_equal(sharded.get(KEYS), whole.get(KEYS))
        np.testing.assert_array_equal(sharded.get(KEYS), vectors)


class Stop(Exception):
    """Stands for a crash in the middle of a write."""


def test_a_stopped_write_continues_after_its_finished_shards(tmp_path: Path) -> None:
    vectors = _vectors()
    with open_store(tmp_path / "clean.db") as clean:
        _write(clean, vectors, shard_size=7)
        expected = _files(clean)
    with open_store(tmp_path / "cut.db") as store:
        with pytest.raises(Stop), _writer(store, shard_size=7) as writer:
            writer.add(KEYS[:25], vectors[:25])
            raise Stop
        # Three shards of 7 finished and registered; the fourth's 4 vectors are gone.
        assert store.execute("SELECT shard, count FROM vector_shards").fetchall() == [
            (0, 7),
            (1, 7),
            (2, 7),
        ]
        assert sorted(p.name for p in store.vectors_dir.iterdir()) == [
            f"run1-passages-0000{n}.usearch" for n in range(3)
        ]
        with pytest.raises(Exception, match="still being written"):
            open_index(store, VectorSet.from_row(store.rows("SELECT * FROM vector_sets")[0]))
        with _writer(store, shard_size=7) as again:
            assert (again.resumed, again.last_key) == (21, int(KEYS[20]))
            with pytest.raises(StoreError, match="unique"):
                again._check_new(KEYS[20:21])  # a key of a finished shard
            again.add(KEYS[21:], vectors[21:])
        assert _files(store) == expected  # bit for bit
        assert store.scalar("SELECT count(*) FROM vector_sets") == 1


def test_another_description_starts_the_set_again(store: Store) -> None:
    vectors = _vectors()
    with pytest.raises(Stop), _writer(store, shard_size=7) as writer:
        writer.add(KEYS[:25], vectors[:25])
        raise Stop
    with _writer(store, shard_size=10) as again:
        assert again.resumed == 0
        again.add(KEYS, vectors)
    assert store.execute("SELECT shard, count FROM vector_shards").fetchall() == [
        (n, 10) for n in range(5)
    ]
    assert len(list(store.vectors_dir.iterdir())) == 5


def _shard_path(store: Store, shard: int) -> Path:
    return store.path.parent / set_shards(store, 1)[shard].path


@pytest.mark.parametrize(
    ("update", "value", "expected"),
    [
        (
            "UPDATE vector_shards SET dim = ? WHERE shard = 3",
            16,
            "holds 16-dimensional f32 vectors, the set 8-dimensional f32",
        ),
        (
            "UPDATE vector_shards SET dtype = ? WHERE shard = 3",
            "f16",
            "holds 8-dimensional f16 vectors, the set 8-dimensional f32",
        ),
    ],
)
def test_a_shard_that_disagrees_with_its_set_is_refused(
    store: Store, update: str, value: object, expected: str
) -> None:
    _write(store, _vectors(), shard_size=7)
    store.execute(update, (value,))
    with pytest.raises(StoreError) as refused:
        open_index(store, run_vector_set(store, 1, "passages"))
    assert str(refused.value).startswith(f"{_shard_path(store, 3)}: shard 3 of vector set 1 ")
    assert expected in str(refused.value)


def test_a_missing_or_corrupted_shard_is_named(store: Store) -> None:
    _write(store, _vectors(), shard_size=7)
    vector_set = run_vector_set(store, 1, "passages")
    missing = _shard_path(store, 5)
    missing.rename(missing.with_suffix(".moved"))
    with pytest.raises(StoreError, match=f"{missing}: vector file \\(shard 5 of vector set 1\\)"):
        open_index(store, vector_set)
    missing.with_suffix(".moved").rename(missing)
    corrupted = _shard_path(store, 2)
    data = bytearray(corrupted.read_bytes())
    data[20] ^= 0x01
    corrupted.write_bytes(bytes(data))
    with pytest.raises(StoreError) as refused:
        open_index(store, vector_set)
    assert str(refused.value).startswith(f"{corrupted}: SHA-256 differs")
    assert "shard 2 of vector set 1" in str(refused.value)


def test_a_vector_file_from_before_shards_is_searched_after_the_migration(
    tmp_path: Path,
) -> None:
    """A database of schema 9 with a usearch-built file (graph included), as xqg wrote
    them before shards: after migration 10 it is one shard, searched exactly and by HNSW."""
    import sqlite3

    from pipelines.search import rank
    from store.db import APPLICATION_ID_PRAGMA, _statements
    from store.schema import MIGRATIONS

    path = tmp_path / "xqg.db"
    folder = path.with_suffix(".vectors")
    folder.mkdir()
    vectors = _vectors()
    built = Index(ndim=DIM, metric="ip", dtype="f32")
    built.add(KEYS, vectors)
    built.save(str(folder / "run1-passages.usearch"))
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:9]:
        if callable(migration):
            migration(conn)
        else:
            for statement in _statements(migration):
                conn.execute(statement)
    conn.execute(APPLICATION_ID_PRAGMA)
    conn.execute("PRAGMA user_version = 9")
    conn.execute("INSERT INTO collections VALUES (1, 'c', 'jsonl', '2026-01-01')")
    conn.execute(
        "INSERT INTO runs (id, kind, name, collection_id, status, started_at) "
        "VALUES (1, 'index', 'old', 1, 'done', '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO vector_sets (id, run_id, kind, collection_id, encoder, encoder_config, "
        "dim, metric, dtype, count, path, sha256, created_at, keys_sha256) VALUES "
        "(1, 1, 'passages', 1, 'e5-small', '{}', ?, 'ip', 'f32', ?, ?, ?, '2026-01-01', ?)",
        (
            DIM,
            len(KEYS),
            "xqg.vectors/run1-passages.usearch",
            file_sha256(folder / "run1-passages.usearch"),
            keys_sha256(KEYS),
        ),
    )
    conn.close()
    queries = np.random.default_rng(5).standard_normal((3, DIM)).astype(np.float32)
    dots = queries @ vectors.T
    best = np.argsort(-dots, axis=1, kind="stable")[:, :10]
    with open_store(path) as store:
        index = open_index(store, run_vector_set(store, 1, "passages"), verify=True)
        assert [s.record.graph for s in index.shards] == [
            {"connectivity": 16, "expansion_add": 128}
        ]
        ids, _ = rank(index, queries, 10)
        np.testing.assert_array_equal(ids, KEYS[best].astype(np.int64))
        approximate, _ = rank(index, queries, 10, exact=False, expansion=64)
        np.testing.assert_array_equal(approximate, ids)  # 50 vectors: HNSW sees them all
