"""Dev evaluation during training: the evaluate step's qrels measures, computed in memory.

Every passage of the collection and every dev query is encoded with the model being
trained (through :class:`~pipelines.encoders.hf.HFEncoder`, so exactly as ``xqg index``
would encode with the saved folder), ranked by the search step's exact inner-product
ranking over the vectors held in memory (ties broken by passage id) and scored with the
same ir_measures code as ``xqg evaluate``. Nothing is written to the store: an epoch's
evaluation is a point on the training run's curves, not a search run of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from pipelines.encoders.hf import HFEncoder
from pipelines.metrics.qrels import qrels_measures
from pipelines.search import rank_matrix
from pipelines.training.model import BiEncoder
from store import collections
from store.db import Store
from store.records import Query

DEPTH = 100
CHUNK = 1024


def evaluate_dev(
    encoder: BiEncoder,
    store: Store,
    collection_id: int,
    dev: Sequence[Query],
    qrels: dict[int, dict[int, int]],
    measures: Sequence[str],
    *,
    autocast: AbstractContextManager[Any] | None = None,
) -> dict[str, Any]:
    """``{"avg": {measure: value}, "by_language": {lang: {measure: value}}}`` on the dev set.

    ``avg`` is the macro average over languages, as the evaluate step reports it.
    """
    model = encoder.model
    was_training = model.training
    model.eval()
    try:
        with autocast or nullcontext():
            loaded = HFEncoder(encoder.config, loaded=(encoder.tokenizer, model))
            ranked = _rank(loaded, store, collection_id, dev)
    finally:
        model.train(was_training)
    values = qrels_measures(measures, qrels, ranked)
    return _by_language(values, {q.id: q.language for q in dev}, measures)


def _rank(
    encoder: HFEncoder, store: Store, collection_id: int, dev: Sequence[Query]
) -> dict[int, list[int]]:
    """Exact inner-product ranking of the passages' vectors held in memory, by the search
    step's own ranking (:func:`pipelines.search.rank_matrix`: same top-k, same scores,
    same tie-breaking by passage id)."""
    keys: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    for batch in collections.iter_passages(store, collection_id, batch_size=CHUNK):
        keys.append(np.asarray([passage_id for passage_id, _, _ in batch], dtype=np.int64))
        blocks.append(
            encoder.encode_passages(
                [title for _, title, _ in batch], [text for _, _, text in batch]
            ).astype(np.float32)
        )
    passage_ids, matrix = np.concatenate(keys), np.concatenate(blocks)
    queries = encoder.encode_queries([q.text for q in dev])
    ranked: dict[int, list[int]] = {}
    for start in range(0, len(dev), CHUNK):
        ids, _ = rank_matrix(passage_ids, matrix, queries[start : start + CHUNK], DEPTH)
        for row, query in enumerate(dev[start : start + CHUNK]):
            ranked[query.id] = ids[row].tolist()
    return ranked


def _by_language(
    values: dict[str, dict[int, float]], language_of: dict[int, str], measures: Sequence[str]
) -> dict[str, Any]:
    languages = sorted(set(language_of.values()))
    by_language = {
        language: {
            measure: float(
                np.mean([v for q, v in values[measure].items() if language_of[q] == language])
            )
            for measure in measures
        }
        for language in languages
    }
    average = {
        measure: float(np.mean([by_language[lang][measure] for lang in languages]))
        for measure in measures
    }
    return {"avg": average, "by_language": by_language}
