"""Paired comparisons of systems with a baseline: every statistic for one cell, then the
multiple-testing correction over the family of cells that were tested together.

A cell is (system, measure, language) on the queries both runs answered; ``all`` is the
pooled cell over every query. The family of one measure is every (system, language) cell:
with one system that is the languages (the paper's setting), with several it is languages x
systems, so comparing five systems in eleven languages is corrected for 55 tests. The
pooled cells form their own family across systems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.metrics.significance import (
    CONFIDENCE,
    RESAMPLES,
    SEED,
    Correction,
    Test,
    adjust,
    bootstrap_ci,
    cohens_d,
    holm,
    paired_t_test,
    randomisation_test,
    wilcoxon_test,
)
from pipelines.options import SIGNIFICANCE_LEVEL

POOLED = "all"
ALPHA = SIGNIFICANCE_LEVEL


@dataclass
class Comparison:
    """One system against the baseline for one measure and language.

    ``p_value`` is the chosen test's p; ``p_adjusted`` is it corrected over the family
    (``correction``), and ``significant`` means ``p_adjusted < alpha``. ``p_holm`` keeps its
    first meaning for readers of older reports: Holm over the family of language cells
    (None for the pooled cell). The three tests' raw p-values, the bootstrap confidence
    interval of ``delta``, Cohen's d_z and the per-query wins/ties/losses come with it.
    """

    run: str
    measure: str
    language: str
    n: int
    baseline: float
    system: float
    delta: float
    p_value: float
    p_holm: float | None
    significant: bool
    p_adjusted: float | None = None
    test: str = "t"
    correction: str = "holm"
    p_t: float | None = None
    p_wilcoxon: float | None = None
    p_permutation: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    effect_size: float | None = None
    wins: int = 0
    ties: int = 0
    losses: int = 0


def compare_scores(
    run: str,
    measure: str,
    language: str,
    baseline: Sequence[float],
    system: Sequence[float],
    *,
    test: Test = "t",
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Comparison:
    """Every statistic of one cell (uncorrected: see :func:`correct`)."""
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(system, dtype=np.float64)
    p = {
        "t": paired_t_test(a, b).p_value,
        "wilcoxon": wilcoxon_test(a, b).p_value,
        "permutation": randomisation_test(a, b, resamples=resamples, seed=seed).p_value,
    }
    low, high = bootstrap_ci(a, b, confidence=CONFIDENCE, resamples=resamples, seed=seed)
    return Comparison(
        run=run,
        measure=measure,
        language=language,
        n=len(a),
        baseline=float(a.mean()),
        system=float(b.mean()),
        delta=float((b - a).mean()),
        p_value=p[test],
        p_holm=None,
        significant=False,
        test=test,
        p_t=p["t"],
        p_wilcoxon=p["wilcoxon"],
        p_permutation=p["permutation"],
        ci_low=low,
        ci_high=high,
        effect_size=cohens_d(a, b),
        wins=int(np.count_nonzero(b > a)),
        ties=int(np.count_nonzero(b == a)),
        losses=int(np.count_nonzero(b < a)),
    )


def correct(
    comparisons: Sequence[Comparison], correction: Correction = "holm", alpha: float = ALPHA
) -> None:
    """Set adjusted p-values and significance, family by family (see the module doc)."""
    for measure in dict.fromkeys(c.measure for c in comparisons):
        cells = [c for c in comparisons if c.measure == measure]
        languages = [c for c in cells if c.language != POOLED]
        pooled = [c for c in cells if c.language == POOLED]
        for family in (languages, pooled):
            raw = [c.p_value for c in family]
            for cell, adjusted in zip(family, adjust(raw, correction), strict=True):
                cell.correction = correction
                cell.p_adjusted = adjusted
                cell.significant = adjusted < alpha
        for cell, adjusted in zip(languages, holm([c.p_value for c in languages]), strict=True):
            cell.p_holm = adjusted


def family_text(correction: Correction, systems: int, languages: int) -> str:
    """How the correction was applied, in words for a table's footnote."""
    if correction == "none":
        return "no correction for multiple tests"
    name = {"holm": "Holm", "bh": "Benjamini-Hochberg"}[correction]
    if systems <= 1:
        return f"{name} across languages"
    return f"{name} across languages and systems ({systems} x {languages} tests per measure)"
