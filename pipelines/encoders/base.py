"""One small encoder interface for every retriever: texts in, float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from pipelines.encoders.precision import Resolved, auto_precision
from pipelines.errors import InputError
from pipelines.options import ENCODER_PRECISIONS, POOLINGS, EncoderPrecision, Pooling
from pipelines.progress import Advance
from store.records import Run, VectorSet

RUNTIME_FIELDS = ("batch_size", "device", "trust_remote_code")


@dataclass(frozen=True)
class EncoderConfig:
    """How to build an encoder. ``name`` is ``e5-small`` or ``hf:<model id or local path>``.

    The defaults of the ``hf:`` options follow the xDR of the paper (CLS pooling, raw dot
    product, 32/128 tokens). ``batch_size``, ``device`` and ``trust_remote_code`` do not
    change the vectors and stay out of :meth:`identity`. ``precision`` (``auto``, ``fp32``,
    ``bf16``) does, slightly: :meth:`identity` records what ``auto`` chose on this machine,
    so that later searches of an index encode in the precision its passages had.
    """

    name: str = "e5-small"
    pooling: Pooling = "cls"
    normalize: bool = False
    query_prefix: str = ""
    passage_prefix: str = ""
    query_max_length: int = 32
    passage_max_length: int = 128
    passage_title: bool = True
    batch_size: int = 32
    device: str = "auto"
    trust_remote_code: bool = False
    precision: EncoderPrecision = "auto"

    def __post_init__(self) -> None:
        if self.name != "e5-small" and not self.name.startswith("hf:"):
            raise InputError(
                f"unknown encoder {self.name!r}; expected e5-small or hf:<model id or local path>"
            )
        if self.pooling not in POOLINGS:
            raise InputError(f"unknown pooling {self.pooling!r}; expected {' or '.join(POOLINGS)}")
        if self.batch_size < 1 or self.query_max_length < 1 or self.passage_max_length < 1:
            raise InputError("batch size and max lengths must be positive")
        if self.precision not in ENCODER_PRECISIONS:
            raise InputError(
                f"unknown precision {self.precision!r}; expected {', '.join(ENCODER_PRECISIONS)}"
            )

    def identity(self) -> dict[str, Any]:
        """The settings that shape the vectors (two encoders with equal identity agree)."""
        if self.name == "e5-small":
            return {"name": self.name, "passage_title": self.passage_title}
        fields = asdict(self)
        for key in RUNTIME_FIELDS:
            fields.pop(key)
        fields["precision"] = self.resolved_precision()
        return fields

    def resolved_precision(self) -> Resolved:
        """``fp32`` or ``bf16``: the precision asked for, or what ``auto`` means here."""
        if self.precision != "auto":
            return self.precision
        return auto_precision(self.device)

    def runtime(self) -> dict[str, Any]:
        """The settings that do not shape the vectors but that later steps must reuse."""
        return {key: getattr(self, key) for key in RUNTIME_FIELDS}

    @classmethod
    def from_identity(cls, identity: dict[str, Any], runtime: dict[str, Any]) -> EncoderConfig:
        """Rebuild a config from a stored identity plus the stored runtime settings (an
        ``hf:`` identity stored before precision was recorded computed in float32)."""
        if identity.get("name") != "e5-small":
            identity = {"precision": "fp32", **identity}
        return cls(**identity, **{k: v for k, v in runtime.items() if k in RUNTIME_FIELDS})


def index_encoder_config(vector_set: VectorSet, index_run: Run) -> EncoderConfig:
    """The encoder that wrote an index's passage vectors, with the runtime settings of its
    run: queries searched against the index must be encoded by this one."""
    return EncoderConfig.from_identity(
        vector_set.encoder_config, index_run.params.get("runtime", {})
    )


class Encoder(Protocol):
    """Encodes queries and passages into one vector space."""

    config: EncoderConfig
    dim: int

    def encode_queries(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """Query vectors, shape (len(texts), dim), float32."""
        ...

    def encode_passages(
        self, titles: Sequence[str], texts: Sequence[str], advance: Advance | None = None
    ) -> np.ndarray:
        """Passage vectors, shape (len(texts), dim), float32."""
        ...


def passage_inputs(config: EncoderConfig, titles: Sequence[str], texts: Sequence[str]) -> list[str]:
    """Passage text as the retriever sees it: ``title + " " + text`` (the paper's recipe)."""
    if not config.passage_title:
        return list(texts)
    return [f"{title} {text}" if title else text for title, text in zip(titles, texts, strict=True)]


def load_encoder(config: EncoderConfig) -> Encoder:
    """Build the encoder a config names (heavy libraries are imported here, not before)."""
    if config.name == "e5-small":
        from pipelines.encoders.e5_small import E5SmallEncoder

        return E5SmallEncoder(config)
    from pipelines.encoders.hf import HFEncoder

    return HFEncoder(config)
