"""The alpha sweep on the demo database: cached vectors, the same queries at every point."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.evaluate import build_report
from pipelines.sweep import SweepReport, sweep
from store import open_store, runs
from store.db import Store

pytestmark = pytest.mark.slow

VECTOR_SETS = "SELECT kind, count(*) FROM vector_sets GROUP BY kind ORDER BY kind"


def _vector_sets(store: Store) -> dict[str, int]:
    return {kind: n for kind, n in store.execute(VECTOR_SETS)}


def test_sweep_points_reuse_vectors_and_match_the_demo_runs(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        before = _vector_sets(store)

        def run_sweep() -> SweepReport:
            return sweep(
                store,
                "demo-baseline",
                "demo-heldout",
                alphas=[0, 0.01, 0.02],
                depth=50,
                measures=["MRR@10"],
                kt=[2000],
                prefix="t-sweep",
            )

        result = run_sweep()
        after = _vector_sets(store)
        demo = build_report(
            store,
            [
                runs.get_run(store, "demo-search-baseline"),
                runs.get_run(store, "demo-search-xqg-sum"),
            ],
            ["R@2kt", "MRR@10"],
        )
        baseline_search = runs.get_run(store, "t-sweep-baseline")
        finished = [(r.id, r.ended_at) for r in runs.list_runs(store)]
        again = run_sweep()
        rerun = [(r.id, r.ended_at) for r in runs.list_runs(store)]
    assert [(p.aggregation, p.alpha, p.index, p.search) for p in result.points] == [
        ("sum", 0.0, "demo-baseline", "t-sweep-baseline"),
        ("sum", 0.01, "t-sweep-sum-a0.01", "t-sweep-search-sum-a0.01"),
        ("sum", 0.02, "t-sweep-sum-a0.02", "t-sweep-search-sum-a0.02"),
    ]
    # 40 passages x 2 languages x 1 stand-in each.
    assert [(p.generations_used, p.per_passage) for p in result.points] == [
        (0, 0.0),
        (80, 2.0),
        (80, 2.0),
    ]
    # No encoding: only the two fused passage sets are new.
    assert after == before | {"passages": before["passages"] + 2}
    # The baseline excludes the held-out questions, so every point answers the same ones.
    assert baseline_search.params["held_out_by"] == ["demo-heldout"]
    assert result.report.warnings == []
    assert len(set(map(str, result.report.queries.values()))) == 1
    # alpha 0.01 with the sum is the demo's xQG index: the same numbers.
    assert result.report.metrics["t-sweep-search-sum-a0.01"] == demo.metrics["demo-search-xqg-sum"]
    assert result.report.metrics["t-sweep-baseline"] == demo.metrics["demo-search-baseline"]
    assert (
        result.value(result.points[0], "MRR@10", "de")
        == demo.metrics["demo-search-baseline"]["de"]["MRR@10"]
    )
    assert result.comparison(result.points[0], "MRR@10", "de") is None
    assert result.comparison(result.points[2], "MRR@10", "de") is not None
    # The family: 2 points x 3 languages.
    assert result.report.correction_text.endswith("(2 x 3 tests per measure)")
    # A second sweep reuses every finished step.
    assert rerun[: len(finished)] == finished
    assert again.report.metrics == result.report.metrics
    document = result.to_json()
    assert [p["alpha"] for p in document["points"]] == [0.0, 0.01, 0.02]
    assert document["report"]["runs"] == [
        "t-sweep-baseline",
        "t-sweep-search-sum-a0.01",
        "t-sweep-search-sum-a0.02",
    ]


def test_more_queries_per_language_than_the_run_has_is_said(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        result = sweep(
            store,
            "demo-baseline",
            "demo-heldout",
            alphas=[0.01],
            aggregations=["mean"],
            per_language=[1, 2],
            depth=50,
            measures=["MRR@10"],
            kt=[],
            prefix="t-sweep-n",
        )
    assert [(p.per_language, p.generations_used) for p in result.points] == [(1, 80), (2, 80)]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("--per-lang 2 folds in no more generated queries")
    # The same stand-ins fused the same way: the same vectors, the same numbers.
    assert (
        result.report.metrics["t-sweep-n-search-mean-a0.01-n2"]
        == result.report.metrics["t-sweep-n-search-mean-a0.01-n1"]
    )


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"alphas": [0]}, "every alpha is 0"),
        ({"alphas": [0.01, 1.5]}, "between 0 and 1"),
        ({"alphas": [0.01, 0.01]}, "listed twice"),
        ({"alphas": [0.01], "aggregations": ["max"]}, "unknown aggregation 'max'"),
        ({"alphas": [0.01], "per_language": [0]}, "at least 1"),
        ({"alphas": []}, "at least one alpha"),
    ],
)
def test_bad_grids_are_refused_before_any_step(
    demo_db: Path, grid: dict[str, list[object]], message: str
) -> None:
    with open_store(demo_db) as store:
        before = len(runs.list_runs(store))
        with pytest.raises(InputError, match=message):
            sweep(store, "demo-baseline", "demo-heldout", prefix="t-bad", **grid)  # type: ignore[arg-type]
        assert len(runs.list_runs(store)) == before
