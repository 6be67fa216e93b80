"""Qrels-based measures through ir_measures (pytrec_eval underneath).

Names follow the field: ``MRR@k`` (ir_measures' RR@k), ``nDCG@k``, ``Recall@k`` (R@k),
``P@k``. The stored ranking is what gets evaluated: each hit's score is replaced by a value
that falls with its rank, because trec_eval would re-sort equal scores by docid.
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
    ranked: Mapping[int, Sequence[int]],
) -> dict[str, dict[int, float]]:
    """Measure name -> {query id: value} for every query that has qrels.

    A judged query with no retrieved passage scores 0 (trec_eval would leave it out).
    """
    import ir_measures

    measures = {parse_measure(name): name for name in names}
    judged = [(str(q), str(p), int(rel)) for q, docs in qrels.items() for p, rel in docs.items()]
    run = [
        (str(q), str(p), float(len(docs) - position))
        for q, docs in ranked.items()
        if q in qrels
        for position, p in enumerate(docs)
    ]
    values: dict[str, dict[int, float]] = {name: dict.fromkeys(qrels, 0.0) for name in names}
    qrel_records = [ir_measures.Qrel(q, p, rel) for q, p, rel in judged]
    run_records = [ir_measures.ScoredDoc(q, p, score) for q, p, score in run]
    for metric in ir_measures.iter_calc(list(measures), qrel_records, run_records):
        values[measures[metric.measure]][int(metric.query_id)] = float(metric.value)
    return values
