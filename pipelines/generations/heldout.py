"""Stand-in "generated" queries for XQuAD-like collections, without a generator model.

For every passage, exactly ``k`` of the question ids that judge it (a seeded, per-passage
choice) lend their questions in the chosen languages as the passage's generated queries.
Those question ids are then held out of evaluation in every language: no evaluation
question may ever augment a passage. The run says ``source: heldout`` so nobody mistakes
the rows for model output.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pipelines.errors import InputError
from pipelines.generations.detection import with_detected
from pipelines.generations.fulltext import with_text_index
from pipelines.generations.guards import renumbered
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from store import collections, generations
from store.db import Store
from store.records import GenerationRecord, Query, Run

DEFAULT_SEED = 13


def choose_heldout(
    parallel_ids_by_passage: dict[int, list[str]], k: int, seed: int, docids: dict[int, str]
) -> dict[int, list[str]]:
    """Passage id -> the ``k`` parallel ids chosen for it (all of them when it has fewer).

    The choice for a passage depends only on the seed and its docid, not on corpus order.
    """
    chosen = {}
    for passage_id, parallel_ids in parallel_ids_by_passage.items():
        rng = random.Random(f"{seed}:{docids[passage_id]}")
        pool = sorted(set(parallel_ids))
        chosen[passage_id] = sorted(rng.sample(pool, min(k, len(pool))))
    return chosen


def generate_heldout(
    store: Store,
    collection: str,
    *,
    k: int = 1,
    languages: Sequence[str] | None = None,
    splits: Sequence[str] | None = None,
    seed: int = DEFAULT_SEED,
    name: str | None = None,
    fts: bool = False,
    progress: Progress = SILENT,
) -> Run:
    """Write a ``heldout`` generation run (see the module docstring).

    ``splits`` restricts the stand-ins to questions of those splits (on XNLI: the entailed
    hypotheses stand in for their premise's generated queries).
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    found = collections.get_collection(store, collection)
    # Perturbed variants share their original's parallel id; only originals stand in.
    queries = [
        q for q in collections.get_queries(store, found.id, splits=splits) if q.original_id is None
    ]
    if not queries:
        raise InputError(f"collection {found.name!r} has no queries of splits {splits}")
    if not any(q.parallel_id for q in queries):
        raise InputError(
            f"collection {found.name!r} has no parallel question ids (XQuAD has "
            "them); heldout stand-ins need translations of one question"
        )
    available = sorted({q.language for q in queries})
    chosen_languages = (
        list(languages) if languages else [lang for lang in available if lang != "en"]
    )
    unknown = [lang for lang in chosen_languages if lang not in available]
    if unknown:
        raise InputError(f"no queries in languages {unknown}; the collection has {available}")
    params = {
        "source": "heldout",
        "collection": found.name,
        "k": k,
        "seed": seed,
        "languages": chosen_languages,
    }
    if splits:
        params["splits"] = sorted(splits)

    def body(run: Run) -> dict[str, Any]:
        records, summary = _stand_ins(store, found.id, queries, chosen_languages, k, seed)
        with progress.task("writing stand-in generations", len(records)) as advance:
            generations.add_generations(store, run.id, with_detected(records))
            advance(len(records))
        return summary

    run = run_step(
        store,
        "generate",
        params,
        body,
        name=name,
        default_name=f"heldout-{found.name}",
        collection_id=found.id,
        progress=progress,
    )
    return with_text_index(store, run) if fts else run


def _stand_ins(
    store: Store, collection_id: int, queries: list[Query], languages: list[str], k: int, seed: int
) -> tuple[list[GenerationRecord], dict[str, Any]]:
    by_parallel: dict[tuple[str, str], Query] = {
        (q.parallel_id, q.language): q for q in queries if q.parallel_id
    }
    qrels = collections.qrels_for(store, [q.id for q in queries])
    parallel_ids_by_passage: dict[int, list[str]] = {}
    for query in queries:
        for passage_id, relevance in qrels.get(query.id, {}).items():
            if relevance > 0 and query.parallel_id:
                parallel_ids_by_passage.setdefault(passage_id, []).append(query.parallel_id)
    docids = collections.docids(store, parallel_ids_by_passage)
    chosen = choose_heldout(parallel_ids_by_passage, k, seed, docids)
    records = []
    for passage_id in sorted(chosen):
        for position, parallel_id in enumerate(chosen[passage_id]):
            for language in languages:
                source = by_parallel.get((parallel_id, language))
                if source is not None:
                    records.append(
                        GenerationRecord(passage_id, language, position, source.text, source.id)
                    )
    held_out = {pid for ids in chosen.values() for pid in ids}
    records, leaks = _without_leaks(store, collection_id, records, held_out)
    short = sum(1 for ids in chosen.values() if len(ids) < k)
    return records, {
        "generations": len(records),
        "dropped_as_evaluated_text": leaks,
        "passages": len(chosen),
        "passages_without_stand_ins": collections.passage_count(store, collection_id) - len(chosen),
        "passages_with_fewer_than_k": short,
        "held_out_question_ids": len(held_out),
        "per_language": dict(sorted(Counter(r.language for r in records).items())),
    }


def _without_leaks(
    store: Store, collection_id: int, records: list[GenerationRecord], held_out: set[str]
) -> tuple[list[GenerationRecord], int]:
    """The stand-ins without any whose text is that of a query still evaluated on the same
    passage (punctuation, case and spacing aside), renumbered per passage and language.

    A stand-in is another question's text, but translations can coincide: on XNLI, a
    Swahili entailed hypothesis reads exactly as its own premise. Augmenting a passage with
    a query it is then evaluated on would leak the answer.
    """
    evaluated = [
        q
        for q in collections.get_queries(store, collection_id)
        if q.original_id is None and q.parallel_id not in held_out
    ]
    qrels = collections.qrels_for(store, [q.id for q in evaluated])
    seen = {
        (passage_id, _normalized(q.text))
        for q in evaluated
        for passage_id, relevance in qrels.get(q.id, {}).items()
        if relevance > 0
    }
    kept = [r for r in records if (r.passage_id, _normalized(r.text)) not in seen]
    return renumbered(kept, lambda r: (r.passage_id, r.language)), len(records) - len(kept)


def _normalized(text: str) -> str:
    """Letters and digits only, case-folded: how a text reads, not how it is typed."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
