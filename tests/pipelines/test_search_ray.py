"""Search on a Ray actor pool ranks as the local search: same passages, scores and tie order.

A local Ray instance with two CPU actors searches indexes of several shards each: a tiny
real BERT (``hf:`` folder) index of the small real XQuAD (40 passages in shards of 7, dealt
out to the two actors) and hand-made vectors full of ties across shards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.encoders.base import EncoderConfig
from pipelines.errors import InputError
from pipelines.index import add_graph, build_index
from pipelines.ingest import ingest, read_xquad
from pipelines.search import rank, search
from pipelines.search_ray import RaySearch
from pipelines.vectors import Storage
from store import Store, open_store, results, runs, vectors
from store.errors import StoreError
from tests.conftest import MakeVectorSet, copy_database
from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles
from xqg_tui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def indexed(small_xquad: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small XQuAD indexed by a tiny real BERT in shards of 7 vectors (6 shards)."""
    folder = build_tiny_bert(
        tmp_path_factory.mktemp("tiny-bert"), xquad_articles(shared_data / "xquad")
    )
    path = tmp_path_factory.mktemp("search-ray") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(small_xquad), "xquad")
        config = EncoderConfig(name=f"hf:{folder}", batch_size=2, device="cpu")
        build_index(store, "xquad", config, storage=Storage(shard_size=7), name="seven")
    return path


def test_ray_search_writes_the_local_results(indexed: Path, local_ray: Any) -> None:
    with open_store(indexed) as store:
        local = search(store, "seven", depth=30, name="local")
        on_ray = search(store, "seven", depth=30, engine="ray", actors=2, name="ray")
        found = results.get_results(store, on_ray.id)
        expected = results.get_results(store, local.id)
        shards = len(
            vectors.set_shards(
                store, vectors.run_vector_set(store, runs.get_run(store, "seven").id, "passages").id
            )
        )
    assert shards == 6
    assert found == expected  # same ids in the same order, same float32 scores
    assert len(found) == local.summary["queries"] > 100
    assert all(len(hits) == 30 for hits in found.values())
    assert (on_ray.summary["engine"], local.summary["engine"]) == ("ray cpu x2", "local")
    assert on_ray.params == local.params  # the engine is a runtime setting


def _tied_index(store: Store, make_vector_set: MakeVectorSet) -> Any:
    """16 passages in shards of 3, whose vectors take 3 values: ties within and across
    shards, keys written out of order."""
    keys = np.array([90, 12, 55, 3, 71, 40, 18, 66, 7, 29, 84, 33, 51, 9, 60, 25])
    values = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]], dtype=np.float32)
    found = make_vector_set(store, keys, values[np.arange(len(keys)) % 3], shard_size=3)
    return vectors.open_index(store, found)


def test_ties_across_shards_come_in_passage_id_order(
    store: Store, make_vector_set: MakeVectorSet, local_ray: Any
) -> None:
    index = _tied_index(store, make_vector_set)
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    pool = RaySearch(index, actors=2, threads=None)
    try:
        for depth in (4, 7, 50):
            ids, scores = pool.rank(queries, depth)
            local_ids, local_scores = rank(index, queries, depth)
            assert ids.tolist() == local_ids.tolist()
            assert np.array_equal(scores, local_scores)
        ids, scores = pool.rank(queries[:1], 7)
    finally:
        pool.close()
    # Passages 90, 3, 18, 29, 51, 25 score 1 (keys in id order), then the 0.5 ones by id.
    assert ids.tolist() == [[3, 18, 25, 29, 51, 90, 9]]
    assert scores.tolist() == [[1.0] * 6 + [0.5]]


def test_a_shard_gone_before_its_actor_maps_it_is_named(
    store: Store, make_vector_set: MakeVectorSet, local_ray: Any
) -> None:
    index = _tied_index(store, make_vector_set)
    gone = index.shards[3].path
    gone.unlink()  # after the driver checked it: the actor that maps it finds it missing
    said = f"{gone}: vector file (shard 3 of vector set 1) is missing"
    with pytest.raises(StoreError, match=re.escape(said)):
        RaySearch(index, actors=2, threads=None)


def test_a_missing_shard_file_exits_2_with_its_name(
    indexed: Path, tmp_path: Path, local_ray: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_database(indexed, tmp_path / "xqg.db")
    with open_store(copy) as store:
        searches = runs.list_runs(store, "search")
        shard = vectors.set_shards(
            store, vectors.run_vector_set(store, runs.get_run(store, "seven").id, "passages").id
        )[2]
    (tmp_path / shard.path).unlink()
    code = main(["search", "--index", "seven", "--engine", "ray", "--db", str(copy)])
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2
    where = f"shard 2 of vector set {shard.vector_set_id}"
    assert f"{tmp_path / shard.path}: vector file ({where}) is missing" in said
    with open_store(copy) as store:
        assert runs.list_runs(store, "search") == searches  # nothing half-written


def test_hnsw_on_ray_finds_what_hnsw_finds_locally(
    indexed: Path, tmp_path: Path, local_ray: Any
) -> None:
    with open_store(copy_database(indexed, tmp_path / "xqg.db")) as store:
        add_graph(store, "seven", connectivity=8, expansion_add=64)
        found = {
            engine: results.get_results(
                store,
                search(store, "seven", depth=5, exact=False, engine=engine, name=f"h-{engine}").id,
            )
            for engine in ("local", "ray")
        }
    assert found["ray"] == found["local"]
    assert len(found["ray"]) > 100


def test_pool_options_need_the_ray_engine(indexed: Path) -> None:
    with open_store(indexed) as store, pytest.raises(InputError, match="only with --engine ray"):
        search(store, "seven", actors=2, name="refused")
