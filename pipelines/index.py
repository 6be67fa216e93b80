"""The index step: encode a collection's passages into a baseline vector set."""

from __future__ import annotations

import time
from typing import Any

from pipelines.encoders.base import EncoderConfig
from pipelines.encoding import make_encoding
from pipelines.errors import InputError
from pipelines.hub import model_source
from pipelines.options import EngineName
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from pipelines.vectors import encode_corpus
from store import collections
from store.db import Store
from store.records import Run


def build_index(
    store: Store,
    collection: str,
    encoder_config: EncoderConfig | None = None,
    *,
    engine: EngineName = "local",
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    threads: int | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Encode every passage of ``collection`` with the encoder; returns the index run.

    Args:
        engine: ``local`` (this process) or ``ray`` (a Ray actor pool, one encoder per
            actor); the vectors are the same, so the engine is a runtime setting of the run,
            not part of what identifies its vectors.
        actors, gpus_per_actor, threads: the Ray pool (default: one actor per GPU of the
            cluster, else one CPU actor; ``threads`` CPU threads each).
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
    params = {
        "collection": found.name,
        "encoder": config.identity(),
        "runtime": {**config.runtime(), "engine": engine},
    }

    def body(run: Run) -> dict[str, Any]:
        started = time.perf_counter()
        with encoding:
            vector_set = encode_corpus(
                store, encoding, collection_id=found.id, run_id=run.id, progress=progress
            )
        seconds = time.perf_counter() - started
        return {
            "engine": encoding.describe(),
            "passages": vector_set.count,
            "dim": vector_set.dim,
            "path": vector_set.path,
            "seconds": round(seconds, 2),
            "passages_per_s": round(count / seconds, 2),
        }

    return run_step(
        store,
        "index",
        params,
        body,
        name=name,
        default_name=f"index-{found.name}",
        collection_id=found.id,
        progress=progress,
    )
