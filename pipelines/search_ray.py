"""Search on a Ray actor pool (``pip install xqg[ray]``): the shards of an index are dealt
out to the actors, each of which memory-maps its own shards' files and answers, for a batch
of query vectors, each shard's top-k (passage ids and float32 scores).

The driver alone holds the database: it checks every shard file against its record
(:func:`store.vectors.open_index`), hands each actor the records and paths of its shards,
sends the query batches and merges the actors' lists with the same function as the local
path (:func:`pipelines.search.merge_top_k`), then writes the results. Actors never open
SQLite. A shard's top-k is computed by the same code on either engine, so rankings and
scores are the local ones.

Memory per actor: its shards' pages while it reads them (one shard at a time when it has
several), one query batch and one block of scores; the driver: the query vectors and one
batch's top-k lists of every shard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import InputError, StepError, shorten
from pipelines.search import merge_top_k, shards_top_k
from store.errors import StoreError
from store.records import VectorShard
from store.vectors import ShardedIndex, open_shard_file

# One shard's top-k lists: (shard number, keys, scores).
ShardHits = tuple[int, np.ndarray, np.ndarray]


class ShardSearcher:
    """A Ray actor: memory-maps the shard files it is given and searches them."""

    def __init__(self, shards: list[tuple[VectorShard, str]]) -> None:
        self.given = shards
        self.shards: list[Any] = []

    def open(self) -> int:
        """Open (memory-map) the shard files; how many vectors they hold."""
        self.shards = [open_shard_file(record, Path(path)) for record, path in self.given]
        return sum(len(shard) for shard in self.shards)

    def top_k(
        self, queries: np.ndarray, depth: int, exact: bool, expansion: int | None
    ) -> list[ShardHits]:
        """Each of its non-empty shards' top ``depth`` per query, with the shard's number."""
        found = shards_top_k(self.shards, queries, depth, exact, expansion)
        numbers = [shard.record.shard for shard in self.shards if len(shard)]
        return [(n, keys, scores) for n, (keys, scores) in zip(numbers, found, strict=True)]


def default_actors(ray: Any, shards: int, threads: int) -> int:
    """One actor per shard, at most as many as the cluster's CPUs allow at ``threads`` each."""
    cpus = int(float(ray.cluster_resources().get("CPU", 1)) // threads)
    return max(1, min(shards, cpus))


class RaySearch:
    """The shards of an index dealt out to a pool of Ray actors (started now)."""

    def __init__(self, index: ShardedIndex, *, actors: int | None, threads: int | None) -> None:
        from pipelines.cluster import connect

        if actors is not None and actors < 1:
            raise InputError(f"--actors must be at least 1, got {actors}")
        if threads is not None and threads < 1:
            raise InputError(f"--threads must be at least 1, got {threads}")
        self.ray = connect()
        count = actors or default_actors(self.ray, len(index.shards), threads or 1)
        self.size = len(index)
        given = [(shard.record, str(shard.path)) for shard in index.shards]
        # Shard i goes to actor i mod n: each actor maps only its own shards' files.
        groups = [given[start::count] for start in range(count)]
        remote = self.ray.remote(num_cpus=threads or 1)(ShardSearcher)
        self.handles = [remote.remote(group) for group in groups if group]
        self.actors = count
        with self._actor_errors():
            self.ray.get([handle.open.remote() for handle in self.handles])

    def rank(
        self, queries: np.ndarray, depth: int, *, exact: bool = True, expansion: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """What :func:`pipelines.search.rank` answers, from the actors' per-shard lists."""
        depth = min(depth, self.size)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        sent = self.ray.put(queries)
        with self._actor_errors():
            parts = self.ray.get(
                [h.top_k.remote(sent, depth, exact, expansion) for h in self.handles]
            )
        found = sorted((hits for part in parts for hits in part), key=lambda hits: hits[0])
        return merge_top_k([(keys, scores) for _, keys, scores in found], len(queries), depth)

    def describe(self) -> str:
        """``ray cpu x2``: the actors (shards dealt out to them)."""
        return f"ray cpu x{len(self.handles)}"

    def close(self) -> None:
        """Stop the actors (their mapped files go with them)."""
        for handle in self.handles:
            self.ray.kill(handle)
        self.handles = []

    @contextmanager
    def _actor_errors(self) -> Iterator[None]:
        """A shard an actor could not open as the store error it is (exit 2); a stopped
        actor as a step error."""
        try:
            yield
        except self.ray.exceptions.RayTaskError as error:
            cause = getattr(error, "cause", None)
            if isinstance(cause, StoreError):
                raise StoreError(str(cause)) from None
            raise
        except self.ray.exceptions.RayActorError as error:
            lines = [line for line in str(error).splitlines() if line.strip()] or ["?"]
            raise StepError(
                f"a Ray search actor stopped ({shorten(lines[0])}): its node was lost or its "
                "memory ran out; the run failed and wrote no results; rerun the same command "
                "(with more --actors, so each maps fewer shards, if memory ran out)"
            ) from None
