"""The measure registry: names, families, parameters, scale and direction."""

from __future__ import annotations

import pytest

from pipelines.errors import InputError
from pipelines.metrics.measures import (
    DEFAULT_KT,
    SHOWN_FIRST,
    Measure,
    check_measures,
    confusion,
    known,
    measure,
    of_family,
    preferred,
    r_at_kt,
    report_order,
    success,
)


def test_report_order_is_budgets_then_qrels_measures_by_kind_and_cutoff() -> None:
    stored = sorted(
        [
            "MRR@10",
            "nDCG@10",
            "Recall@1",
            "Recall@10",
            "Recall@100",
            "R@0.1kt",
            "R@0.5kt",
            "R@2kt",
            "R@5kt",
            "P@5",
            "Confusion@neutral",
            "bpref",
        ]
    )
    assert report_order(stored) == [
        "R@0.1kt",
        "R@0.5kt",
        "R@2kt",
        "R@5kt",
        "MRR@10",
        "nDCG@10",
        "Recall@1",
        "Recall@10",
        "Recall@100",
        "P@5",
        "Confusion@neutral",
        "bpref",
    ]


def test_names_parse_into_families_and_parameters() -> None:
    assert measure("R@2kt") == Measure("R@2kt", "r_at_kt", cutoff=2000)
    assert measure("R@0.1kt") == Measure("R@0.1kt", "r_at_kt", cutoff=100)
    assert measure("nDCG@10") == Measure("nDCG@10", "qrels", cutoff=10)
    assert measure("Confusion@neutral") == Measure(
        "Confusion@neutral", "confusion", label="neutral"
    )
    assert measure("MAP@10") == Measure("MAP@10", "other")
    assert known("MAP@10") is None
    assert known("R@2kt\n") is None
    assert [r_at_kt(k).name for k in DEFAULT_KT] == ["R@0.1kt", "R@0.5kt", "R@2kt", "R@5kt"]
    assert r_at_kt(1500) == measure("R@1.5kt")
    assert confusion("contradiction") == measure("Confusion@contradiction")


def test_success_rates_count_the_defenders_losses() -> None:
    """Success@k: an attack's success rate, lower is better, its loss the rate's rise."""
    assert measure("Success@10") == Measure("Success@10", "attack", cutoff=10) == success(10)
    assert measure("Success@1").lower_is_better and not measure("Recall@1").lower_is_better
    assert measure("Success@1").loss(0.25, 0.75) == 0.5
    assert measure("Success@1").value_text(0.5) == "0.500"


def test_scale_and_text_follow_the_family() -> None:
    assert (measure("R@2kt").scale, measure("R@2kt").unit) == (100.0, "points")
    assert (measure("MRR@10").scale, measure("MRR@10").unit) == (1.0, "")
    assert measure("R@2kt").value_text(0.53125) == "53.12"
    assert measure("MRR@10").value_text(0.53125) == "0.531"
    assert measure("MRR@10").value_text(None) == "-"
    assert measure("R@5kt").delta_text(-0.0123) == "-1.23"
    assert measure("Recall@1").delta_text(-0.0001) == "+0.000"


def test_direction_and_loss() -> None:
    assert not measure("MRR@10").lower_is_better
    assert measure("Confusion@entailment").lower_is_better
    assert measure("MRR@10").loss(0.8, 0.5) == pytest.approx(0.3)
    assert measure("Confusion@entailment").loss(0.1, 0.4) == pytest.approx(0.3)


def test_checks_and_choices() -> None:
    names = ["R@2kt", "MRR@10", "R@2kt", "Confusion@neutral"]
    assert check_measures(names, ["r_at_kt", "qrels", "confusion"]) == names[:2] + names[3:]
    with pytest.raises(InputError, match="unknown measure 'Confusion@neutral'"):
        check_measures(names, ["r_at_kt", "qrels"])
    assert [m.cutoff for m in of_family(names, "r_at_kt")] == [2000, 2000]
    assert preferred(["nDCG@10", "R@2kt", "MRR@10"]) == "MRR@10" == SHOWN_FIRST[0]
    assert preferred(["nDCG@10", "R@2kt"]) == "R@2kt"
    assert preferred(["nDCG@10", "Recall@1"], ("Recall@1",)) == "Recall@1"
    assert preferred(["nDCG@10"]) == "nDCG@10"
