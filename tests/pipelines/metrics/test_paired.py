"""One cell's statistics, and the correction over languages and systems, by hand."""

from __future__ import annotations

import pytest
from scipy import stats

from pipelines.metrics.paired import Comparison, compare_scores, correct, family_text

BASE = [0.0, 0.25, 0.5, 0.25, 1.0]
SYSTEM = [0.1, 0.45, 0.8, 0.85, 1.0]  # d = 0.1, 0.2, 0.3, 0.6, 0


def test_one_cell_has_every_statistic() -> None:
    cell = compare_scores("xqg", "MRR@10", "fi", BASE, SYSTEM, test="wilcoxon")
    assert (cell.run, cell.measure, cell.language, cell.n) == ("xqg", "MRR@10", "fi", 5)
    assert cell.baseline == pytest.approx(0.4)
    assert cell.system == pytest.approx(0.64)
    assert cell.delta == pytest.approx(0.24)
    assert (cell.wins, cell.ties, cell.losses) == (4, 1, 0)
    assert cell.p_t == pytest.approx(stats.ttest_rel(SYSTEM, BASE).pvalue, rel=1e-12)
    # Wilcoxon drops the tie: four positive differences, exact p = 2 / 2^4.
    assert cell.p_wilcoxon == pytest.approx(2 / 16)
    # Randomisation: the zero cannot flip; of 16 flips of the other four, 2 are as extreme.
    assert cell.p_permutation == pytest.approx(2 / 16)
    assert cell.test == "wilcoxon"
    assert cell.p_value == cell.p_wilcoxon
    assert cell.ci_low is not None and cell.ci_high is not None
    assert 0.0 <= cell.ci_low < cell.delta < cell.ci_high <= 0.6
    d = [0.1, 0.2, 0.3, 0.6, 0.0]
    mean = sum(d) / 5
    sd = (sum((x - mean) ** 2 for x in d) / 4) ** 0.5
    assert cell.effect_size == pytest.approx(mean / sd, rel=1e-12)
    # Nothing is corrected yet.
    assert (cell.p_adjusted, cell.p_holm, cell.significant) == (None, None, False)


def _cell(run: str, language: str, p: float, measure: str = "MRR@10") -> Comparison:
    return Comparison(run, measure, language, 10, 0.5, 0.6, 0.1, p, None, False)


def test_the_family_is_every_language_of_every_system_and_pooled_cells_apart() -> None:
    cells = [
        _cell("a", "fi", 0.01),
        _cell("a", "ja", 0.04),
        _cell("b", "fi", 0.03),
        _cell("b", "ja", 0.005),
        _cell("a", "all", 0.02),
        _cell("b", "all", 0.03),
        _cell("a", "fi", 0.001, measure="R@2kt"),
    ]
    correct(cells, "holm", 0.05)
    # Holm over the four language cells of MRR@10 (hand-computed in test_significance).
    assert [c.p_adjusted for c in cells[:4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [c.significant for c in cells[:4]] == [True, False, False, True]
    assert [c.p_holm for c in cells[:4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # The pooled cells: Holm over the two systems (0.02 x 2, then max(0.04, 0.03)).
    assert [c.p_adjusted for c in cells[4:6]] == pytest.approx([0.04, 0.04])
    assert [c.p_holm for c in cells[4:6]] == [None, None]
    assert all(c.significant for c in cells[4:6])
    # Another measure is another family: alone, it keeps its p.
    assert cells[6].p_adjusted == pytest.approx(0.001)
    correct(cells, "bh", 0.05)
    assert [c.p_adjusted for c in cells[:4]] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert all(c.significant for c in cells[:4])
    assert all(c.correction == "bh" for c in cells)
    assert [c.p_holm for c in cells[:4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    correct(cells, "none", 0.02)
    assert [c.p_adjusted for c in cells[:4]] == [0.01, 0.04, 0.03, 0.005]
    assert [c.significant for c in cells[:4]] == [True, False, False, True]


def test_family_text() -> None:
    assert family_text("holm", 1, 7) == "Holm across languages"
    assert family_text("bh", 3, 11) == (
        "Benjamini-Hochberg across languages and systems (3 x 11 tests per measure)"
    )
    assert family_text("none", 2, 7) == "no correction for multiple tests"
