"""Streaming fusion: per-passage sums built batch by batch, block by block, equal the
one-call fusion of every generated-query vector (``fuse``), on the demo's database with
real e5-small; and the per-passage sums themselves equal ``owner_sums`` bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipelines import augment as augmenting
from pipelines.augment import PassageSums, augment, fuse, owner_sums
from pipelines.errors import InputError
from pipelines.generations import import_generations
from store import Store, open_store, runs, vectors
from store.collections import add_passages
from store.generations import get_generations
from store.records import PassageRecord, Run
from tests.conftest import copy_database

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_store(demo_db: Path) -> Store:
    return open_store(demo_db, create=False)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 7 passages and batches of 5 vectors: every edge case of the stream (a
    passage's queries split across batches, blocks with no query) on a small collection."""
    monkeypatch.setattr(augmenting, "CHUNK", 7)
    monkeypatch.setattr(augmenting, "BATCH", 5)
    monkeypatch.setattr("store.generations.STREAM_BATCH", 3)


def _fused(store: Store, run: Run) -> tuple[np.ndarray, np.ndarray]:
    found = vectors.open_index(store, vectors.run_vector_set(store, run.id, "passages"))
    keys = np.sort(np.asarray(found.keys, dtype=np.int64))
    return keys, vectors.load_vectors(found, keys)


def _expected(store: Store, run: Run) -> np.ndarray:
    """The fusion as it was before streaming: every chosen generated query and its stored
    vector at once, one ``fuse`` call, the centre as the float32 mean of all of them."""
    params = run.params
    base_run = runs.get_run(store, params["index"])
    base = vectors.run_vector_set(store, base_run.id, "passages")
    gen_run = runs.get_run(store, params["generations"])
    chosen = get_generations(
        store, gen_run.id, languages=params["languages"], per_language=params["per_language"]
    )
    stored = vectors.find_vector_sets(
        store,
        kind="generations",
        collection_id=base.collection_id,
        encoder=base.encoder,
        source_run_id=gen_run.id,
    )[0]
    query_vectors = vectors.load_vectors(vectors.open_index(store, stored), [g.id for g in chosen])
    baseline = vectors.open_index(store, base)
    passage_ids = np.sort(np.asarray(baseline.keys, dtype=np.int64))
    owners = np.searchsorted(passage_ids, [g.passage_id for g in chosen])
    return fuse(
        vectors.load_vectors(baseline, passage_ids),
        query_vectors,
        owners,
        alpha=params["alpha"],
        aggregation=params["aggregation"],
        center=query_vectors.mean(axis=0) if params["center"] else None,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["stored", "stream"])
@pytest.mark.parametrize("center", [False, True], ids=["plain", "center"])
@pytest.mark.parametrize("aggregation", ["sum", "mean"])
def test_streamed_fusion_equals_fusion_at_once(
    demo_store: Store, small_blocks: None, aggregation: str, center: bool, stream: bool
) -> None:
    with demo_store:
        run = augment(
            demo_store,
            "demo-baseline",
            "demo-heldout",
            alpha=0.3,
            aggregation=aggregation,  # type: ignore[arg-type]
            center=center,
            stream=stream,
            name=f"fused-{aggregation}-{center}-{stream}",
        )
        keys, found = _fused(demo_store, run)
        expected = _expected(demo_store, run)
        baseline = vectors.run_vector_set(
            demo_store, runs.get_run(demo_store, "demo-baseline").id, "passages"
        )
        unfused = vectors.load_vectors(vectors.open_index(demo_store, baseline), keys)
    assert len(keys) == run.summary["passages"] == len(expected) == 40
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)
    assert np.abs(found - unfused).max() > 0.01  # the generated queries moved them
    assert not list(demo_store.vectors_dir.glob(f"run{run.id}-sums*"))  # scratch removed


