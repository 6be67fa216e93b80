"""Robustness end to end on real XNLI with real e5-small: baseline vs xQG under attack."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Store, open_store
from store.collections import get_collection, get_queries, qrels_for
from tests.conftest import XNLI_LANGUAGES as LANGS
from tests.conftest import XNLI_PROMPTS as PROMPTS

pytestmark = pytest.mark.slow


def test_stand_ins_are_the_entailed_hypotheses_only(robustness_db: Path) -> None:
    with open_store(robustness_db) as store:
        rows = store.rows(
            "SELECT q.split, count(*) AS n FROM generations g JOIN queries q "
            "ON q.id = g.source_query_id GROUP BY q.split"
        )
    assert rows == [{"split": "hypothesis-entailment", "n": PROMPTS * len(LANGS)}]


def test_variants_link_to_originals_and_share_their_judgements(robustness_db: Path) -> None:
    with open_store(robustness_db) as store:
        collection = get_collection(store, "xnli")
        queries = get_queries(store, collection.id)
        qrels = qrels_for(store, [q.id for q in queries])
    by_id = {q.id: q for q in queries}
    variants = [q for q in queries if q.original_id is not None]
    assert len(variants) == 3 * PROMPTS * len(LANGS)
    for variant in variants:
        original = by_id[variant.original_id or 0]
        assert variant.qid.startswith(original.qid + "~")
        assert (variant.language, variant.parallel_id) == (original.language, original.parallel_id)
        assert qrels[variant.id] == qrels[original.id]
    swapped = [v for v in variants if "~contradiction@1#1" in v.qid]
    contradictions = {
        (q.language, q.parallel_id): q.text
        for q in queries
        if q.split == "hypothesis-contradiction"
    }
    assert all(
        v.text in {t for (lang, _), t in contradictions.items() if lang == v.language}
        for v in swapped
    )


def _score(store: Store, system: str, attack: str, language: str, measure: str) -> object:
    from pipelines.robustness.evaluate import build_robustness_report
    from store.runs import get_run

    report = build_robustness_report(store, get_run(store, "rob"))
    return report.score(system, attack, language, measure)


def test_strength_zero_attack_drops_nothing(robustness_db: Path) -> None:
    with open_store(robustness_db) as store:
        for system in ("base", "xqg"):
            for language in LANGS:
                cell = _score(store, system, "code-switch", language, "MRR@10")
                assert cell is not None
                assert cell.n == PROMPTS  # type: ignore[attr-defined]
                assert cell.drop == 0.0  # type: ignore[attr-defined]


def test_contradiction_swaps_raise_the_contradiction_confusion(robustness_db: Path) -> None:
    with open_store(robustness_db) as store:
        for language in LANGS:
            cell = _score(store, "base", "contradiction", language, "Confusion@contradiction")
            assert cell is not None
            # A contradicting hypothesis as the query finds its own English translation.
            assert cell.attacked > 0.8 > cell.clean  # type: ignore[attr-defined]


def test_clean_retrieval_is_far_above_chance_and_tests_are_reported(robustness_db: Path) -> None:
    from pipelines.robustness.evaluate import build_robustness_report
    from store.runs import get_run

    with open_store(robustness_db) as store:
        report = build_robustness_report(store, get_run(store, "rob"))
    assert report.systems == ["base", "xqg"]
    assert report.languages == LANGS
    for language in LANGS:
        cell = report.score("base", "char-noise", language, "MRR@10")
        assert cell is not None and cell.clean > 0.5  # 96 passages: chance is about 0.05
    tests = [
        t.comparison
        for t in report.tests
        if t.attack == "char-noise" and t.comparison.measure == "MRR@10"
    ]
    assert [t.language for t in tests] == [*LANGS, "all"]
    for test in tests[:-1]:
        base = report.score("base", "char-noise", test.language, "MRR@10")
        xqg = report.score("xqg", "char-noise", test.language, "MRR@10")
        assert base is not None and xqg is not None
        # The test compares the two systems' drops on the same queries.
        assert test.baseline == pytest.approx(base.drop)
        assert test.system == pytest.approx(xqg.drop)
        assert test.delta == pytest.approx(xqg.drop - base.drop)
        assert 0.0 <= test.p_value <= 1.0 and test.p_adjusted is not None
        assert test.p_adjusted >= test.p_value
    assert set(report.summary("MRR@10")) == {"base", "xqg"}


def test_a_confusion_rate_drops_when_the_attack_raises_it() -> None:
    from pipelines.robustness.evaluate import AttackScore

    score = AttackScore("base", "contradiction", "de", "MRR@10", 24, 0.9, 0.3)
    assert score.drop == pytest.approx(0.6) and score.relative_drop == pytest.approx(0.6 / 0.9)
    confusion = AttackScore("base", "contradiction", "de", "Confusion@contradiction", 24, 0.05, 0.8)
    assert confusion.drop == pytest.approx(0.75)  # worse: positive, like a score's drop
    assert confusion.relative_drop is None  # 1500% of almost nothing says little
