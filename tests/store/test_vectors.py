"""Vector sets: usearch files with inner-product scores, checksums and clean failure."""

from __future__ import annotations

import numpy as np
import pytest
from usearch.index import Index

from store import Store, StoreError
from store import vectors as store_vectors
from store.collections import ensure_collection
from store.runs import start_run
from store.vectors import (
    dense_vectors,
    file_sha256,
    load_vectors,
    open_index,
    scores_from_distances,
    vector_path,
    vector_writer,
)
from tests.conftest import MakeVectorSet


def test_vectors_round_trip_unnormalised(store: Store, make_vector_set: MakeVectorSet) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32) * 3.0
    keys = np.arange(100, 150)
    vector_set = make_vector_set(store, keys, vectors)
    index = open_index(store, vector_set, verify=True)
    assert len(index) == 50
    np.testing.assert_array_equal(load_vectors(index, [120, 100]), vectors[[20, 0]])
    row = store.rows("SELECT * FROM vector_sets")[0]
    assert (row["dim"], row["count"], row["metric"], row["dtype"]) == (8, 50, "ip", "f32")
    assert row["sha256"] == file_sha256(vector_path(store, vector_set))


def test_ip_distances_convert_back_to_dot_products(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vectors = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=np.float32)
    vector_set = make_vector_set(store, np.array([1, 2, 3]), vectors)
    index = open_index(store, vector_set)
    query = np.array([2.0, 1.0], dtype=np.float32)
    usearch_view = Index.restore(str(index.shards[0].path), view=True)  # the file as usearch's
    matches = usearch_view.search(query[None, :], 3, exact=True)
    assert np.asarray(matches.keys).reshape(-1).tolist() == [2, 1, 3]  # dots 5, 4, 1.5
    np.testing.assert_allclose(
        scores_from_distances(np.asarray(matches.distances)).reshape(-1), [5.0, 4.0, 1.5], rtol=1e-6
    )


def test_missing_keys_are_reported_not_fetched(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    vector_set = make_vector_set(store, np.array([1, 2]), np.eye(2, dtype=np.float32))
    index = open_index(store, vector_set)
    with pytest.raises(StoreError, match=r"1 keys have no vector \(e.g. \[7\]\)"):
        load_vectors(index, [1, 7])


def test_a_changed_file_fails_verification(store: Store, make_vector_set: MakeVectorSet) -> None:
    vector_set = make_vector_set(store, np.array([1, 2]), np.eye(2, dtype=np.float32))
    path = vector_path(store, vector_set)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="SHA-256 differs from the one recorded"):
        open_index(store, vector_set, verify=True)


def test_a_failed_write_leaves_no_file_and_no_row(
    store: Store, make_vector_set: MakeVectorSet
) -> None:
    collection = ensure_collection(store, "c", "jsonl")
    run = start_run(store, "index", "base", {}, collection_id=collection.id)
    with (
        pytest.raises(StoreError, match="unique"),
        vector_writer(
            store,
            run_id=run.id,
            kind="passages",
            collection_id=collection.id,
            encoder="e5-small",
            encoder_config={},
            dim=2,
        ) as writer,
    ):
        writer.add([1, 2], np.eye(2, dtype=np.float32))
        writer.add([2], np.ones((1, 2), dtype=np.float32))
    assert store.scalar("SELECT count(*) FROM vector_sets") == 0
    assert list(store.vectors_dir.iterdir()) == []


def test_dense_vectors_read_the_file_in_place(store: Store, make_vector_set: MakeVectorSet) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    keys = rng.permutation(10_000)[:3000]  # not in key order, several graph levels
    index = open_index(store, make_vector_set(store, keys, vectors))
    dense = dense_vectors(index)
    assert dense is not None
    assert isinstance(dense.matrix, np.memmap)
    # Row by row: the key read from the graph, and its vector as written.
    np.testing.assert_array_equal(np.sort(dense.keys), np.sort(keys))
    position = {int(key): row for row, key in enumerate(keys)}
    np.testing.assert_array_equal(dense.matrix, vectors[[position[k] for k in dense.keys]])
    assert dense_vectors(index) is dense  # read once per opened index


def test_a_file_whose_layout_has_bytes_left_over_is_refused(
    store: Store, make_vector_set: MakeVectorSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_vectors, "HASHED_ON_OPEN", 0)  # as a file too large to hash
    vector_set = make_vector_set(store, np.arange(40), np.eye(40, 8, dtype=np.float32))
    assert len(open_index(store, vector_set)) == 40
    with vector_path(store, vector_set).open("ab") as handle:
        handle.write(b"\0" * 8)  # a byte count the layout does not explain
    with pytest.raises(StoreError, match=r"not a whole usearch index .* shard 0 of vector set 1"):
        open_index(store, vector_set)
