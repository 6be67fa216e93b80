"""compare: stored per-query values, any number of systems, one baseline."""

from __future__ import annotations

import pytest

from pipelines.compare import compare
from pipelines.errors import InputError
from pipelines.evaluate import evaluate
from pipelines.steps import delete_run
from store import results, runs
from store.db import Store
from store.records import Run
from tests.pipelines.evaluation_data import XQG, C, Notes, search_run


def _evaluate_runs(store: Store) -> list[str]:
    return [run.name for run in runs.list_runs(store, "evaluate")]


def test_compare_reads_stored_values_without_evaluating_again(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, _ = evaluated
    stored = evaluate(store, ["base", "xqg"], measures=["MRR@10", "Recall@2"], kt=[2000])
    before = _evaluate_runs(store)
    report = compare(store, ["base", "xqg"])
    assert _evaluate_runs(store) == before
    # Every measure both runs have, R@kt first; the same numbers as evaluate gave.
    assert report.measures == ["R@2kt", "MRR@10", "Recall@2"]
    assert report.metrics == stored.metrics
    assert report.tests == stored.tests


def test_compare_evaluates_what_is_missing_first(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, _ = evaluated
    evaluate(store, ["base"], measures=["MRR@10"], kt=[])
    notes = Notes()
    report = compare(store, ["base", "xqg"], measures=["MRR@10", "R@2kt"], progress=notes)
    assert notes.lines == [
        "base has no stored R@2kt; evaluating it first",
        "xqg has no stored MRR@10, R@2kt; evaluating it first",
    ]
    assert len(_evaluate_runs(store)) == 3
    assert report.metrics["xqg"]["ru"]["MRR@10"] == pytest.approx(2.5 / 3)
    assert report.metrics["base"]["ar"]["R@2kt"] == pytest.approx(1.0)
    # Nothing is missing any more: a second compare evaluates nothing.
    compare(store, ["base", "xqg"], measures=["MRR@10", "R@2kt"])
    assert len(_evaluate_runs(store)) == 3


def test_baseline_option_moves_or_adds_the_baseline(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, collection_id = evaluated
    search_run(
        store, "other", dict(XQG) | {("ar", C): ["w0", "w1", "sb1"]}, collection_id, tied=False
    )
    evaluate(store, ["base", "xqg", "other"], measures=["MRR@10"], kt=[])
    report = compare(store, ["base", "xqg", "other"], baseline="xqg")
    assert report.runs == ["xqg", "base", "other"]
    assert report.baseline == "xqg"
    ar = report.comparison("other", "MRR@10", "ar")
    # Against xqg, "other" only lost (ar, C): 1 -> 1/3.
    assert ar is not None and (ar.wins, ar.ties, ar.losses) == (0, 3, 1)
    assert ar.delta == pytest.approx(-(2 / 3) / 4)
    added = compare(store, ["xqg", "other"], baseline="base")
    assert added.runs == ["base", "xqg", "other"]
    assert {t.run for t in added.tests} == {"xqg", "other"}


def test_compare_refuses_bad_input_and_writes_nothing(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, _ = evaluated
    with pytest.raises(InputError, match="at least one other"):
        compare(store, ["base"])
    with pytest.raises(InputError, match="twice"):
        compare(store, ["base", "xqg", "base"])
    with pytest.raises(InputError, match="unknown measure"):
        compare(store, ["base", "xqg"], measures=["MAP@10"])
    with pytest.raises(InputError, match="unknown correction"):
        compare(store, ["base", "xqg"], correction="sidak")  # type: ignore[arg-type]
    assert _evaluate_runs(store) == []


def test_deleting_a_later_evaluation_keeps_what_an_earlier_one_stored(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    # A value belongs to the evaluate run that first stored it; a later run that computes
    # the same value again does not take it over, so deleting the later run keeps it.
    store, searched, _ = evaluated
    first = evaluate(store, ["base", "xqg"], measures=["MRR@10"], kt=[], name="first")
    evaluate(store, ["xqg"], measures=["MRR@10", "Recall@2"], kt=[], name="later")
    delete_run(store, runs.get_run(store, "later").id)
    assert results.stored_measures(store, searched["xqg"].id) == {"MRR@10"}
    assert compare(store, ["base", "xqg"]).metrics == first.metrics
