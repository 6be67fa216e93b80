"""Sharded indexes end to end: any shard size searches alike, an interrupted build continues
at its first unfinished shard, halves indexed in two databases are attached and searched as
one, and HNSW works per shard.

A tiny real BERT (``hf:`` folder, 2 texts a batch, 16 an engine batch) encodes the small real
XQuAD (40 passages, questions in en, de, es).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipelines.augment import augment
from pipelines.encoders.base import EncoderConfig
from pipelines.errors import InputError
from pipelines.generations.heldout import generate_heldout
from pipelines.index import add_graph, attach, build_index
from pipelines.ingest import ingest, read_xquad
from pipelines.progress import Advance, Silent
from pipelines.search import search
from pipelines.vectors import Storage
from store import Store, open_store, results, runs, vectors
from store.graphs import graph_params
from store.vector_files import file_sha256
from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSAGES = 40


@pytest.fixture(scope="module")
def tiny_bert(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> EncoderConfig:
    folder = build_tiny_bert(
        tmp_path_factory.mktemp("tiny-bert"), xquad_articles(shared_data / "xquad")
    )
    return EncoderConfig(name=f"hf:{folder}", batch_size=2, device="cpu")


def _ingested(path: Path, xquad: Path) -> Path:
    with open_store(path) as store:
        ingest(store, read_xquad(xquad), "xquad")
    return path


def _shard_files(store: Store, run_name: str) -> list[tuple[int, int, str]]:
    """(shard, count, SHA-256 of the file) of a run's passage shards."""
    vector_set = vectors.run_vector_set(store, runs.get_run(store, run_name).id, "passages")
    return [
        (s.shard, s.count, file_sha256(store.path.parent / s.path))
        for s in vectors.set_shards(store, vector_set.id)
    ]


