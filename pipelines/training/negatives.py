"""Hard negatives: the passages a stored baseline index ranks highest, minus the positives.

Each training query is encoded with the index's own encoder (vectors are cached in the
store exactly as ``search`` and ``augment`` cache them) and searched exactly; the top
``depth`` passages that are not positives become its hard-negative pool, from which each
epoch samples ``n`` (Tevatron's recipe).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.encoders.base import index_encoder_config, load_encoder
from pipelines.progress import SILENT, Progress
from pipelines.search import rank
from pipelines.training.data import TrainingPair
from pipelines.vectors import cached_vectors
from store import vectors
from store.db import Store
from store.records import Run

NegativePools = dict[tuple[str, int], list[int]]
BATCH = 1024


def mine_hard_negatives(
    store: Store,
    index_run: Run,
    pairs: Sequence[TrainingPair],
    depth: int,
    *,
    run_id: int,
    generation_run: Run | None = None,
    progress: Progress = SILENT,
) -> NegativePools:
    """(source, key) -> hard-negative passage ids, best first."""
    vector_set = vectors.run_vector_set(store, index_run.id, "passages")
    encoder = load_encoder(index_encoder_config(vector_set, index_run))
    index = vectors.open_index(store, vector_set)
    pools: NegativePools = {}
    for source in ("query", "generation"):
        chosen = [p for p in pairs if p.source == source]
        if not chosen:
            continue
        texts = {p.key: p.query for p in chosen}

        def texts_for(ids: Sequence[int], texts: dict[int, str] = texts) -> list[str]:
            return [texts[i] for i in ids]

        query_vectors = cached_vectors(
            store,
            encoder,
            kind="queries" if source == "query" else "generations",
            collection_id=vector_set.collection_id,
            keys=list(texts),
            texts_for=texts_for,
            run_id=run_id,
            source_run_id=None
            if generation_run is None or source == "query"
            else generation_run.id,
            progress=progress,
        )
        # One more than the depth per positive, so that ``depth`` negatives survive.
        extra = max(len(p.positives) for p in chosen)
        with progress.task(f"mining hard negatives ({source})", len(chosen)) as advance:
            for start in range(0, len(chosen), BATCH):
                batch = chosen[start : start + BATCH]
                ids, _ = rank(index, query_vectors[start : start + len(batch)], depth + extra)
                for pair, ranked in zip(batch, ids, strict=True):
                    pools[(source, pair.key)] = _without(ranked, pair.positives, depth)
                advance(len(batch))
    return pools


def _without(ranked: np.ndarray, positives: tuple[int, ...], depth: int) -> list[int]:
    return [int(p) for p in ranked if int(p) not in positives][:depth]
