"""Encoding texts into stored vector sets, reusing what an earlier run already encoded.

Query and generated-query vectors are encoded once per encoder and kept as vector sets, so
a second search or another alpha in an augmentation sweep costs no encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipelines.encoders.base import Encoder
from pipelines.progress import SILENT, Progress
from store import collections, vectors
from store.db import Store
from store.records import VectorSet

TextsFor = Callable[[Sequence[int]], list[str]]


def encode_corpus(
    store: Store, encoder: Encoder, *, collection_id: int, run_id: int, progress: Progress = SILENT
) -> VectorSet:
    """Encode every passage of a collection into the run's ``passages`` vector set."""
    total = collections.passage_count(store, collection_id)
    with (
        vectors.vector_writer(
            store,
            run_id=run_id,
            kind="passages",
            collection_id=collection_id,
            encoder=encoder.config.name,
            encoder_config=encoder.config.identity(),
            dim=encoder.dim,
        ) as writer,
        progress.task("encoding passages", total) as advance,
    ):
        for batch in collections.iter_passages(store, collection_id, batch_size=256):
            ids = [passage_id for passage_id, _, _ in batch]
            titles = [title for _, title, _ in batch]
            texts = [text for _, _, text in batch]
            writer.add(ids, encoder.encode_passages(titles, texts, advance))
    return vectors.run_vector_set(store, run_id, "passages")


def cached_vectors(
    store: Store,
    encoder: Encoder,
    *,
    kind: str,
    collection_id: int,
    keys: Sequence[int],
    texts_for: TextsFor,
    run_id: int,
    source_run_id: int | None = None,
    progress: Progress = SILENT,
) -> np.ndarray:
    """Query-side vectors for ``keys`` (query ids or generation ids), encoding only the
    ones no earlier vector set of this encoder holds; new ones are saved for next time."""
    key_array = np.asarray(keys, dtype=np.uint64)
    identity = encoder.config.identity()
    previous = next(
        (
            found
            for found in vectors.find_vector_sets(
                store,
                kind=kind,
                collection_id=collection_id,
                encoder=encoder.config.name,
                source_run_id=source_run_id,
            )
            if found.encoder_config == identity
        ),
        None,
    )
    old_keys = np.zeros(0, dtype=np.uint64)
    index = None
    if previous is not None:
        index = vectors.open_index(store, previous)
        old_keys = np.asarray(index.keys, dtype=np.uint64)
    missing = np.setdiff1d(key_array, old_keys)
    if len(missing) == 0 and index is not None:
        return vectors.load_vectors(index, key_array)
    with progress.task(f"encoding {kind}", len(missing)) as advance:
        fresh = encoder.encode_queries(texts_for(missing.tolist()), advance)
    with vectors.vector_writer(
        store,
        run_id=run_id,
        kind=kind,
        collection_id=collection_id,
        encoder=encoder.config.name,
        encoder_config=identity,
        dim=encoder.dim,
        source_run_id=source_run_id,
    ) as writer:
        if index is not None and len(old_keys):
            writer.add(old_keys, vectors.load_vectors(index, old_keys))
        writer.add(missing, fresh)
        return vectors.load_vectors(writer.index, key_array)
