"""The index step: encode a collection's passages into a baseline vector set, stored in
shards (no HNSW graph unless asked: exact search reads the vectors in place); an HNSW graph
added later (:func:`add_graph`); shards indexed in another database attached (:func:`attach`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from pipelines.encoders.base import EncoderConfig
from pipelines.encoding import make_encoding
from pipelines.errors import InputError
from pipelines.hub import model_source
from pipelines.options import (
    GRAPH_DTYPES,
    HNSW_CONNECTIVITY,
    HNSW_EXPANSION_ADD,
    HNSW_GRAPH_DTYPE,
    EngineName,
    GraphDType,
)
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.vectors import Storage, encode_corpus
from store import collections, graphs, runs, vectors
from store.db import Store, open_store
from store.errors import NotFoundError
from store.records import Run, VectorSet


def build_index(
    store: Store,
    collection: str,
    encoder_config: EncoderConfig | None = None,
    *,
    engine: EngineName = "local",
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    threads: int | None = None,
    storage: Storage | None = None,
    part: tuple[int, int] | None = None,
    graph: dict[str, Any] | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Encode every passage of ``collection`` with the encoder; returns the index run.

    The vectors go to shards of ``storage.shard_size`` in ``storage.dtype``; a killed build
    run again with the same command continues at its first unfinished shard.

    Args:
        engine: ``local`` (this process) or ``ray`` (a Ray actor pool, one encoder per
            actor); the vectors are the same, so the engine is a runtime setting of the run,
            not part of what identifies its vectors.
        actors, gpus_per_actor, threads: the Ray pool (default: one actor per GPU of the
            cluster, else one CPU actor; ``threads`` CPU threads each).
        part: (i, n): only the i-th of n contiguous parts of the passages in id order (to
            split a corpus across machines; :func:`attach` joins the parts).
        graph: HNSW parameters (``connectivity``, ``expansion_add``, ``dtype``) to build a
            graph beside every shard after encoding; None builds none.
    """
    config = encoder_config or EncoderConfig()
    found = collections.get_collection(store, collection)
    count = collections.passage_count(store, found.id)
    if count == 0:
        raise InputError(
            f"collection {found.name!r} has no passages to index; ingest a corpus first"
        )
    if config.name != "e5-small":
        model_source(config.name, "encoder")  # a typo or no network: refused before the run
    encoding = make_encoding(
        config, engine, actors=actors, gpus_per_actor=gpus_per_actor, threads=threads
    )
    storage = storage or Storage()
    id_range = _part_range(store, found.id, part)
    params: dict[str, Any] = {
        "collection": found.name,
        "encoder": config.identity(),
        "runtime": {**config.runtime(), "engine": engine},
    }
    # Absent at their defaults: runs made before them keep their identity.
    if storage.params():
        params["storage"] = storage.params()
    if part:
        params["part"] = f"{part[0]}/{part[1]}"
    if graph:
        check_graph_options(**graph)
        params["hnsw"] = graph

    def body(run: Run) -> dict[str, Any]:
        started = time.perf_counter()
        vector_set = _stored(store, run)
        if vector_set is None:
            with encoding:
                vector_set = encode_corpus(
                    store,
                    encoding,
                    collection_id=found.id,
                    run_id=run.id,
                    storage=storage,
                    id_range=id_range,
                    progress=progress,
                )
        if graph:
            graphs.build_graph(store, vector_set, **graph)
        seconds = time.perf_counter() - started
        return {
            "engine": encoding.describe(),
            "passages": vector_set.count,
            "dim": vector_set.dim,
            "dtype": vector_set.dtype,
            "shards": len(vectors.set_shards(store, vector_set.id)),
            "path": vector_set.path,
            "seconds": round(seconds, 2),
            "passages_per_s": round(vector_set.count / max(seconds, 1e-9), 2),
        }

    return run_step(
        store,
        "index",
        params,
        body,
        name=name,
        default_name=f"index-{found.name}",
        collection_id=found.id,
        resumable=True,
        progress=progress,
    )


def _stored(store: Store, run: Run) -> VectorSet | None:
    """The run's complete passage vectors, when an earlier attempt finished them."""
    try:
        return vectors.run_vector_set(store, run.id, "passages")
    except NotFoundError:
        return None


