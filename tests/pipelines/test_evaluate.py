"""The evaluate step on a small real store: per-query values, per-language tables, tests.

Passages: five real XQuAD English paragraphs (three of Super Bowl 50, two of Warsaw).
Queries: real XQuAD questions in Arabic and Russian with their English answers and own
paragraph as the relevant passage, one of them stored without answers, and one real
XOR-TyDi Russian question whose only answer is "yes". Two search runs rank them by hand;
every expected value below is worked out by hand from those rankings
(tests/pipelines/evaluation_data.py builds that store).
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import ir_measures
import pytest
from scipy import stats

from pipelines.errors import InputError
from pipelines.evaluate import (
    Comparison,
    EvaluationReport,
    build_report,
    evaluate,
    kt_measure,
    kt_tokens,
    per_query_values,
)
from pipelines.ingest import ingest, read_jsonl
from pipelines.metrics.r_at_kt import english_word_tokenize
from pipelines.metrics.significance import holm
from store import NotFoundError, collections, results, runs
from store.db import Store
from store.records import Run
from tests.pipelines.evaluation_data import (
    BASE,
    XQG,
    A,
    B,
    C,
    D,
    E,
    search_run,
    write_collection,
)

TOKENS = {"sb0": 222, "sb1": 90, "sb2": 71, "w0": 104, "w1": 108}  # word_tokenize counts

# Per-query values by hand. MRR@10: 1/rank of the relevant paragraph. Recall@2: is it in
# the top 2. R@0.1kt: is the answer in the first 100 tokens, e.g. base (ar, B) reads
# sb1 (90 tokens) and 10 tokens of sb0, where 118 is token 152: a miss. R@2kt: anywhere.
MEASURES = ["R@0.1kt", "R@2kt", "MRR@10", "Recall@2"]
EXPECTED = {
    "base": {
        ("ar", A): (1, 1, 1, 1),
        ("ar", B): (0, 1, 1 / 2, 1),
        ("ar", C): (0, 1, 1 / 3, 0),
        ("ar", E): (None, None, 0, 0),
        ("ru", B): (0, 1, 1 / 3, 0),
        ("ru", C): (0, 0, 0, 0),
        ("ru", D): (0, 1, 1 / 3, 0),
    },
    "xqg": {
        ("ar", A): (1, 1, 1, 1),
        ("ar", B): (0, 1, 1, 1),
        ("ar", C): (1, 1, 1, 1),
        ("ar", E): (None, None, 1, 1),
        ("ru", B): (0, 1, 1 / 2, 1),
        ("ru", C): (1, 1, 1, 1),
        ("ru", D): (1, 1, 1, 1),
    },
}
MEANS = {
    "base": {
        "ar": {"R@0.1kt": 1 / 3, "R@2kt": 1.0, "MRR@10": (1 + 1 / 2 + 1 / 3) / 4, "Recall@2": 0.5},
        "ru": {"R@0.1kt": 0.0, "R@2kt": 2 / 3, "MRR@10": 2 / 9, "Recall@2": 0.0},
    },
    "xqg": {
        "ar": {"R@0.1kt": 2 / 3, "R@2kt": 1.0, "MRR@10": 1.0, "Recall@2": 1.0},
        "ru": {"R@0.1kt": 2 / 3, "R@2kt": 1.0, "MRR@10": 2.5 / 3, "Recall@2": 1.0},
    },
}


def test_token_counts_behind_the_hand_computed_values(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, collection_id = evaluated
    tokenize = english_word_tokenize()
    texts = {
        docid: collections.passage_texts(store, [pid])[pid]
        for docid, pid in collections.passage_ids_by_docid(store, collection_id).items()
    }
    assert {docid: len(tokenize(text)) for docid, text in texts.items()} == TOKENS
    sb0 = tokenize(texts["sb0"])
    assert sb0.index("308") == 6 and sb0.index("118") == 152  # 0-based
    assert tokenize(texts["sb1"]).index("Pittsburgh") == 4
    assert tokenize(texts["sb2"]).index("John") == 40
    for answer, holder in (("308", "sb0"), ("118", "sb0"), ("Pittsburgh Steelers", "sb1")):
        assert [d for d, t in texts.items() if answer in " ".join(tokenize(t))] == [holder]
    assert [d for d, t in texts.items() if "John Elway" in t] == ["sb2"]


def test_evaluate_per_language_means_and_macro_average(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, _ = evaluated
    report = evaluate(store, ["base", "xqg"], measures=["MRR@10", "Recall@2"], kt=[100, 2000])
    assert report.runs == ["base", "xqg"]
    assert report.baseline == "base"
    assert report.measures == MEASURES
    assert report.languages == ["ar", "ru"]
    for run in ("base", "xqg"):
        table = report.metrics[run]
        assert set(table) == {"ar", "ru", "avg"}
        for language in ("ar", "ru"):
            assert table[language] == pytest.approx(MEANS[run][language], rel=1e-12)
        # The headline is the macro average over languages, not the mean over queries.
        assert table["avg"] == pytest.approx(
            {m: (MEANS[run]["ar"][m] + MEANS[run]["ru"][m]) / 2 for m in MEASURES}, rel=1e-12
        )
        # The yes-only question has results but no judgements and no span answer.
        assert report.queries[run] == {"ar": 4, "ru": 3}
        # Each measure counts its own queries: the Arabic question E has no answers, so the
        # R@kt means (and their n in every table) are over 3 Arabic questions, not 4.
        for measure in MEASURES:
            arabic = 3 if measure.endswith("kt") else 4
            assert report.count(run, measure, "ar") == arabic
            assert report.count(run, measure, "ru") == 3
            assert report.count(run, measure, "avg") == arabic + 3
    assert report.metrics["base"]["avg"]["MRR@10"] == pytest.approx((11 / 24 + 2 / 9) / 2)
    assert report.metrics["base"]["avg"]["MRR@10"] != pytest.approx((11 / 6 + 2 / 3) / 7)


def test_a_failed_evaluation_stores_no_value(
    evaluated: tuple[Store, dict[str, Run], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values of the first run are computed when the second fails: none is stored."""
    import pipelines.evaluate as step

    store, _, _ = evaluated
    real, computed = step.per_query_values, []

    def failing_on_the_second(*args: object, **kwargs: object) -> object:
        computed.append(args[1])
        if len(computed) == 2:
            raise OSError("No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(step, "per_query_values", failing_on_the_second)
    with pytest.raises(OSError):
        evaluate(store, ["base", "xqg"], measures=["MRR@10"], kt=[], name="broken")
    assert len(computed) == 2
    assert runs.find_run(store, "broken") is None  # a full disk keeps nothing half-written
    assert store.scalar("SELECT count(*) FROM query_metrics") == 0


def test_evaluate_stores_every_per_query_value(
    evaluated: tuple[Store, dict[str, Run], int], db_path: Path
) -> None:
    store, searched, collection_id = evaluated
    evaluate(store, ["base", "xqg"], measures=["MRR@10", "Recall@2"], kt=[100, 2000])
    query_key = {
        q.id: (q.language, q.parallel_id) for q in collections.get_queries(store, collection_id)
    }
    run_name = {run.id: name for name, run in searched.items()}
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT run_id, query_id, measure, value, eval_run_id FROM query_metrics"
        ).fetchall()
        (eval_run,) = conn.execute(
            "SELECT id, kind, status FROM runs WHERE kind = 'evaluate'"
        ).fetchall()
        parents = conn.execute(
            "SELECT role, parent_id FROM run_parents WHERE run_id = ? ORDER BY rowid",
            (eval_run[0],),
        ).fetchall()
    finally:
        conn.close()
    assert eval_run[1:] == ("evaluate", "done")
    assert parents == [("baseline", searched["base"].id), ("system", searched["xqg"].id)]
    assert {row[4] for row in rows} == {eval_run[0]}
    stored = {(run_name[r], *query_key[q], m): v for r, q, m, v, _ in rows}
    expected = {
        (run, language, qid, measure): value
        for run, by_query in EXPECTED.items()
        for (language, qid), values in by_query.items()
        for measure, value in zip(MEASURES, values, strict=True)
        if value is not None
    }
    assert len(rows) == 2 * (7 * 2 + 6 * 2)
    assert stored == pytest.approx(expected, rel=1e-12)
    # per_query_values computes the same without the store's round trip.
    base = per_query_values(store, searched["base"], MEASURES)
    assert {m: len(v) for m, v in base.items()} == {
        "R@0.1kt": 6,
        "R@2kt": 6,
        "MRR@10": 7,
        "Recall@2": 7,
    }


