"""Qrels-based measures through ir_measures (pytrec_eval underneath).

Names follow the field: ``MRR@k`` (ir_measures' RR@k), ``nDCG@k``, ``Recall@k`` (R@k),
``P@k``. The stored ranking is what gets evaluated: each hit's score is replaced by a value
that falls with its rank, because trec_eval would re-sort equal scores by docid. A ranked
passage the collection does not hold (None, from an imported run) is retrieved and
non-relevant, and keeps the passages below it at their ranks, as trec_eval counts it.

Queries: only judged queries that have a ranking get a value (trec_eval's default; a
judged query without results is left out of the mean). ``evaluate(complete=True)`` scores
them 0 instead, as ``trec_eval -c`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.metrics.measures import check_measures, known

IR_MEASURES_NAMES = {"MRR": "RR", "nDCG": "nDCG", "Recall": "R", "P": "P"}


def is_qrels_measure(name: str) -> bool:
    """True for names such as ``MRR@10`` or ``nDCG@10``."""
    found = known(name)
    return found is not None and found.family == "qrels"


def parse_measure(name: str) -> Any:
    """The ir_measures object for one of our measure names."""
    import ir_measures

    check_measures([name], ["qrels"])
    family, cutoff = name.split("@")
    return ir_measures.parse_measure(f"{IR_MEASURES_NAMES[family]}@{cutoff}")


def qrels_measures(
    names: Sequence[str],
    qrels: Mapping[int, Mapping[int, int]],
    ranked: Mapping[int, Sequence[int | None]],
) -> dict[str, dict[int, float]]:
    """Measure name -> {query id: value} for every query that has both qrels and a ranking
    (queries without qrels are not measured, as trec_eval skips them).

    ``ranked`` lists each query's passage ids best first; None is a passage unknown to the
    collection (retrieved, non-relevant).
    """
    import ir_measures

    measures = {parse_measure(name): name for name in names}
    judged = [(str(q), str(p), int(rel)) for q, docs in qrels.items() for p, rel in docs.items()]
    run = [
        (str(q), _docno(p, position), float(len(docs) - position))
        for q, docs in ranked.items()
        if q in qrels
        for position, p in enumerate(docs)
    ]
    measured = [q for q in ranked if q in qrels]
    values: dict[str, dict[int, float]] = {name: dict.fromkeys(measured, 0.0) for name in names}
    qrel_records = [ir_measures.Qrel(q, p, rel) for q, p, rel in judged]
    run_records = [ir_measures.ScoredDoc(q, p, score) for q, p, score in run]
    for metric in ir_measures.iter_calc(list(measures), qrel_records, run_records):
        values[measures[metric.measure]][int(metric.query_id)] = float(metric.value)
    return values


def _docno(passage_id: int | None, position: int) -> str:
    """The docno trec_eval sees: the passage id, or one that no qrel names for an unknown
    passage (passage ids are positive)."""
    return str(passage_id) if passage_id is not None else f"-{position}"