def _part_range(
    store: Store, collection_id: int, part: tuple[int, int] | None
) -> tuple[int, int] | None:
    """The passage ids of part (i, n) of a collection, checked."""
    if part is None:
        return None
    index, parts = part
    if not 1 <= index <= parts:
        raise InputError(f"--part {index}/{parts}: expected i/n with 1 <= i <= n")
    return collections.part_id_range(store, collection_id, index, parts)


def add_graph(
    store: Store,
    index: str | int,
    *,
    connectivity: int = HNSW_CONNECTIVITY,
    expansion_add: int = HNSW_EXPANSION_ADD,
    dtype: GraphDType = HNSW_GRAPH_DTYPE,
) -> VectorSet:
    """Build an HNSW graph beside every shard of an index (or augment) run's passage
    vectors that has none (or one of other parameters, or a damaged one); recorded per
    shard in ``vector_shards`` (:mod:`store.graphs`)."""
    check_graph_options(connectivity, expansion_add, dtype)
    run = require_done(runs.get_run(store, index))
    vector_set = vectors.run_vector_set(store, run.id, "passages")
    graphs.build_graph(
        store, vector_set, connectivity=connectivity, expansion_add=expansion_add, dtype=dtype
    )
    return vectors.run_vector_set(store, run.id, "passages")


def check_graph_options(connectivity: int, expansion_add: int, dtype: str) -> None:
    """Refuse HNSW parameters usearch cannot build with."""
    if connectivity < 2 or expansion_add < 1:
        raise InputError("--connectivity must be at least 2 and --expansion-add at least 1")
    if dtype not in GRAPH_DTYPES:
        raise InputError(f"--graph-dtype must be one of {', '.join(GRAPH_DTYPES)}, got {dtype!r}")


def attach(store: Store, index: str | int, source_db: str, source_run: str | int) -> VectorSet:
    """Attach the passage shards of an index run of another xqg database (the same
    collection, encoder and storage type; other passages) to index run ``index``: its files
    are copied beside this database's and searched as part of the run.

    Raises:
        InputError: the runs differ in collection, encoder, dimensions or storage type, or
            their passages overlap (the message says which).
    """
    run = require_done(runs.get_run(store, index, kind="index"))
    target = vectors.run_vector_set(store, run.id, "passages")
    with open_store(source_db, create=False) as source_store:
        other = require_done(runs.get_run(source_store, source_run, kind="index"))
        source = vectors.run_vector_set(source_store, other.id, "passages")
        _check_attachable(store, target, source_store, source, f"{source_db}: run {other.name!r}")
        added = vectors.attach_shards(store, target, source_store, source)
    runs.add_to_summary(
        store,
        run.id,
        "attached",
        {"database": str(source_db), "run": other.name, "passages": sum(s.count for s in added)},
    )
    return vectors.run_vector_set(store, run.id, "passages")


def _check_attachable(
    store: Store, target: VectorSet, source_store: Store, source: VectorSet, where: str
) -> None:
    """Refuse shards that cannot join ``target``: naming what differs."""
    mine = collections.get_collection(store, target.collection_id)
    theirs = collections.get_collection(source_store, source.collection_id)
    differ = [
        f"{what}: {b!r} there, {a!r} here"
        for what, a, b in (
            ("collection", mine.name, theirs.name),
            ("encoder", target.encoder_config, source.encoder_config),
            ("dimensions", target.dim, source.dim),
            ("storage type", target.dtype, source.dtype),
            ("metric", target.metric, source.metric),
        )
        if a != b
    ]
    if differ:
        raise InputError(f"{where} cannot be attached: {'; '.join(differ)}")
    keys = np.sort(np.asarray(vectors.open_index(source_store, source).keys, dtype=np.int64))
    overlap = np.intersect1d(keys, vectors.open_index(store, target).keys.astype(np.int64))
    if len(overlap):
        raise InputError(
            f"{where} cannot be attached: {len(overlap)} of its passages are in the run already "
            f"(e.g. passage ids {overlap[:5].tolist()}); attach only other parts (--part i/n)"
        )
    for start in range(0, len(keys), 10_000):
        ids = keys[start : start + 10_000].tolist()
        if collections.docids(store, ids) != collections.docids(source_store, ids):
            raise InputError(
                f"{where} cannot be attached: its passage ids name other docids than here "
                "(the collection was ingested differently); ingest it the same way in both"
            )