def test_tied_scores_are_evaluated_in_stored_rank_order(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    # Every base hit has score 0.5; by docid, trec_eval would put sb0 first for (ar, B).
    store, searched, collection_id = evaluated
    passage = collections.passage_ids_by_docid(store, collection_id)
    naive = list(
        ir_measures.iter_calc(
            [ir_measures.RR @ 10],
            [ir_measures.Qrel("q", str(passage["sb0"]), 1)],
            [ir_measures.ScoredDoc("q", str(passage[d]), 0.5) for d in BASE[("ar", B)]],
        )
    )
    assert naive[0].value == 1.0
    values = per_query_values(store, searched["base"], ["MRR@10"])["MRR@10"]
    (query_id,) = [
        q.id for q in collections.get_queries(store, collection_id) if q.qid == f"{B}-ar"
    ]
    assert values[query_id] == 0.5


def test_evaluate_deltas_t_tests_and_holm(evaluated: tuple[Store, dict[str, Run], int]) -> None:
    store, _, _ = evaluated
    report = evaluate(store, ["base", "xqg"], measures=["MRR@10", "Recall@2"], kt=[100, 2000])
    assert {(t.run, t.measure) for t in report.tests} == {("xqg", m) for m in MEASURES}
    for measure_index, measure in enumerate(MEASURES):
        p_values = {}
        for language in ("ar", "ru", "all"):
            keys = [
                key
                for key in EXPECTED["base"]
                if language in ("all", key[0]) and EXPECTED["base"][key][measure_index] is not None
            ]
            a = [float(EXPECTED["base"][k][measure_index]) for k in keys]  # type: ignore[arg-type]
            b = [float(EXPECTED["xqg"][k][measure_index]) for k in keys]  # type: ignore[arg-type]
            test = report.comparison("xqg", measure, language)
            assert test is not None
            assert test.n == len(keys)
            assert test.baseline == pytest.approx(sum(a) / len(a), rel=1e-12)
            assert test.system == pytest.approx(sum(b) / len(b), rel=1e-12)
            assert test.delta == pytest.approx((sum(b) - sum(a)) / len(a), rel=1e-12)
            differences = {y - x for x, y in zip(a, b, strict=True)}
            if len(differences) == 1:  # no variance: p is 1 without a difference, else 0
                assert test.p_value == (1.0 if differences == {0.0} else 0.0)
            else:
                assert test.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue, rel=1e-12)
            p_values[language] = test.p_value
        # Holm across the two languages: the smaller p doubled, the larger at least that.
        p_ar, p_ru = p_values["ar"], p_values["ru"]
        first = min(1.0, 2 * min(p_ar, p_ru))
        second = max(first, max(p_ar, p_ru))
        by_hand = {"ar": first if p_ar <= p_ru else second, "ru": second if p_ar <= p_ru else first}
        for language in ("ar", "ru"):
            test = report.comparison("xqg", measure, language)
            assert test is not None and test.p_holm is not None
            assert test.p_holm == pytest.approx(by_hand[language], rel=1e-12)
            assert test.p_holm == pytest.approx(
                holm([p_values["ar"], p_values["ru"]])[("ar", "ru").index(language)]
            )
            assert test.significant == (test.p_holm < 0.05)
        pooled = report.comparison("xqg", measure, "all")
        assert pooled is not None
        assert pooled.p_holm is None
        assert pooled.significant == (pooled.p_value < 0.05)
    # Recall@2 in Russian: every query gains 1, a certain (and significant) difference.
    gain = report.comparison("xqg", "Recall@2", "ru")
    assert gain is not None
    assert (gain.delta, gain.p_value, gain.p_holm, gain.significant) == (1.0, 0.0, 0.0, True)
    # R@2kt in Arabic: the same hits in both runs, so no evidence of a difference.
    same = report.comparison("xqg", "R@2kt", "ar")
    assert same is not None
    assert (same.delta, same.p_value, same.p_holm) == (0.0, 1.0, 1.0)
    # MRR@10 in Arabic, by hand: d = 0, 1/2, 2/3, 1.
    mrr = report.comparison("xqg", "MRR@10", "ar")
    assert mrr is not None
    d = [0, 1 / 2, 2 / 3, 1]
    mean_d = sum(d) / 4
    sd = math.sqrt(sum((x - mean_d) ** 2 for x in d) / 3)
    t = mean_d / (sd / 2)
    assert mrr.delta == pytest.approx(13 / 24)
    assert mrr.p_value == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-12)