def test_shard_sizes_search_and_evaluate_alike(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    with open_store(_ingested(tmp_path / "xqg.db", small_xquad)) as store:
        build_index(store, "xquad", tiny_bert, name="one")
        build_index(store, "xquad", tiny_bert, storage=Storage(shard_size=7), name="seven")
        assert [count for _, count, _ in _shard_files(store, "one")] == [40]
        # SQL lists the shards: ceil(40 / 7) files of at most 7 vectors.
        assert store.execute(
            "SELECT s.shard, s.count FROM vector_shards s JOIN vector_sets v "
            "ON v.id = s.vector_set_id JOIN runs r ON r.id = v.run_id WHERE r.name = 'seven' "
            "ORDER BY s.shard"
        ).fetchall() == [(0, 7), (1, 7), (2, 7), (3, 7), (4, 7), (5, 5)]
        found = {
            name: results.get_results(store, search(store, name, depth=30, name=f"s-{name}").id)
            for name in ("one", "seven")
        }
    assert found["one"] == found["seven"]  # same ids, same float32 scores, every query
    assert len(found["one"]) > 100 and all(len(hits) == 30 for hits in found["one"].values())


class StopAfter(Silent):
    """A progress display whose user presses Ctrl-C once ``limit`` passages are done."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if done >= self.limit:
                raise KeyboardInterrupt

        yield advance


def test_an_interrupted_build_continues_at_its_first_unfinished_shard(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    storage = Storage(shard_size=16)  # one engine batch a shard
    with open_store(_ingested(tmp_path / "clean.db", small_xquad)) as store:
        build_index(store, "xquad", tiny_bert, storage=storage, name="base")
        clean = _shard_files(store, "base")
    with open_store(_ingested(tmp_path / "cut.db", small_xquad)) as store:
        with pytest.raises(KeyboardInterrupt):
            build_index(
                store, "xquad", tiny_bert, storage=storage, name="base", progress=StopAfter(17)
            )
        run = runs.get_run(store, "base")
        assert run.status == "failed"
        # Cut after the second engine batch: two shards finished and registered, the third
        # not begun; nothing else on disk.
        assert store.execute("SELECT shard, count FROM vector_shards").fetchall() == [
            (0, 16),
            (1, 16),
        ]
        assert [p.name for p in sorted(store.vectors_dir.iterdir())] == [
            f"run{run.id}-passages-00000.usearch",
            f"run{run.id}-passages-00001.usearch",
        ]
        notes: list[str] = []
        progress = Silent()
        progress.note = notes.append  # type: ignore[method-assign]
        again = build_index(
            store, "xquad", tiny_bert, storage=storage, name="base", progress=progress
        )
        assert again.id == run.id and again.status == "done"
        assert any("continuing after 32 passages" in note for note in notes)
        assert _shard_files(store, "base") == clean  # bit for bit, nothing lost or repeated
        index = vectors.open_index(store, vectors.run_vector_set(store, run.id, "passages"))
        assert sorted(index.keys.tolist()) == list(range(1, PASSAGES + 1))


def test_a_damaged_finished_shard_is_rebuilt_on_continuing(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    storage = Storage(shard_size=16)
    with open_store(_ingested(tmp_path / "clean.db", small_xquad)) as store:
        build_index(store, "xquad", tiny_bert, storage=storage, name="base")
        clean = _shard_files(store, "base")
    with open_store(_ingested(tmp_path / "cut.db", small_xquad)) as store:
        with pytest.raises(KeyboardInterrupt):
            build_index(
                store, "xquad", tiny_bert, storage=storage, name="base", progress=StopAfter(33)
            )
        first = store.vectors_dir / f"run{runs.get_run(store, 'base').id}-passages-00000.usearch"
        data = bytearray(first.read_bytes())
        data[100] ^= 0xFF
        first.write_bytes(bytes(data))
        build_index(store, "xquad", tiny_bert, storage=storage, name="base")
        assert _shard_files(store, "base") == clean


def test_halves_indexed_in_two_databases_search_as_one(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    # One text a forward pass: a passage's vector does not depend on which others share its
    # batch (padding), so the halves hold exactly the whole index's vectors.
    tiny_bert = replace(tiny_bert, batch_size=1)
    whole_db = _ingested(tmp_path / "whole.db", small_xquad)
    first_db = _ingested(tmp_path / "first.db", small_xquad)
    second_db = _ingested(tmp_path / "second.db", small_xquad)
    with open_store(second_db) as store:
        half = build_index(store, "xquad", tiny_bert, part=(2, 2), name="half")
        assert half.summary["passages"] == 20
        add_graph(store, "half")  # its HNSW graph goes with it
    with open_store(first_db) as store:
        build_index(store, "xquad", tiny_bert, part=(1, 2), name="half")
        add_graph(store, "half")
        # Its own half twice: refused, naming the overlap.
        with pytest.raises(InputError, match="20 of its passages are in the run already"):
            attach(store, "half", str(first_db), "half")
        joined = attach(store, "half", str(second_db), "half")
        assert (joined.count, len(vectors.set_shards(store, joined.id))) == (PASSAGES, 2)
        assert runs.get_run(store, "half").summary["attached"] == [
            {"database": str(second_db), "run": "half", "passages": 20}
        ]
        attached = results.get_results(store, search(store, "half", depth=30).id)
        copied = vectors.set_shards(store, joined.id)[1].graph
        assert copied is not None and copied["path"].endswith("-passages-00001.hnsw.usearch")
        assert file_sha256(store.path.parent / copied["path"]) == copied["sha256"]
        # 20 vectors a shard, 30 candidates: each graph visits all of its shard's vectors
        approximate = search(store, "half", depth=30, exact=False, expansion=30, name="hnsw")
        approximate_hits = results.get_results(store, approximate.id)
    with open_store(whole_db) as store:
        build_index(store, "xquad", tiny_bert, name="whole")
        whole = results.get_results(store, search(store, "whole", depth=30).id)
    assert attached == whole
    assert approximate_hits == whole


def test_shards_of_another_encoder_or_type_are_refused(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    here = _ingested(tmp_path / "here.db", small_xquad)
    there = _ingested(tmp_path / "there.db", small_xquad)
    with open_store(there) as store:
        build_index(store, "xquad", tiny_bert, part=(2, 2), storage=Storage(dtype="f16"), name="h")
    with open_store(here) as store:
        build_index(store, "xquad", tiny_bert, part=(1, 2), name="h")
        with pytest.raises(InputError, match="storage type: 'f16' there, 'f32' here"):
            attach(store, "h", str(there), "h")
        assert len(vectors.set_shards(store, vectors.run_vector_set(store, 2, "passages").id)) == 1


def test_hnsw_per_shard_finds_what_exact_search_finds(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    with open_store(_ingested(tmp_path / "xqg.db", small_xquad)) as store:
        build_index(store, "xquad", tiny_bert, storage=Storage(shard_size=16), name="base")
        with pytest.raises(InputError, match="no HNSW graph in 3 of its shards"):
            search(store, "base", exact=False)
        vector_set = add_graph(store, "base", connectivity=8, expansion_add=64)
        shards = vectors.set_shards(store, vector_set.id)
        assert [graph_params(s.graph) for s in shards] == [
            {"connectivity": 8, "expansion_add": 64, "dtype": "i8"}
        ] * 3
        # Each graph is a file of its own beside its shard; the shard's file is untouched.
        for shard in shards:
            assert shard.graph is not None
            assert shard.graph["path"] == shard.path.replace(".usearch", ".hnsw.usearch")
            assert file_sha256(store.path.parent / shard.graph["path"]) == shard.graph["sha256"]
            assert file_sha256(store.path.parent / shard.path) == shard.sha256
        exact = results.get_results(store, search(store, "base", depth=10).id)
        whole = results.get_results(
            store, search(store, "base", depth=10, exact=False, expansion=64).id
        )
        # 64 candidates from 16-vector shards: every vector, so each shard is scanned exactly.
        assert whole == exact
        # 12 of 16 from each graph, rescored: the exact scores, nearly the exact passages.
        graph = search(store, "base", depth=10, exact=False, expansion=12, name="graph")
        found = results.get_results(store, graph.id)
        scores = {(q, p): score for q, hits in exact.items() for p, score in hits}
        common = [
            (q, p, score) for q, hits in found.items() for p, score in hits if (q, p) in scores
        ]
        assert len(common) >= 0.95 * len(scores)
        assert all(score == scores[(q, p)] for q, p, score in common)


def test_hnsw_asked_at_build_is_recorded_per_shard(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    with open_store(_ingested(tmp_path / "xqg.db", small_xquad)) as store:
        graph = {"connectivity": 4, "expansion_add": 32, "dtype": "f16"}
        run = build_index(
            store, "xquad", tiny_bert, storage=Storage(shard_size=32), graph=graph, name="g"
        )
        assert run.params["hnsw"] == graph and run.summary["shards"] == 2
        vector_set = vectors.run_vector_set(store, run.id, "passages")
        shards = vectors.set_shards(store, vector_set.id)
        assert [graph_params(s.graph) for s in shards] == [graph, graph]
        # The same command again reuses the finished run, graph and all.
        again = build_index(
            store, "xquad", tiny_bert, storage=Storage(shard_size=32), graph=graph, name="g"
        )
        assert again.id == run.id


def test_the_xqg_index_is_stored_as_its_baseline(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path: Path
) -> None:
    """augment writes the xQG index in the baseline's shard size and type; the fused vectors
    do not depend on the shard size."""
    with open_store(_ingested(tmp_path / "xqg.db", small_xquad)) as store:
        generate_heldout(store, "xquad", k=1, name="stand-ins")
        fused = {}
        for size in (7, 40):
            build_index(
                store,
                "xquad",
                tiny_bert,
                storage=Storage(shard_size=size, dtype="f16"),
                name=f"base{size}",
            )
            augment(store, f"base{size}", "stand-ins", alpha=0.25, name=f"xqg{size}")
            vector_set = vectors.run_vector_set(
                store, runs.get_run(store, f"xqg{size}").id, "passages"
            )
            assert (vector_set.dtype, vector_set.shard_size) == ("f16", size)
            index = vectors.open_index(store, vector_set)
            fused[size] = vectors.load_vectors(index, np.sort(index.keys))
        assert [c for _, c, _ in _shard_files(store, "xqg7")] == [7, 7, 7, 7, 7, 5]
    np.testing.assert_array_equal(fused[7], fused[40])
