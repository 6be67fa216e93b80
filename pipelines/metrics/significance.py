"""Paired significance tests and multiple-testing correction for per-query scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class PairedTest(NamedTuple):
    """A paired comparison of a system against the baseline on the same queries."""

    n: int
    delta: float
    statistic: float
    p_value: float


def paired_t_test(baseline: Sequence[float], system: Sequence[float]) -> PairedTest:
    """Two-sided paired t-test (the paper's test) of ``system - baseline``.

    Identical score lists give p = 1 (no evidence of a difference), not NaN.
    """
    from scipy import stats

    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(system, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired scores differ in length: {a.shape} vs {b.shape}")
    differences = b - a
    delta = float(differences.mean()) if len(a) else 0.0
    if len(a) < 2 or not np.any(differences != differences[0]):
        return PairedTest(
            len(a),
            delta,
            0.0 if delta == 0 else math.copysign(math.inf, delta),
            1.0 if delta == 0 or len(a) < 2 else 0.0,
        )
    result = stats.ttest_rel(b, a)
    return PairedTest(len(a), delta, float(result.statistic), float(result.pvalue))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for position, index in enumerate(order):
        running = max(running, min(1.0, (m - position) * float(p_values[index])))
        adjusted[index] = running
    return adjusted
