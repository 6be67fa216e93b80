"""Where batches are generated: in this process, or on Ray Data (``pip install xqg[ray]``).

Either way the driver reads the passages of each batch from the store and writes the
results back; an engine only turns batches into :class:`BatchOutput`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from pipelines.errors import InputError
from pipelines.generations.generator import BatchOutput, QueryGenerator
from pipelines.generations.plan import Batch
from pipelines.generations.settings import GenerationSettings
from pipelines.options import ENGINES
from pipelines.options import EngineName as EngineName  # re-exported for the generate step
from store.db import Store
from store.generations import passages_for_generation


class Engine(Protocol):
    """Turns the batches of a plan into generated queries, in any order."""

    def outputs(
        self, store: Store, batches: Iterable[Batch]
    ) -> Iterator[tuple[Batch, BatchOutput]]:
        """Each batch with its output, as soon as it is ready."""
        ...


class LocalEngine:
    """One model in this process, one batch after the other."""

    def __init__(
        self, settings: GenerationSettings, *, device: str, dtype: str, threads: int | None
    ) -> None:
        self.generator = QueryGenerator(settings, device=device, dtype=dtype, threads=threads)

    def outputs(
        self, store: Store, batches: Iterable[Batch]
    ) -> Iterator[tuple[Batch, BatchOutput]]:
        """Generate each batch in turn."""
        for batch in batches:
            passages = passages_for_generation(store, batch.passage_ids)
            yield batch, self.generator.generate(passages)


def make_engine(
    name: str,
    settings: GenerationSettings,
    *,
    device: str,
    dtype: str,
    threads: int | None = None,
    actors: int | None = None,
) -> Engine:
    """The engine called ``name``, with its model loaded (or checked, for Ray).

    ``threads`` are the CPU threads of the local model, or of each Ray actor.
    """
    if name == "local":
        return LocalEngine(settings, device=device, dtype=dtype, threads=threads)
    if name == "ray":
        from pipelines.generations.ray_engine import RayEngine

        return RayEngine(settings, device=device, dtype=dtype, threads=threads, actors=actors)
    raise InputError(f"--engine must be {' or '.join(ENGINES)}, got {name!r}")