def test_to_json_has_the_documented_shape(evaluated: tuple[Store, dict[str, Run], int]) -> None:
    store, _, _ = evaluated
    report = evaluate(store, ["base", "xqg"], measures=["MRR@10", "Recall@2"], kt=[100, 2000])
    document = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert document["runs"] == ["base", "xqg"]
    assert document["measures"] == MEASURES
    assert document["languages"] == ["ar", "ru"]
    assert document["queries"] == {"base": {"ar": 4, "ru": 3}, "xqg": {"ar": 4, "ru": 3}}
    metrics = document["metrics"]
    assert set(metrics) == {"base", "xqg"}
    for run in ("base", "xqg"):
        assert set(metrics[run]) == {"ar", "ru", "avg"}
        for language in ("ar", "ru"):
            assert metrics[run][language] == pytest.approx(MEANS[run][language], rel=1e-12)
        assert set(metrics[run]["avg"]) == set(MEASURES)
    tests = document["tests"]
    assert {k: tests[k] for k in ("test", "correction", "alpha", "baseline")} == {
        "test": "paired t-test (two-sided)",
        "correction": "Holm across languages",
        "alpha": 0.05,
        "baseline": "base",
    }
    comparisons = tests["comparisons"]
    assert set(comparisons) == {"xqg"}
    assert set(comparisons["xqg"]) == {"ar", "ru", "all"}
    row = comparisons["xqg"]["ru"]["MRR@10"]
    # The first report's keys stay; the later statistics extend them.
    assert set(row) == {
        *("n", "baseline", "system", "delta", "p_value", "p_holm", "significant"),
        *("p_adjusted", "test", "correction", "p_t", "p_wilcoxon", "p_permutation"),
        *("ci_low", "ci_high", "effect_size", "wins", "ties", "losses"),
    }
    assert (row["test"], row["correction"]) == ("t", "holm")
    assert row["p_adjusted"] == row["p_holm"]
    # Russian MRR@10: base 1/3, 0, 1/3 against xqg 1/2, 1, 1: three wins.
    assert (row["wins"], row["ties"], row["losses"]) == (3, 0, 0)
    assert row["p_wilcoxon"] == pytest.approx(0.25)  # exact: 2 of the 2^3 sign patterns
    assert row["p_permutation"] == pytest.approx(0.25)  # the same two flips are as extreme
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    assert tests["bootstrap"] == {
        "confidence": 0.95,
        "resamples": 10_000,
        "method": "percentile",
        "seed": 2023,
    }
    assert row["n"] == 3
    assert row["baseline"] == pytest.approx(2 / 9)
    assert row["system"] == pytest.approx(5 / 6)
    assert row["delta"] == pytest.approx(11 / 18)
    assert row["p_value"] == pytest.approx(stats.ttest_rel([0.5, 1, 1], [1 / 3, 0, 1 / 3]).pvalue)
    certain = comparisons["xqg"]["ru"]["Recall@2"]
    assert (certain["p_value"], certain["p_holm"], certain["significant"]) == (0.0, 0.0, True)
    assert comparisons["xqg"]["all"]["MRR@10"]["p_holm"] is None


