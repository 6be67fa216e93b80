"""Paired tests, confidence intervals, effect size and corrections: hand-worked values,
and the same numbers from scipy and statsmodels computed here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pipelines.metrics.significance import (
    adjust,
    benjamini_hochberg,
    bootstrap_ci,
    cohens_d,
    holm,
    paired_t_test,
    randomisation_test,
    wilcoxon_test,
)


def test_paired_t_test_hand_worked_four_pairs() -> None:
    baseline = [0.0, 0.25, 0.5, 0.25]
    system = [0.1, 0.45, 0.8, 0.85]
    # d = 0.1, 0.2, 0.3, 0.6: mean 0.3, squared deviations 0.04 + 0.01 + 0 + 0.09 = 0.14,
    # s = sqrt(0.14 / 3), t = 0.3 / (s / 2) = 3 sqrt(6/7) = 2.7774602...
    t = 3 * math.sqrt(6 / 7)
    # Student's t with 3 degrees of freedom has a closed form:
    # P(|T| > t) = 1 - (2/pi) (arctan(t/sqrt3) + sqrt3 t / (3 + t^2)).
    p = 1 - 2 / math.pi * (math.atan(t / math.sqrt(3)) + math.sqrt(3) * t / (3 + t * t))
    result = paired_t_test(baseline, system)
    assert result.n == 4
    assert result.delta == pytest.approx(0.3, rel=1e-12)
    assert result.statistic == pytest.approx(2.7774602, abs=1e-7)
    assert result.statistic == pytest.approx(t, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert 0.05 < result.p_value < 0.1
    # Swapping the systems flips the sign, not the p-value.
    swapped = paired_t_test(system, baseline)
    assert swapped.statistic == pytest.approx(-t, rel=1e-9)
    assert swapped.delta == pytest.approx(-0.3, rel=1e-12)
    assert swapped.p_value == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paired_t_test_equals_scipy_on_per_query_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    # Per-query hits (R@2kt) and reciprocal ranks (MRR@10), the system a little better.
    base_hits = (rng.random(n) < 0.45).astype(float)
    sys_hits = np.where(rng.random(n) < 0.1, 1.0, base_hits)
    base_rr = 1.0 / rng.integers(1, 15, n) * (rng.random(n) < 0.8)
    sys_rr = np.clip(base_rr + rng.normal(0.02, 0.1, n), 0, 1)
    for a, b in ((base_hits, sys_hits), (base_rr, sys_rr)):
        expected = stats.ttest_rel(b, a)
        result = paired_t_test(a.tolist(), b.tolist())
        assert result.n == n
        assert result.delta == pytest.approx(float(np.mean(b - a)), rel=1e-12)
        assert result.statistic == pytest.approx(float(expected.statistic), rel=1e-12)
        assert result.p_value == pytest.approx(float(expected.pvalue), rel=1e-12)
        assert result.statistic > 0


def test_identical_lists_give_p_one() -> None:
    scores = [0.0, 1.0, 0.5, 0.25, 1.0]
    result = paired_t_test(scores, list(scores))
    assert result == (5, 0.0, 0.0, 1.0)
    assert paired_t_test([], []) == (0, 0.0, 0.0, 1.0)


def test_constant_nonzero_difference_is_certain_and_one_pair_proves_nothing() -> None:
    better = paired_t_test([0.0, 0.0, 1.0], [1.0, 1.0, 2.0])
    assert (better.delta, better.statistic, better.p_value) == (1.0, math.inf, 0.0)
    worse = paired_t_test([1.0, 1.0], [0.0, 0.0])
    assert (worse.delta, worse.statistic, worse.p_value) == (-1.0, -math.inf, 0.0)
    single = paired_t_test([0.0], [1.0])
    assert (single.n, single.delta, single.p_value) == (1, 1.0, 1.0)


def test_lists_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_t_test([0.1, 0.2], [0.1])


def test_holm_hand_computed() -> None:
    # Sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> 0.06.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)


def test_holm_caps_at_one_and_keeps_order() -> None:
    # 0.3 x 3 = 0.9; 0.5 x 2 = 1.0; 0.9 x 1 = 0.9 -> 1.0.
    assert holm([0.5, 0.3, 0.9]) == pytest.approx([1.0, 0.9, 1.0])
    assert holm([0.6, 0.7]) == [1.0, 1.0]
    assert holm([0.01, 0.01]) == pytest.approx([0.02, 0.02])
    assert holm([0.2]) == [0.2]
    assert holm([]) == []


def test_holm_is_monotone_and_never_below_the_raw_p_values() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        p = (rng.random(7) ** 3).tolist()
        adjusted = holm(p)
        assert all(raw <= adj <= 1.0 for raw, adj in zip(p, adjusted, strict=True))
        order = np.argsort(p)
        in_order = [adjusted[i] for i in order]
        assert in_order == sorted(in_order)
        # Step-down definition: max over the smaller p-values of (m - j) p_(j), capped at 1.
        ranked = sorted(p)
        expected = [
            min(1.0, max((len(p) - j) * ranked[j] for j in range(k + 1))) for k in range(len(p))
        ]
        assert in_order == pytest.approx(expected, rel=1e-12)


# --- Wilcoxon signed-rank ----------------------------------------------------------------

# d = 0.1, -0.2, 0.3, 0.4, 0.5: |d| ranks 1..5, the one negative has rank 2, so W- = 2 and
# W+ = 13. Exact two-sided p = 2 P(W <= 2) over the 2^5 equally likely sign patterns: the
# subsets of {1..5} with rank sum <= 2 are {}, {1}, {2}, so p = 2 * 3/32 = 0.1875.
WILCOXON_BASE = [0.5, 0.5, 0.2, 0.1, 0.3]
WILCOXON_SYSTEM = [0.6, 0.3, 0.5, 0.5, 0.8]


def test_wilcoxon_hand_worked_exact() -> None:
    result = wilcoxon_test(WILCOXON_BASE, WILCOXON_SYSTEM)
    assert result.n == 5
    assert result.delta == pytest.approx(0.22, rel=1e-12)
    assert result.statistic == 2.0
    assert result.p_value == pytest.approx(6 / 32, rel=1e-12)
    expected = stats.wilcoxon(np.subtract(WILCOXON_SYSTEM, WILCOXON_BASE))
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=1e-12)


def test_wilcoxon_drops_zero_differences_and_identical_lists_give_p_one() -> None:
    with_ties = wilcoxon_test([*WILCOXON_BASE, 0.4, 0.7], [*WILCOXON_SYSTEM, 0.4, 0.7])
    assert with_ties.n == 7
    assert with_ties.p_value == pytest.approx(6 / 32, rel=1e-12)  # zeros dropped
    assert wilcoxon_test([0.1, 0.5], [0.1, 0.5]) == (2, 0.0, 0.0, 1.0)


def test_wilcoxon_is_exact_for_few_changes_among_many_ties() -> None:
    # 5 queries won, 995 tied: W- = 0, and of the 2^5 sign patterns only all-plus and
    # all-minus are as extreme, so p = 2/32. With the zeros handed to scipy, its choice of
    # method counts 1,000 pairs and takes the normal approximation (p 0.025).
    result = wilcoxon_test([0.0] * 1000, [1.0] * 5 + [0.0] * 995)
    assert (result.n, result.statistic) == (1000, 0.0)
    assert result.p_value == pytest.approx(2 / 32, rel=1e-12)


@pytest.mark.parametrize("seed", [3, 4])
def test_wilcoxon_equals_scipy_on_tied_per_query_values(seed: int) -> None:
    # Reciprocal ranks tie a lot: scipy's normal approximation with its tie correction.
    rng = np.random.default_rng(seed)
    base = 1.0 / rng.integers(1, 6, 400)
    system = np.where(rng.random(400) < 0.3, 1.0 / rng.integers(1, 6, 400), base)
    result = wilcoxon_test(base, system)
    expected = stats.wilcoxon(system - base)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=1e-12)
    assert result.statistic == float(expected.statistic)


# --- the paired randomisation (sign-flip) test -------------------------------------------


def test_randomisation_hand_worked_exact() -> None:
    # d = 0.1, 0.2, 0.3, 0.6 (the t-test example): of the 16 sign flips only all-plus and
    # all-minus give |sum| >= 1.2, so p = 2/16.
    result = randomisation_test([0.0, 0.25, 0.5, 0.25], [0.1, 0.45, 0.8, 0.85])
    assert (result.n, result.p_value) == (4, 2 / 16)
    assert result.statistic == pytest.approx(0.3, rel=1e-12)
    # d = 0.1, -0.2, 0.3, 0.4, 0.5: observed sum 1.1 of |d| total 1.5; a flip set N gives
    # 1.5 - 2 sum(N), as extreme when sum(N) <= 0.2 ({}, {0.1}, {0.2}) or >= 1.3 (their
    # complements): p = 6/32. Zero differences change nothing.
    d5 = randomisation_test(WILCOXON_BASE, WILCOXON_SYSTEM)
    assert d5.p_value == pytest.approx(6 / 32, rel=1e-12)
    zeros = randomisation_test([*WILCOXON_BASE, 0, 1], [*WILCOXON_SYSTEM, 0, 1])
    assert zeros.p_value == pytest.approx(6 / 32, rel=1e-12)
    assert randomisation_test([0.2, 0.3], [0.2, 0.3]).p_value == 1.0


def test_randomisation_exact_equals_scipy_permutation_test() -> None:
    rng = np.random.default_rng(11)
    base = rng.random(12).round(2)
    system = (base + rng.normal(0.1, 0.2, 12)).round(2)
    expected = stats.permutation_test(
        (system - base,),
        lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        n_resamples=10_000,
    )  # 2^12 = 4096 sign flips: scipy enumerates them all
    assert randomisation_test(base, system).p_value == pytest.approx(expected.pvalue, rel=1e-12)


def test_randomisation_monte_carlo_agrees_with_scipy_and_is_seeded() -> None:
    # Per-query hits (R@kt): 22 queries change, 15 gained and 7 lost; 2^22 flips are too
    # many to enumerate, so both p-values are estimated.
    rng = np.random.default_rng(7)
    base = (rng.random(300) < 0.5).astype(float)
    flip = rng.random(300) < 0.15
    system = np.where(flip & (rng.random(300) < 0.62), 1.0, np.where(flip, 0.0, base))
    assert (np.count_nonzero(system > base), np.count_nonzero(system < base)) == (15, 7)
    ours = randomisation_test(base, system, resamples=20_000, seed=1)
    theirs = stats.permutation_test(
        (system - base,),
        lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        n_resamples=20_000,
        vectorized=True,
        rng=np.random.default_rng(2),
    )
    # Two Monte Carlo estimates of one p-value: within 4 standard errors of each other.
    p = float(theirs.pvalue)
    assert 0.05 < p < 0.5
    assert abs(ours.p_value - p) < 4 * math.sqrt(2 * p * (1 - p) / 20_000)
    assert randomisation_test(base, system, resamples=20_000, seed=1) == ours
    assert randomisation_test(base, system, resamples=20_000, seed=9).p_value != ours.p_value
    # Monte Carlo p-values are never 0: (hits + 1) / (resamples + 1).
    certain = randomisation_test(np.zeros(40), np.ones(40), resamples=999)
    assert certain.p_value == 1 / 1000


# --- bootstrap confidence interval, effect size ------------------------------------------


def test_bootstrap_hand_worked_two_queries() -> None:
    # d = 0, 1: a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4, so the
    # 2.5th percentile is 0 and the 97.5th is 1.
    assert bootstrap_ci([0.0, 0.0], [0.0, 1.0]) == (0.0, 1.0)
    # Every query gains the same: the interval is that gain.
    assert bootstrap_ci([0.1, 0.2, 0.3], [0.6, 0.7, 0.8]) == pytest.approx((0.5, 0.5))
    assert bootstrap_ci([], []) == (0.0, 0.0)


def test_bootstrap_agrees_with_scipy_and_the_normal_approximation() -> None:
    rng = np.random.default_rng(8)
    base = 1.0 / rng.integers(1, 11, 2000)
    system = np.where(rng.random(2000) < 0.2, 1.0 / rng.integers(1, 11, 2000), base)
    low, high = bootstrap_ci(base, system)
    theirs = stats.bootstrap(
        (system - base,), np.mean, method="percentile", n_resamples=10_000, rng=3
    ).confidence_interval
    d = system - base
    half = 1.959964 * d.std(ddof=1) / math.sqrt(len(d))
    for ours, scipy_value, normal in (
        (low, theirs.low, d.mean() - half),
        (high, theirs.high, d.mean() + half),
    ):
        assert ours == pytest.approx(scipy_value, abs=0.05 * 2 * half)
        assert ours == pytest.approx(normal, abs=0.05 * 2 * half)
    assert low < d.mean() < high
    assert bootstrap_ci(base, system) == (low, high)  # seeded


def test_cohens_d_hand_worked() -> None:
    # d = 0.1, 0.2, 0.3, 0.6: mean 0.3, sd sqrt(0.14 / 3): d_z = 0.3 / 0.216025 = 1.38873.
    d_z = cohens_d([0.0, 0.25, 0.5, 0.25], [0.1, 0.45, 0.8, 0.85])
    assert d_z == pytest.approx(0.3 / math.sqrt(0.14 / 3), rel=1e-12)
    assert d_z == pytest.approx(1.38873, abs=1e-5)
    assert cohens_d([1.0, 0.0], [0.0, 1.0]) == 0.0
    assert cohens_d([0.1, 0.2], [0.6, 0.7]) is None  # no spread: undefined
    assert cohens_d([0.1], [0.6]) is None


# --- Benjamini-Hochberg, and both corrections against statsmodels -----------------------


def test_benjamini_hochberg_hand_computed() -> None:
    # Sorted 0.005, 0.01, 0.03, 0.04 times m/rank 4, 2, 4/3, 1: 0.02, 0.02, 0.04, 0.04;
    # then the running minimum from the largest down leaves them as they are.
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02], rel=1e-12
    )
    # 0.01 x 3 = 0.03; 0.04 x 3/2 = 0.06; 0.05 x 1 = 0.05 -> the step-up minimum makes 0.05.
    assert benjamini_hochberg([0.05, 0.01, 0.04]) == pytest.approx([0.05, 0.03, 0.05])
    assert benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg([]) == []


def test_corrections_equal_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(24)
    for size in (1, 2, 7, 11, 24, 24):
        p = (rng.random(size) ** 3).tolist()
        assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist(), rel=1e-12)
        assert benjamini_hochberg(p) == pytest.approx(
            multipletests(p, method="fdr_bh")[1].tolist(), rel=1e-12
        )
        assert adjust(p, "holm") == holm(p)
        assert adjust(p, "bh") == benjamini_hochberg(p)
        assert adjust(p, "none") == p
    with pytest.raises(ValueError, match="unknown correction"):
        adjust([0.1], "bonferroni")  # type: ignore[arg-type]
