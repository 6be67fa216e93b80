"""Encoding texts into stored vector sets, reusing what an earlier run already encoded.

Query and generated-query vectors are encoded once per encoder and kept as vector sets, so
a second search or another alpha in an augmentation sweep costs no encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.encoders.base import Encoder
from pipelines.encoding import Encoding, TextBatch, as_encoding, batch_size
from pipelines.progress import SILENT, Progress
from store import collections, vectors
from store.db import Store
from store.records import VectorSet

TextsFor = Callable[[Sequence[int]], list[str]]


@dataclass(frozen=True)
class Storage:
    """How a vector set is stored: vectors per shard, and the scalar type (f32, f16, bf16)."""

    shard_size: int = vectors.SHARD_SIZE
    dtype: str = "f32"

    def params(self) -> dict[str, Any]:
        """What differs from the defaults, for a run's parameters (empty by default, so runs
        made before shards keep their identity)."""
        return {
            key: value
            for key, value in (("shard_size", self.shard_size), ("dtype", self.dtype))
            if value != getattr(Storage, key)
        }


def encode_corpus(
    store: Store,
    encoder: Encoder | Encoding,
    *,
    collection_id: int,
    run_id: int,
    storage: Storage | None = None,
    id_range: tuple[int, int] | None = None,
    progress: Progress = SILENT,
) -> VectorSet:
    """Encode every passage of a collection (those with ids in ``id_range``, inclusive, when
    given) into the run's ``passages`` vector set: read in id order and written in that
    order, whichever engine encodes the batches, in shards of ``storage``. An interrupted
    attempt's finished shards are kept: encoding continues after their last passage."""
    encoding = as_encoding(encoder)
    storage = storage or Storage()
    first, last = id_range or (0, 2**62)
    total = collections.passage_count(store, collection_id, id_range=id_range)
    with (
        vectors.vector_writer(
            store,
            run_id=run_id,
            kind="passages",
            collection_id=collection_id,
            encoder=encoding.config.name,
            encoder_config=encoding.config.identity(),
            dim=encoding.dim,
            dtype=storage.dtype,
            shard_size=storage.shard_size,
        ) as writer,
        progress.task("encoding passages", total) as advance,
    ):
        if writer.resumed:
            progress.note(f"continuing after {writer.resumed} passages already stored")
            advance(writer.resumed)
        after = first - 1 if writer.last_key is None else writer.last_key
        batches = _passage_batches(store, collection_id, batch_size(encoding.config), after, last)
        for batch, found in encoding.vectors(batches):
            writer.add(batch.keys, found)
            advance(len(batch.keys))
    return vectors.run_vector_set(store, run_id, "passages")


def _passage_batches(
    store: Store, collection_id: int, size: int, after: int, last: int
) -> Iterator[TextBatch]:
    for rows in collections.iter_passages(
        store, collection_id, batch_size=size, after=after, until=last
    ):
        ids, titles, texts = (list(column) for column in zip(*rows, strict=True))
        yield TextBatch(ids, texts, titles)


def cached_vectors(
    store: Store,
    encoder: Encoder | Encoding,
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
    ones no earlier vector set of this encoder holds (see :func:`cached_vector_set`)."""
    index = cached_vector_set(
        store,
        encoder,
        kind=kind,
        collection_id=collection_id,
        keys=keys,
        texts_for=texts_for,
        run_id=run_id,
        source_run_id=source_run_id,
        progress=progress,
    )
    return vectors.load_vectors(index, np.asarray(keys, dtype=np.uint64))


def cached_vector_set(
    store: Store,
    encoder: Encoder | Encoding,
    *,
    kind: str,
    collection_id: int,
    keys: Sequence[int] | np.ndarray,
    texts_for: TextsFor,
    run_id: int,
    source_run_id: int | None = None,
    progress: Progress = SILENT,
) -> Any:
    """An open vector set (:func:`store.vectors.open_index`) that holds a vector for every
    one of ``keys`` (query ids or generation ids), encoding only the ones no earlier vector
    set of this encoder holds; new ones are saved for next time. Callers read the vectors
    they need from it in batches. An engine (:mod:`pipelines.encoding`) encodes them; given
    one that loads its model on first use, nothing is loaded when every vector is cached."""
    encoding = as_encoding(encoder)
    key_array = np.asarray(keys, dtype=np.uint64)
    identity = encoding.config.identity()
    previous = next(
        (
            found
            for found in vectors.find_vector_sets(
                store,
                kind=kind,
                collection_id=collection_id,
                encoder=encoding.config.name,
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
        return index
    with (
        vectors.vector_writer(
            store,
            run_id=run_id,
            kind=kind,
            collection_id=collection_id,
            encoder=encoding.config.name,
            encoder_config=identity,
            dim=encoding.dim,
            source_run_id=source_run_id,
        ) as writer,
        progress.task(f"encoding {kind}", len(missing)) as advance,
    ):
        if index is not None and len(old_keys):
            writer.add(old_keys, vectors.load_vectors(index, old_keys))
        for batch, found in encoding.vectors(
            _query_batches(missing, texts_for, batch_size(encoding.config))
        ):
            writer.add(batch.keys, found)
            advance(len(batch.keys))
    assert writer.vector_set is not None
    return vectors.open_index(store, writer.vector_set)


def _query_batches(keys: np.ndarray, texts_for: TextsFor, size: int) -> Iterator[TextBatch]:
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size].tolist()
        yield TextBatch(chunk, texts_for(chunk))
