"""The evaluate step on a small real store: per-query values, per-language tables, tests.

Passages: five real XQuAD English paragraphs (three of Super Bowl 50, two of Warsaw).
Queries: real XQuAD questions in Arabic and Russian with their English answers and own
paragraph as the relevant passage, one of them stored without answers, and one real
XOR-TyDi Russian question whose only answer is "yes". Two search runs rank them by hand;
every expected value below is worked out by hand from those rankings.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import ir_measures
import pytest
from scipy import stats

from pipelines.errors import InputError
from pipelines.evaluate import build_report, evaluate, kt_measure, kt_tokens, per_query_values
from pipelines.ingest import ingest, read_jsonl
from pipelines.metrics.r_at_kt import english_word_tokenize
from pipelines.metrics.significance import holm
from store import NotFoundError, collections, results, runs
from store.db import Store
from store.records import Run, SearchHit

# XQuAD ids: A "points surrendered" (308, token 7 of sb0), B "Kuechly's tackles" (118,
# token 153 of sb0), C "lost to the Broncos" (Pittsburgh Steelers, tokens 5-6 of sb1),
# D "oldest quarterback record" (John Elway, tokens 41-42 of sb2), E "won Super Bowl XLIX"
# (stored without answers: R@kt skips it, MRR does not).
A, B, C, D, E = (
    "56beb4343aeaaa14008c925b",
    "56beb4343aeaaa14008c925d",
    "56beb7953aeaaa14008c92ab",
    "56beb86b3aeaaa14008c92be",
    "56beb7953aeaaa14008c92ad",
)
RELEVANT = {A: "sb0", B: "sb0", C: "sb1", D: "sb2", E: "sb1"}
YES_ONLY = "3675712146701410949"  # XOR-TyDi ru dev: answers ["yes"]
QUERIES = {"ar": [A, B, C, E], "ru": [B, C, D, YES_ONLY]}
TOKENS = {"sb0": 222, "sb1": 90, "sb2": 71, "w0": 104, "w1": 108}  # word_tokenize counts

# Rankings (docids, best first) of the two search runs, by (language, question).
BASE = {
    ("ar", A): ["sb0", "sb1", "sb2"],
    ("ar", B): ["sb1", "sb0", "w0"],
    ("ar", C): ["w0", "w1", "sb1"],
    ("ar", E): ["sb2", "w0"],
    ("ru", B): ["w0", "w1", "sb0"],
    ("ru", C): ["sb2", "w0", "w1"],
    ("ru", D): ["w1", "sb1", "sb2"],
    ("ru", YES_ONLY): ["w0", "sb0"],
}
XQG = {
    ("ar", A): ["sb0"],
    ("ar", B): ["sb0", "sb1"],
    ("ar", C): ["sb1", "w0"],
    ("ar", E): ["sb1", "sb2"],
    ("ru", B): ["sb2", "sb0"],
    ("ru", C): ["sb1"],
    ("ru", D): ["sb2"],
    ("ru", YES_ONLY): ["sb0"],
}
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


def _xquad(shared_data: Path, language: str) -> dict[str, Any]:
    with (shared_data / "xquad" / f"xquad.{language}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _write_collection(shared_data: Path, path: Path) -> None:
    english = _xquad(shared_data, "en")["data"]
    paragraphs = {
        "sb0": (english[0], 0),
        "sb1": (english[0], 1),
        "sb2": (english[0], 2),
        "w0": (english[1], 0),
        "w1": (english[1], 1),
    }
    lines: list[dict[str, Any]] = [
        {
            "type": "passage",
            "docid": docid,
            "title": article["title"].replace("_", " "),
            "text": article["paragraphs"][index]["context"],
        }
        for docid, (article, index) in paragraphs.items()
    ]
    answers = {
        qa["id"]: [a["text"] for a in qa["answers"]]
        for article in english
        for p in article["paragraphs"]
        for qa in p["qas"]
    }
    xor = shared_data / "xor-tydi" / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    with xor.open(encoding="utf-8") as handle:
        yes_only = next(r for line in handle if (r := json.loads(line))["id"] == YES_ONLY)
    assert yes_only["answers"] == ["yes"]
    for language, ids in QUERIES.items():
        texts = {
            qa["id"]: qa["question"]
            for article in _xquad(shared_data, language)["data"]
            for p in article["paragraphs"]
            for qa in p["qas"]
        }
        for qid in ids:
            if qid == YES_ONLY:
                record = {"text": yes_only["question"], "answers": yes_only["answers"]}
            else:
                record = {"text": texts[qid], "relevant": {RELEVANT[qid]: 1}}
                if qid != E:
                    record["answers"] = answers[qid]
            lines.append(
                {"type": "query", "qid": f"{qid}-{language}", "lang": language, "parallel_id": qid}
                | record
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def _search_run(
    store: Store,
    name: str,
    rankings: dict[tuple[str, str], list[str]],
    collection_id: int,
    *,
    tied: bool,
) -> Run:
    """A search run through the real run lifecycle, with hand-chosen rankings."""
    passage = collections.passage_ids_by_docid(store, collection_id)
    query = {q.qid: q.id for q in collections.get_queries(store, collection_id)}
    run = runs.start_run(store, "search", name, {}, collection_id=collection_id)
    results.add_results(
        store,
        run.id,
        [
            SearchHit(query[f"{qid}-{lang}"], rank, passage[docid], 0.5 if tied else 1 / rank)
            for (lang, qid), docids in rankings.items()
            for rank, docid in enumerate(docids, start=1)
        ],
    )
    return runs.finish_run(store, run.id, {"queries": len(rankings)})


@pytest.fixture
def evaluated(store: Store, shared_data: Path, tmp_path: Path) -> tuple[Store, dict[str, Run], int]:
    path = tmp_path / "collection.jsonl"
    _write_collection(shared_data, path)
    collection_id = ingest(store, read_jsonl(path)).collection_id
    assert collection_id is not None
    searched = {
        "base": _search_run(store, "base", BASE, collection_id, tied=True),
        "xqg": _search_run(store, "xqg", XQG, collection_id, tied=False),
    }
    return store, searched, collection_id


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
    assert report.metrics["base"]["avg"]["MRR@10"] == pytest.approx((11 / 24 + 2 / 9) / 2)
    assert report.metrics["base"]["avg"]["MRR@10"] != pytest.approx((11 / 6 + 2 / 3) / 7)


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
    assert set(row) == {"n", "baseline", "system", "delta", "p_value", "p_holm", "significant"}
    assert row["n"] == 3
    assert row["baseline"] == pytest.approx(2 / 9)
    assert row["system"] == pytest.approx(5 / 6)
    assert row["delta"] == pytest.approx(11 / 18)
    assert row["p_value"] == pytest.approx(stats.ttest_rel([0.5, 1, 1], [1 / 3, 0, 1 / 3]).pvalue)
    certain = comparisons["xqg"]["ru"]["Recall@2"]
    assert (certain["p_value"], certain["p_holm"], certain["significant"]) == (0.0, 0.0, True)
    assert comparisons["xqg"]["all"]["MRR@10"]["p_holm"] is None


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
    _write_collection(shared_data, path)
    other = ingest(store, read_jsonl(path), "other").collection_id
    assert other is not None
    _search_run(store, "elsewhere", XQG, other, tied=False)
    with pytest.raises(InputError, match="collection"):
        evaluate(store, ["base", "elsewhere"], measures=["MRR@10"], kt=[2000])
    assert _evaluate_runs(store) == []