def test_the_chosen_test_and_correction_decide_the_marks(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, _ = evaluated
    report = evaluate(
        store,
        ["base", "xqg"],
        measures=["MRR@10"],
        kt=[],
        test="wilcoxon",
        correction="bh",
        alpha=0.3,
    )
    ar = report.comparison("xqg", "MRR@10", "ar")
    ru = report.comparison("xqg", "MRR@10", "ru")
    assert ar is not None and ru is not None
    # Arabic MRR@10: d = 0, 1/2, 2/3, 1; the tie is dropped, three positive differences
    # give the exact two-sided p = 2/8. Russian (d = 1/6, 1, 2/3): also 2/8.
    assert (ar.wins, ar.ties, ar.losses) == (3, 1, 0)
    assert ar.p_value == ar.p_wilcoxon == pytest.approx(0.25)
    assert ru.p_value == pytest.approx(0.25)
    # Benjamini-Hochberg of 0.25, 0.25: both stay 0.25 (Holm would make them 0.5).
    assert ar.p_adjusted == ru.p_adjusted == pytest.approx(0.25)
    assert ar.p_holm == pytest.approx(0.5)
    assert ar.significant and ru.significant  # below the chosen level 0.3
    document = report.to_json()["tests"]
    assert document["test"] == "Wilcoxon signed-rank test (two-sided)"
    assert document["correction"] == "Benjamini-Hochberg across languages"
    assert document["alpha"] == 0.3
    before = len(_evaluate_runs(store))
    for bad, message in (
        ({"test": "z"}, "unknown test"),
        ({"correction": "bonferroni"}, "unknown correction"),
        ({"alpha": 1.5}, "between 0 and 1"),
    ):
        with pytest.raises(InputError, match=message):
            evaluate(store, ["base", "xqg"], measures=["MRR@10"], kt=[], **bad)
    assert len(_evaluate_runs(store)) == before  # refused before anything was written


def _cells(report: EvaluationReport, systems: list[str], languages: list[str]) -> list[Comparison]:
    found = [report.comparison(run, "MRR@10", lang) for run in systems for lang in languages]
    assert all(cell is not None for cell in found)
    return [cell for cell in found if cell is not None]


def test_several_systems_are_corrected_together(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    from statsmodels.stats.multitest import multipletests

    store, _, collection_id = evaluated
    # A third run: xqg's rankings, but the relevant passage of (ar, C) lost (rank 3).
    other = dict(XQG) | {("ar", C): ["w0", "w1", "sb1"]}
    search_run(store, "other", other, collection_id, tied=False)
    report = evaluate(store, ["base", "xqg", "other"], measures=["MRR@10"], kt=[])
    # One family: 2 systems x 2 languages; the pooled cells: another, of 2.
    for family in (
        _cells(report, ["xqg", "other"], ["ar", "ru"]),
        _cells(report, ["xqg", "other"], ["all"]),
    ):
        expected = multipletests([cell.p_value for cell in family], method="holm")[1]
        assert [cell.p_adjusted for cell in family] == pytest.approx(expected.tolist(), rel=1e-12)
    assert report.correction_text == ("Holm across languages and systems (2 x 2 tests per measure)")
    # The third run scores (ar, C) 1/3 like the baseline: a tie instead of a win.
    (ar,) = _cells(report, ["other"], ["ar"])
    assert (ar.wins, ar.ties, ar.losses) == (2, 2, 0)


def test_significance_is_decided_on_holm_adjusted_p_values(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    # Stored per-query values chosen so that Arabic is below 0.05 before Holm, not after.
    store, searched, collection_id = evaluated
    query = {q.qid: q.id for q in collections.get_queries(store, collection_id)}
    base = {"ar": [0.2, 0.2, 0.2, 0.2], "ru": [0.5, 0.5, 0.5]}
    system = {"ar": [0.4, 0.6, 0.8, 0.4], "ru": [0.6, 0.3, 0.9]}
    ids = {"ar": [A, B, C, E], "ru": [B, C, D]}
    eval_run = runs.start_run(store, "evaluate", "by-hand", {})
    results.put_query_metrics(
        store,
        eval_run.id,
        [
            (searched[run].id, query[f"{qid}-{language}"], "MRR@10", value)
            for run, table in (("base", base), ("xqg", system))
            for language, values in table.items()
            for qid, value in zip(ids[language], values, strict=True)
        ],
    )
    runs.finish_run(store, eval_run.id, {})
    report = build_report(store, [searched["base"], searched["xqg"]], ["MRR@10"])
    ar = report.comparison("xqg", "MRR@10", "ar")
    ru = report.comparison("xqg", "MRR@10", "ru")
    pooled = report.comparison("xqg", "MRR@10", "all")
    assert ar is not None and ru is not None and pooled is not None
    # d = 0.2, 0.4, 0.6, 0.2: mean 0.35, s = sqrt(0.11 / 3), t = 0.35 / (s / 2) = 3.6556.
    t = 0.35 / (math.sqrt(0.11 / 3) / 2)
    assert ar.p_value == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-9)
    assert 0.025 < ar.p_value < 0.05
    assert ru.p_value > 0.5
    assert ar.p_holm == pytest.approx(2 * ar.p_value, rel=1e-12)
    assert ru.p_holm == pytest.approx(ru.p_value, rel=1e-12)
    assert (ar.significant, ru.significant) == (False, False)
    pooled_p = stats.ttest_rel(system["ar"] + system["ru"], base["ar"] + base["ru"]).pvalue
    assert pooled.p_value == pytest.approx(pooled_p, rel=1e-12)
    assert pooled.p_holm is None
    assert pooled.significant == (pooled_p < 0.05)
    assert report.metrics["xqg"]["ar"]["MRR@10"] == pytest.approx(0.55)
    assert report.metrics["xqg"]["avg"]["MRR@10"] == pytest.approx((0.55 + 0.6) / 2)


def test_one_run_alone_has_means_and_no_tests(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, searched, _ = evaluated
    report = evaluate(store, [searched["xqg"].id], measures=["MRR@10"], kt=[2000])
    assert report.measures == ["R@2kt", "MRR@10"]
    assert report.tests == []
    assert report.metrics["xqg"]["ru"] == pytest.approx({"R@2kt": 1.0, "MRR@10": 2.5 / 3})


def test_kt_measure_names() -> None:
    assert [kt_measure(k) for k in (100, 500, 1500, 2000, 5000)] == [
        "R@0.1kt",
        "R@0.5kt",
        "R@1.5kt",
        "R@2kt",
        "R@5kt",
    ]
    assert [kt_tokens(kt_measure(k)) for k in (100, 250, 500, 2000, 5000)] == [
        100,
        250,
        500,
        2000,
        5000,
    ]
    assert kt_tokens("MRR@10") is None
    assert kt_tokens("Recall@100") is None


def _evaluate_runs(store: Store) -> list[Run]:
    return runs.list_runs(store, "evaluate")


def test_evaluating_a_run_that_is_not_a_search_run_is_refused(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    # The project's convention for a run of the wrong kind: the store's NotFoundError,
    # which the command line reports as bad input (exit 2).
    store, _, _ = evaluated
    (ingest_run,) = runs.list_runs(store, "ingest")
    with pytest.raises(NotFoundError, match="is of kind ingest; expected kind search"):
        evaluate(store, ["base", ingest_run.name], measures=["MRR@10"], kt=[2000])
    assert _evaluate_runs(store) == []


def test_naming_a_run_twice_is_input_error(evaluated: tuple[Store, dict[str, Run], int]) -> None:
    store, searched, _ = evaluated
    with pytest.raises(InputError, match="twice"):
        evaluate(store, ["base", "xqg", "base"], measures=["MRR@10"], kt=[2000])
    with pytest.raises(InputError, match="twice"):
        evaluate(store, ["base", searched["base"].id], measures=["MRR@10"], kt=[2000])
    assert _evaluate_runs(store) == []


def test_other_bad_input_is_input_error_and_leaves_no_run(
    evaluated: tuple[Store, dict[str, Run], int],
) -> None:
    store, _, collection_id = evaluated
    with pytest.raises(InputError, match="at least one"):
        evaluate(store, [])
    with pytest.raises(InputError, match="unknown measure"):
        evaluate(store, ["base"], measures=["MAP@10"], kt=[2000])
    running = runs.start_run(store, "search", "unfinished", {}, collection_id=collection_id)
    with pytest.raises(InputError, match="not done"):
        evaluate(store, ["base", running.name], measures=["MRR@10"], kt=[2000])
    assert _evaluate_runs(store) == []


def test_runs_of_different_collections_are_input_error(
    evaluated: tuple[Store, dict[str, Run], int], shared_data: Path, tmp_path: Path
) -> None:
    store, _, _ = evaluated
    path = tmp_path / "again.jsonl"
    write_collection(shared_data, path)
    other = ingest(store, read_jsonl(path), "other").collection_id
    assert other is not None
    search_run(store, "elsewhere", XQG, other, tied=False)
    with pytest.raises(InputError, match="collection"):
        evaluate(store, ["base", "elsewhere"], measures=["MRR@10"], kt=[2000])
    assert _evaluate_runs(store) == []
