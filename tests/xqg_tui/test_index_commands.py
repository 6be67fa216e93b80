"""xqg index-hnsw, index-attach and search --hnsw on bad input: a clear message, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from store import Store, open_store
from store.collections import ensure_collection
from store.graphs import graph_params
from store.runs import finish_run, start_run
from store.vectors import run_vector_set, set_shards, vector_writer
from xqg_tui.cli import main


def _index(store: Store, name: str, keys: np.ndarray, dim: int = 8, dtype: str = "f32") -> None:
    """A finished index run holding random vectors for ``keys``, 4 a shard."""
    collection = ensure_collection(store, "c", "jsonl")
    run = start_run(store, "index", name, {}, collection_id=collection.id)
    vectors = np.random.default_rng(len(keys)).standard_normal((len(keys), dim))
    with vector_writer(
        store,
        run_id=run.id,
        kind="passages",
        collection_id=collection.id,
        encoder="e5-small",
        encoder_config={"name": "e5-small"},
        dim=dim,
        dtype=dtype,
        shard_size=4,
    ) as writer:
        writer.add(keys, vectors.astype(np.float32))
    finish_run(store, run.id, {})


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


def test_a_missing_shard_is_named(
    store: Store, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(store, "base", np.arange(1, 11))
    missing = store.path.parent / set_shards(store, run_vector_set(store, 1, "passages").id)[1].path
    missing.unlink()
    code, said = _run(capsys, "index-hnsw", "base", "--db", str(db_path))
    assert code == 2
    assert f"{missing}: vector file (shard 1 of vector set 1) is missing" in said


def test_hnsw_search_without_a_graph_is_refused(
    store: Store, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(store, "base", np.arange(1, 11))
    code, said = _run(capsys, "search", "--index", "base", "--hnsw", "--db", str(db_path))
    assert code == 2
    assert "no HNSW graph in 3 of its shards" in said and "xqg index-hnsw base" in said
    code, said = _run(capsys, "index-hnsw", "base", "--connectivity", "4", "--db", str(db_path))
    assert code == 0
    graphs = [graph_params(s.graph) for s in set_shards(store, 1)]
    assert graphs == [{"connectivity": 4, "expansion_add": 128, "dtype": "i8"}] * 3
    assert "HNSW graph (i8, connectivity 4, expansion_add 128) in every shard" in said


def test_a_graph_type_is_chosen_and_a_wrong_one_refused(
    store: Store, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(store, "base", np.arange(1, 11))
    with pytest.raises(SystemExit) as exited:
        main(["index-hnsw", "base", "--graph-dtype", "f8", "--db", str(db_path)])
    assert exited.value.code == 2
    assert "argument --graph-dtype: invalid choice: 'f8'" in capsys.readouterr().err
    assert all(s.graph is None for s in set_shards(store, 1))
    code, _ = _run(capsys, "index-hnsw", "base", "--graph-dtype", "f16", "--db", str(db_path))
    assert code == 0
    assert [graph_params(s.graph)["dtype"] for s in set_shards(store, 1)] == ["f16"] * 3  # type: ignore[index]
    code, said = _run(capsys, "check", "--db", str(db_path))
    assert code == 0 and "3 vector files verified" in said


@pytest.mark.parametrize(
    ("dim", "dtype", "expected"),
    [
        (16, "f32", "dimensions: 16 there, 8 here"),
        (8, "bf16", "storage type: 'bf16' there, 'f32' here"),
    ],
)
def test_attaching_shards_of_another_shape_or_type_is_refused(
    store: Store,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dim: int,
    dtype: str,
    expected: str,
) -> None:
    _index(store, "base", np.arange(1, 11))
    other = tmp_path / "other.db"
    with open_store(other) as elsewhere:
        _index(elsewhere, "rest", np.arange(11, 21), dim=dim, dtype=dtype)
    code, said = _run(
        capsys, "index-attach", "base", "--from", str(other), "--run", "rest", "--db", str(db_path)
    )
    assert code == 2
    assert f"{other}: run 'rest' cannot be attached: {expected}" in said
    assert len(set_shards(store, 1)) == 3  # nothing attached
    assert sorted(p.name for p in store.vectors_dir.iterdir()) == [
        f"run1-passages-0000{n}.usearch" for n in range(3)
    ]


def test_attached_shards_are_searched_as_one_index(
    store: Store, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(store, "base", np.arange(1, 11))
    other = tmp_path / "other.db"
    with open_store(other) as elsewhere:
        _index(elsewhere, "rest", np.arange(11, 21))
    code, said = _run(
        capsys, "index-attach", "base", "--from", str(other), "--run", "rest", "--db", str(db_path)
    )
    assert code == 0 and "run base now holds 20 passage vectors" in said
    vector_set = run_vector_set(store, 1, "passages")
    assert vector_set.count == 20
    assert [(s.shard, s.count) for s in set_shards(store, vector_set.id)] == [
        (0, 4),
        (1, 4),
        (2, 2),
        (3, 4),
        (4, 4),
        (5, 2),
    ]
    code, said = _run(
        capsys, "index-attach", "base", "--from", str(other), "--run", "rest", "--db", str(db_path)
    )
    assert code == 2 and "10 of its passages are in the run already" in said