def test_stream_stores_no_generated_query_vectors(demo_store: Store, tmp_path: Path) -> None:
    """A fresh generation run: --stream encodes its queries and keeps only the fused
    passages; the default stores their vectors once, for the next augment to reuse."""
    with demo_store:
        docids = [r[0] for r in demo_store.execute("SELECT docid FROM passages LIMIT 2")]
        lines = [
            {"docid": d, "lang": "de", "text": f"Frage {i} zu {d}?"} for i, d in enumerate(docids)
        ]
        path = tmp_path / "fresh.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
        fresh = import_generations(demo_store, path, "xquad", name="fresh")
        streamed = augment(demo_store, "demo-baseline", "fresh", stream=True, name="fresh-s")
        kept = _generation_sets(demo_store, fresh.id)
        stored = augment(demo_store, "demo-baseline", "fresh", name="fresh-v")
        expected = _expected(demo_store, stored)
        after = _generation_sets(demo_store, fresh.id)
        _, found_streamed = _fused(demo_store, streamed)
        _, found_stored = _fused(demo_store, stored)
        streamed_sets = [v.kind for v in vectors.run_vector_sets(demo_store, streamed.id)]
    assert streamed_sets == ["passages"]
    assert streamed.params["runtime"]["store_query_vectors"] is False
    assert "store_query_vectors" not in stored.params["runtime"]
    assert (kept, after) == (0, 1)
    np.testing.assert_allclose(found_streamed, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(found_stored, expected, rtol=0, atol=1e-6)


def _generation_sets(store: Store, source_run_id: int) -> int:
    baseline = vectors.run_vector_set(store, runs.get_run(store, "demo-baseline").id, "passages")
    return len(
        vectors.find_vector_sets(
            store,
            kind="generations",
            collection_id=baseline.collection_id,
            encoder=baseline.encoder,
            source_run_id=source_run_id,
        )
    )


@pytest.mark.parametrize("stream", [False, True], ids=["stored", "stream"])
def test_languages_and_first_n_per_language_are_kept(
    demo_store: Store, small_blocks: None, stream: bool
) -> None:
    with demo_store:
        run = augment(
            demo_store,
            "demo-baseline",
            "demo-heldout",
            alpha=0.5,
            languages=["de"],
            per_language=1,
            stream=stream,
            name=f"fused-de-1-{stream}",
        )
        _, found = _fused(demo_store, run)
        expected = _expected(demo_store, run)
        heldout = runs.get_run(demo_store, "demo-heldout").id
        german = {
            g.passage_id: g.id for g in get_generations(demo_store, heldout, languages=["de"])
        }
    assert run.summary["generations_used"] == len(german)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_passage_sums_equal_owner_sums_bit_for_bit_however_batched(seed: int) -> None:
    rng = np.random.default_rng(seed)
    owners = np.sort(rng.integers(0, 40, 500))  # uneven counts, passages with none
    rows = rng.standard_normal((500, 16)).astype(np.float32)
    sums = PassageSums(40, 16)
    cuts = np.sort(rng.choice(np.arange(1, 500), 12, replace=False))
    for part_owners, part_rows in zip(np.split(owners, cuts), np.split(rows, cuts), strict=True):
        sums.add(part_owners, part_rows)
    assert np.array_equal(sums.sums, owner_sums(rows, owners, 40))
    assert sums.counts.tolist() == np.bincount(owners, minlength=40).tolist()


def test_passage_sums_refuse_unsorted_passages() -> None:
    sums = PassageSums(3, 2)
    with pytest.raises(ValueError, match="sorted by passage"):
        sums.add(np.array([0, 2, 1]), np.ones((3, 2), dtype=np.float32))


@pytest.mark.parametrize("stream", [False, True], ids=["stored", "stream"])
def test_a_passage_missing_from_the_index_fails_cleanly(
    pristine_demo_db: Path, small_blocks: None, tmp_path: Path, stream: bool
) -> None:
    """The stray passage comes last in passage order, after every block went to the
    scratch file of --center: the run fails with the fix, and leaves no file behind (on a
    copy of the demo: the shared one keeps its collection indexed whole)."""
    with open_store(copy_database(pristine_demo_db, tmp_path / "xqg.db")) as demo_store:
        collection = demo_store.scalar("SELECT id FROM collections WHERE name = 'xquad'")
        add_passages(demo_store, collection, [PassageRecord("late#0", "Late", "Not indexed.")])
        docids = [r[0] for r in demo_store.execute("SELECT docid FROM passages ORDER BY id")]
        lines = [{"docid": d, "lang": "de", "text": f"Frage zu {d}?"} for d in docids]
        path = tmp_path / "late.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
        import_generations(demo_store, path, "xquad", name=f"late-{stream}")
        before = sorted(p.name for p in demo_store.vectors_dir.iterdir())
        with pytest.raises(InputError, match="that index 'demo-baseline' lacks") as caught:
            augment(
                demo_store,
                "demo-baseline",
                f"late-{stream}",
                center=True,
                stream=stream,
                name=f"late-xqg-{stream}",
            )
        after = sorted(p.name for p in demo_store.vectors_dir.iterdir())
    assert "rebuild the index" in str(caught.value)
    assert after == before


def test_fusion_over_a_sharded_baseline_equals_one_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The baseline in 4 shards, whose pages each block drops (memory: one block's pages at
    a time), gives the same fused vectors as in one shard, and equals ``combine``."""
    from store.collections import ensure_collection

    monkeypatch.setattr(augmenting, "CHUNK", 7)
    rng = np.random.default_rng(7)
    passages = rng.standard_normal((30, 8), dtype=np.float32)
    queries = rng.standard_normal((90, 8), dtype=np.float32)
    rows = np.repeat(np.arange(30), 3)
    params = {"alpha": 0.25, "aggregation": "sum", "center": False}
    fused = []
    with open_store(tmp_path / "xqg.db") as store:
        collection = ensure_collection(store, "c", "synthetic")
        for shard_size in (8, 30):
            sets = {}
            for kind in ("passages", "fused"):
                run = runs.start_run(store, "index", f"{kind}{shard_size}", {}, collection_id=1)
                sets[kind] = run
            with vectors.vector_writer(
                store,
                run_id=sets["passages"].id,
                kind="passages",
                collection_id=collection.id,
                encoder="synthetic",
                encoder_config={},
                dim=8,
                shard_size=shard_size,
            ) as writer:
                writer.add(np.arange(30), passages)
            baseline = vectors.open_index(store, writer.vector_set)
            assert len(baseline.shards) == (4 if shard_size == 8 else 1)
            with (
                vectors.vector_writer(
                    store,
                    run_id=sets["fused"].id,
                    kind="passages",
                    collection_id=collection.id,
                    encoder="synthetic",
                    encoder_config={},
                    dim=8,
                    shard_size=shard_size,
                ) as writer,
                augmenting._Fusion(
                    store, sets["fused"], writer, baseline, np.arange(30), params
                ) as fusion,
            ):
                fusion.add(rows[:50], queries[:50])
                fusion.add(rows[50:], queries[50:])
                assert (fusion.close() == 3).all()
            fused.append(_fused(store, sets["fused"])[1])
    expected = fuse(passages, queries, rows, alpha=0.25)
    np.testing.assert_array_equal(fused[0], fused[1])
    np.testing.assert_array_equal(fused[0], expected)
