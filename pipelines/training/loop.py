"""The encoder task on the shared :class:`~pipelines.training.trainer.Trainer` (torch).

Each query's positive and negatives in an epoch are drawn from ``(seed, epoch, pair)``, so a
resumed run draws what an uninterrupted one would; the dev evaluation is
:func:`pipelines.training.dev.evaluate_dev`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipelines.encoders.hf import load_pretrained
from pipelines.errors import InputError
from pipelines.progress import Progress
from pipelines.training.config import DEV_MEASURES, EncoderTraining
from pipelines.training.data import TrainingData, TrainingPair
from pipelines.training.dev import evaluate_dev
from pipelines.training.model import BiEncoder, contrastive_loss
from pipelines.training.negatives import NegativePools, mine_hard_negatives
from pipelines.training.trainer import Trainer
from store import collections
from store.db import Store
from store.records import Collection, Run


class EncoderTrainer(Trainer[EncoderTraining]):
    """Contrastive training of a bi-encoder on (query, positive) pairs with hard negatives."""

    def __init__(
        self,
        store: Store,
        collection: Collection,
        run: Run,
        job: EncoderTraining,
        params: dict[str, Any],
        data: TrainingData,
        output: Path,
        progress: Progress,
        index_run: Run | None,
        generation_run: Run | None,
    ) -> None:
        super().__init__(
            job, params, output, progress, examples=len(data.pairs), dev=bool(data.dev)
        )
        self.store = store
        self.collection_id = collection.id
        self.run = run
        self.data = data
        self.index_run = index_run
        self.generation_run = generation_run
        self.pools: NegativePools = {}
        self.passages: dict[int, tuple[str, str]] = {}
        self.passage_ids = np.zeros(0, dtype=np.int64)

    def load_data(self) -> None:
        """Mine hard negatives (with an index run) and load the passages training draws."""
        if self.index_run is not None:
            self.pools = mine_hard_negatives(
                self.store,
                self.index_run,
                self.data.pairs,
                self.job.negative_depth,
                run_id=self.run.id,
                generation_run=self.generation_run,
                progress=self.progress,
            )
        self._load_passages()

    def _load_passages(self) -> None:
        """Ids of all passages (for random negatives) and the texts training can draw."""
        needed = {p for pair in self.data.pairs for p in pair.positives}
        needed |= {p for pool in self.pools.values() for p in pool}
        everything = any(
            len(self.pools.get((pair.source, pair.key), ())) < self.job.negatives
            for pair in self.data.pairs
        )
        ids: list[int] = []
        for batch in collections.iter_passages(self.store, self.collection_id):
            for passage_id, title, text in batch:
                ids.append(passage_id)
                if everything or passage_id in needed:
                    self.passages[passage_id] = (title, text)
        self.passage_ids = np.asarray(ids, dtype=np.int64)
        if len(ids) < 1 + self.job.negatives:
            raise InputError(
                f"the collection has {len(ids)} passages; 1 positive + {self.job.negatives} "
                "negatives per query need more (lower --negatives)"
            )

    def load_model(self, source: str) -> tuple[Any, Any]:
        """A Hugging Face encoder, wrapped to encode as the job says."""
        tokenizer, model = load_pretrained(source, trust_remote_code=self.job.trust_remote_code)
        self.encoder = BiEncoder(model, tokenizer, self.job.encoder_config(source))
        return tokenizer, model

    def loss(self, micro: list[int]) -> torch.Tensor:
        """Contrastive loss of these pairs over their groups and in-batch negatives."""
        pairs = [self.data.pairs[i] for i in micro]
        chosen = [self._group(i, pair) for i, pair in zip(micro, pairs, strict=True)]
        ids = [p for group in chosen for p in group]
        size = 1 + self.job.negatives
        queries = self.encoder.queries([pair.query for pair in pairs])
        passages = self.encoder.passages(
            [self.passages[p][0] for p in ids], [self.passages[p][1] for p in ids]
        )
        return contrastive_loss(
            queries,
            passages,
            size,
            cosine=self.job.similarity == "cos",
            temperature=self.job.scale,
            mask=false_negatives(pairs, ids, size).to(queries.device),
        )

    def _group(self, index: int, pair: TrainingPair) -> list[int]:
        """[positive, negatives...] for one pair in the current epoch."""
        rng = np.random.default_rng([self.job.seed, self.state.epoch, index])
        positive = pair.positives[int(rng.integers(len(pair.positives)))]
        pool = self.pools.get((pair.source, pair.key), [])
        wanted = self.job.negatives
        if len(pool) >= wanted:
            return [positive, *(int(p) for p in rng.choice(pool, wanted, replace=False))]
        negatives = list(pool)
        taken = set(pair.positives) | set(negatives)
        while len(negatives) < wanted:
            candidate = int(self.passage_ids[rng.integers(len(self.passage_ids))])
            if candidate not in taken:
                negatives.append(candidate)
                taken.add(candidate)
        return [positive, *negatives]

    def evaluate(self) -> dict[str, Any]:
        """The evaluate step's measures on the dev queries, per language and averaged."""
        return evaluate_dev(
            self.encoder,
            self.store,
            self.collection_id,
            self.data.dev,
            self.data.dev_qrels,
            DEV_MEASURES,
            autocast=self.autocast(),
        )

    def describe(self, step: int) -> dict[str, Any]:
        """How to encode with the trained folder."""
        return {"encoder": self.job.encoder_config(str(self.output / "model")).identity()}

    def report(self, step: int) -> dict[str, Any]:
        """The encoder settings, pairs, negatives and dev measures before and after."""
        dev = self.state.history["dev"]
        pools = [len(pool) for pool in self.pools.values()]
        return {
            **self.describe(step),
            "data": self.data.counts,
            "negatives": {
                "per_query": self.job.negatives,
                "mined": bool(self.pools),
                "mean_pool": round(float(np.mean(pools)), 2) if pools else 0.0,
                "short_pools": sum(1 for n in pools if n < self.job.negatives),
            },
            "dev_before": dev[0] if dev and dev[0]["step"] == 0 else None,
            "dev_after": dev[-1] if dev else None,
        }


def false_negatives(pairs: list[TrainingPair], ids: list[int], size: int) -> torch.Tensor:
    """Mask of (query, passage) scores to ignore: a passage that is one of the query's
    positives but not its target (another query's positive or negative, or a duplicate)."""
    return torch.tensor(
        [
            [
                column != row * size and passage in pair.positives
                for column, passage in enumerate(ids)
            ]
            for row, pair in enumerate(pairs)
        ],
        dtype=torch.bool,
    )
