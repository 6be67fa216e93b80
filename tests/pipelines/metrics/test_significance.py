"""The paired t-test and Holm's correction, against scipy and against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pipelines.metrics.significance import holm, paired_t_test


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
