"""The tied bi-encoder and its contrastive loss (torch; imported only by training code).

Queries and passages go through one model; vectors are CLS or masked-mean pooled exactly
as :class:`pipelines.encoders.hf.HFEncoder` pools them, so a trained folder encodes at
index time as it did in training. Scores are dot products, or cosines (unit vectors),
divided by a temperature; each query's target is its own positive among every passage of
the micro-batch (its hard negatives and the other queries' passages: in-batch negatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pipelines.encoders.base import EncoderConfig, passage_inputs
from pipelines.encoders.hf import pool


class BiEncoder:
    """A Hugging Face encoder with its tokenizer, encoding as an :class:`EncoderConfig` says."""

    def __init__(self, model: Any, tokenizer: Any, config: EncoderConfig) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config

    @property
    def device(self) -> torch.device:
        """Where the model's parameters live."""
        return next(self.model.parameters()).device

    def queries(self, texts: Sequence[str]) -> torch.Tensor:
        """Pooled query vectors (with gradients when the model trains)."""
        inputs = [self.config.query_prefix + text for text in texts]
        return self._encode(inputs, self.config.query_max_length)

    def passages(self, titles: Sequence[str], texts: Sequence[str]) -> torch.Tensor:
        """Pooled passage vectors."""
        joined = passage_inputs(self.config, titles, texts)
        inputs = [self.config.passage_prefix + text for text in joined]
        return self._encode(inputs, self.config.passage_max_length)

    def _encode(self, texts: list[str], max_length: int) -> torch.Tensor:
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        ).to(self.device)
        hidden = self.model(**batch).last_hidden_state
        return pool(hidden, batch["attention_mask"], self.config.pooling)


def contrastive_loss(
    queries: torch.Tensor,
    passages: torch.Tensor,
    group_size: int,
    *,
    cosine: bool,
    temperature: float,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Cross-entropy of each query over all passages; query i's positive is passage
    ``i * group_size`` (its group: 1 positive then its negatives). Scores where ``mask`` is
    true are left out (false negatives)."""
    queries, passages = queries.float(), passages.float()
    if cosine:
        queries = torch.nn.functional.normalize(queries, dim=-1)
        passages = torch.nn.functional.normalize(passages, dim=-1)
    scores = queries @ passages.T / temperature
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    targets = torch.arange(len(queries), device=scores.device) * group_size
    return torch.nn.functional.cross_entropy(scores, targets)
