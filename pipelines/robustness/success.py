"""Attack success rates with bootstrap confidence intervals, and their paired comparison.

``Success@k`` of a system under an attack: among the queries whose relevant passage was in
the system's top k before the attack (clean ``Recall@k`` > 0), the share for which no
relevant passage is in the top k of the attacked query (attacked ``Recall@k`` = 0).
Success@1 is the classic "the answer is no longer first"; Success@10 "it left the first
page". The interval is the seeded percentile bootstrap of the mean over those queries
(:func:`pipelines.metrics.significance.bootstrap_ci`, checked against
``scipy.stats.bootstrap``). Two systems are compared on the queries that both had in the
top k, paired query by query, with the evaluation's tests and corrections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pipelines.metrics import measures as registry
from pipelines.metrics.significance import bootstrap_ci


@dataclass
class SuccessRate:
    """A system's success rate under one attack in one language (``all``: pooled)."""

    system: str
    attack: str
    language: str
    measure: str
    n: int
    successes: int
    rate: float
    ci_low: float
    ci_high: float


def recall_measure(success: str) -> str:
    """The Recall@k a Success@k is computed from."""
    cutoff = registry.measure(success).cutoff
    return f"Recall@{cutoff}"


def success_values(
    clean: Mapping[int, float], attacked: Mapping[int, float], original_of: Mapping[int, int]
) -> dict[int, float]:
    """Original query id -> 1.0 when the attack took every relevant passage out of the top
    k, 0.0 when one stayed; only queries with a relevant passage in the clean top k.

    Args:
        clean: original query id -> clean Recall@k.
        attacked: variant query id -> attacked Recall@k.
        original_of: variant query id -> its original's id.
    """
    return {
        original_of[variant]: float(value == 0)
        for variant, value in attacked.items()
        if clean.get(original_of[variant], 0) > 0
    }


def rate(
    values: Mapping[int, float], system: str, attack: str, language: str, measure: str
) -> SuccessRate:
    """The success rate of some queries' 0/1 values, with its 95% bootstrap interval."""
    found = np.fromiter(values.values(), dtype=np.float64, count=len(values))
    low, high = bootstrap_ci(np.zeros_like(found), found)
    return SuccessRate(
        system,
        attack,
        language,
        measure,
        len(found),
        int(found.sum()),
        float(found.mean()) if len(found) else 0.0,
        low,
        high,
    )
