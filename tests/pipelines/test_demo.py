"""The main job end to end on real XQuAD (40 paragraphs; en, de, es) with real e5-small."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.augment import augment
from pipelines.demo import run_demo
from pipelines.evaluate import build_report, evaluate
from pipelines.search import search
from store import open_store
from store.results import get_results
from store.runs import get_run, list_runs
from store.vectors import file_sha256, load_vectors, open_index, run_vector_set, vector_path

pytestmark = pytest.mark.slow

GENERATIONS_PER_LANGUAGE = """
SELECT g.language, count(*) AS generations
FROM generations g JOIN runs r ON r.id = g.run_id
WHERE r.name = ? GROUP BY g.language ORDER BY g.language
"""
MRR_PER_LANGUAGE = """
SELECT r.name AS run, q.language, round(avg(m.value), 4) AS mrr10, count(*) AS queries
FROM query_metrics m JOIN runs r ON r.id = m.run_id JOIN queries q ON q.id = m.query_id
WHERE m.measure = 'MRR@10' GROUP BY r.name, q.language ORDER BY q.language, r.name
"""


def test_baseline_retrieves_far_above_chance(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        rows = store.rows(MRR_PER_LANGUAGE)
    baseline = {r["language"]: r["mrr10"] for r in rows if r["run"] == "demo-search-baseline"}
    # Chance MRR@10 over 40 passages is about 0.07.
    assert baseline["en"] > 0.8
    assert baseline["de"] > 0.6
    assert baseline["es"] > 0.6


def test_stand_ins_cover_every_passage_once_per_language(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        rows = store.rows(GENERATIONS_PER_LANGUAGE, ("demo-heldout",))
        xqg = get_run(store, "demo-xqg-sum")
    assert [(r["language"], r["generations"]) for r in rows] == [("de", 40), ("es", 40)]
    assert xqg.summary["per_passage"]["min"] == xqg.summary["per_passage"]["max"] == 2
    assert xqg.summary["warnings"] == []
    # Later steps rebuild the encoder with the index's runtime settings, not defaults.
    assert xqg.params["runtime"] == {
        "batch_size": 32,
        "device": "auto",
        "engine": "local",
        "trust_remote_code": False,
    }


def test_no_held_out_question_is_ever_evaluated(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        held_out = {
            r["parallel_id"]
            for r in store.rows(
                "SELECT DISTINCT q.parallel_id FROM generations g JOIN queries q "
                "ON q.id = g.source_query_id"
            )
        }
        searched = {
            r["parallel_id"]: r["n"]
            for r in store.rows(
                "SELECT q.parallel_id, count(DISTINCT q.language) AS n FROM results s "
                "JOIN queries q ON q.id = s.query_id GROUP BY q.parallel_id"
            )
        }
        total_ids = store.scalar("SELECT count(DISTINCT parallel_id) FROM queries")
    assert len(held_out) == 40
    assert held_out.isdisjoint(searched)
    assert len(searched) == total_ids - 40
    assert set(searched.values()) == {3}


def test_xqg_changes_passages_but_never_the_baseline(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        base = run_vector_set(store, get_run(store, "demo-baseline").id, "passages")
        xqg = run_vector_set(store, get_run(store, "demo-xqg-sum").id, "passages")
        assert file_sha256(vector_path(store, base)) == base.sha256
        keys = np.asarray(open_index(store, base).keys)
        before = load_vectors(open_index(store, base), keys)
        after = load_vectors(open_index(store, xqg), keys)
    assert before.shape == after.shape == (40, 384)
    assert not np.allclose(before, after)
    # Every passage has 2 unit-norm stand-ins: 0.99 e_p + 0.01 (q1 + q2) stays near e_p.
    assert np.abs(after - before).max() < 0.05


def test_alpha_zero_reproduces_the_baseline_ranking(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        augment(store, "demo-baseline", "demo-heldout", alpha=0.0, name="t-alpha0")
        search(store, "t-alpha0", depth=50, name="t-search-alpha0")
        zero = get_results(store, get_run(store, "t-search-alpha0").id)
        base = get_results(store, get_run(store, "demo-search-baseline").id)
    assert zero == base


def test_the_evaluation_compares_runs_per_language(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        names = ["demo-search-baseline", "demo-search-xqg-sum"]
        report = build_report(store, [get_run(store, n) for n in names], ["MRR@10", "R@2kt"])
    assert report.languages == ["de", "en", "es"]
    assert set(report.queries["demo-search-baseline"].values()) == {
        report.queries["demo-search-baseline"]["en"]
    }
    comparison = report.comparison("demo-search-xqg-sum", "MRR@10", "de")
    assert comparison is not None and 0.0 <= comparison.p_value <= 1.0
    means = report.metrics["demo-search-baseline"]
    assert means["avg"]["MRR@10"] == pytest.approx(
        np.mean([means[lang]["MRR@10"] for lang in ("de", "en", "es")])
    )


def test_a_second_run_reuses_every_finished_step(demo_db: Path, small_xquad: Path) -> None:
    with open_store(demo_db) as store:
        before = [(r.id, r.ended_at) for r in list_runs(store)]
        run_demo(store, small_xquad)
        after = [(r.id, r.ended_at) for r in list_runs(store)]
    assert after == before


def test_runs_over_different_queries_are_compared_on_the_common_ones(demo_db: Path) -> None:
    with open_store(demo_db) as store:
        search(store, "demo-baseline", depth=50, name="t-search-all")  # held-out ids included
        report = evaluate(
            store, ["t-search-all", "demo-search-xqg-sum"], measures=["MRR@10"], kt=[2000]
        )
        fair = build_report(
            store,
            [get_run(store, "demo-search-baseline"), get_run(store, "demo-search-xqg-sum")],
            ["MRR@10", "R@2kt"],
        )
    assert len(report.warnings) == 1
    assert "answered different queries" in report.warnings[0]
    assert report.queries["t-search-all"] == fair.queries["demo-search-baseline"]
    assert report.metrics["t-search-all"]["de"]["MRR@10"] == pytest.approx(
        fair.metrics["demo-search-baseline"]["de"]["MRR@10"]
    )
    assert fair.warnings == []
