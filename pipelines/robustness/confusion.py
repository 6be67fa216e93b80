"""Confusion rates on the XNLI benchmark: does a hypothesis outrank the true premise?

For a query whose relevant passage is the premise ``{p}/premise``, the confusion value for a
label is 1 when the hypothesis passage ``{p}/{label}`` is ranked above the premise (a
retrieved hypothesis also outranks a premise that was not retrieved at all), else 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.ingest.xnli import LABELS, hypothesis_docid
from pipelines.metrics.measures import confusion

PREMISE_SUFFIX = "/premise"


def confusion_measure(label: str) -> str:
    """Measure name of a confusion rate, e.g. ``Confusion@contradiction``."""
    return confusion(label).name


def confusion_values(
    ranked: Mapping[int, Sequence[int]],
    premise_of: Mapping[int, str],
    docid_of: Mapping[int, str],
) -> dict[str, dict[int, float]]:
    """Measure -> {query id: 0/1} for every query whose relevant passage is a premise.

    Args:
        ranked: query id -> passage ids in rank order.
        premise_of: query id -> docid of its relevant premise passage.
        docid_of: passage id -> docid, for the passages in ``ranked``.
    """
    values: dict[str, dict[int, float]] = {confusion_measure(label): {} for label in LABELS}
    for query_id, passages in ranked.items():
        premise = premise_of.get(query_id)
        if premise is None or not premise.endswith(PREMISE_SUFFIX):
            continue
        prompt = premise.removesuffix(PREMISE_SUFFIX)
        position = {docid_of[p]: rank for rank, p in enumerate(passages)}
        premise_rank = position.get(premise, len(passages))
        for label in LABELS:
            hypothesis_rank = position.get(hypothesis_docid(prompt, label))
            outranks = hypothesis_rank is not None and hypothesis_rank < premise_rank
            values[confusion_measure(label)][query_id] = 1.0 if outranks else 0.0
    return values
