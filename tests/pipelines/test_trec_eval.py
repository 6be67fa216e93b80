"""Imported runs are scored as trec_eval scores the file: ties by docno (descending), unknown
docids retrieved and non-relevant, judged queries without results left out (or 0 with -c).

pytrec_eval (trec_eval's own code) scores the raw file for comparison; small cases are
checked by hand.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import pytrec_eval

from pipelines.evaluate import EvaluationReport, evaluate
from pipelines.trec import import_run
from store import collections, open_store, results
from store.db import Store
from store.records import PassageRecord, QrelRecord, QueryRecord

# A hand-checked run: q1 ranks three passages at one score, q2 ranks an unknown docid first,
# q3 is judged but not in the run.
HAND_RUN = """\
q1 Q0 d1 2 1.0 tied
q1 Q0 d2 1 1.0 tied
q1 Q0 d3 3 1.0 tied
q2 Q0 elsewhere 1 2.0 tied
q2 Q0 d4 2 1.0 tied
"""
HAND_QRELS = {"q1": {"d2": 1}, "q2": {"d4": 1}, "q3": {"d1": 1}}


def _collection(store: Store, docids: list[str], qrels: dict[str, dict[str, int]]) -> None:
    target = collections.ensure_collection(store, "ties", "test")
    collections.add_passages(store, target.id, [PassageRecord(d, "", f"text {d}") for d in docids])
    collections.add_queries(store, target.id, [QueryRecord(q, "en", f"query {q}") for q in qrels])
    collections.add_qrels(
        store,
        target.id,
        [QrelRecord(q, d, rel) for q, docs in qrels.items() for d, rel in docs.items()],
    )


def _evaluate(
    store: Store, runs: list[str], measures: list[str], **options: bool
) -> EvaluationReport:
    return evaluate(store, runs, measures=measures, kt=[], **options)  # type: ignore[arg-type]


def test_hand_checked_ties_unknown_docids_and_missing_queries(store: Store, tmp_path: Path) -> None:
    _collection(store, ["d1", "d2", "d3", "d4"], HAND_QRELS)
    path = tmp_path / "tied.trec"
    path.write_text(HAND_RUN, encoding="utf-8")
    import_run(store, path, name="docno")
    import_run(store, path, name="by-rank", ties="rank")
    report = _evaluate(store, ["docno", "by-rank"], ["MRR@10", "P@1"])
    # trec_eval order: q1 d3, d2, d1 (RR 1/2); q2 elsewhere, d4 (RR 1/2, not 1 as if dropped).
    # q3 has no results: left out of the mean, as trec_eval leaves it out without -c.
    assert report.metrics["docno"]["en"]["MRR@10"] == pytest.approx(0.5)
    assert report.metrics["docno"]["en"]["P@1"] == 0.0
    # The former order by the rank column puts d2 first for q1: (1 + 1/2) / 2.
    assert report.metrics["by-rank"]["en"]["MRR@10"] == pytest.approx(0.75)
    assert report.counts["docno"]["MRR@10"] == {"en": 2}
    # -c: q3 scores 0 and joins the mean, (1/2 + 1/2 + 0) / 3.
    complete = _evaluate(store, ["docno"], ["MRR@10"], complete=True)
    assert complete.metrics["docno"]["en"]["MRR@10"] == pytest.approx(1 / 3)
    assert complete.counts["docno"]["MRR@10"] == {"en": 3}


def _tie_heavy(seed: int) -> tuple[list[str], dict[str, dict[str, int]], str, dict]:
    """A collection, its graded qrels and a run whose scores take four values, a tenth of
    whose docids the collection does not hold; five judged queries have no results and
    two run queries have no qrels."""
    rng = random.Random(seed)
    docids = [f"doc{i:03d}" for i in range(80)]
    qrels = {
        f"q{q}": {d: rng.choice([1, 1, 2, 0]) for d in rng.sample(docids, rng.randint(1, 6))}
        for q in range(40)
    }
    for docs in qrels.values():
        docs[next(iter(docs))] = 1  # at least one relevant passage
    run: dict[str, dict[str, float]] = {}
    lines = []
    for q in [f"q{q}" for q in range(35)] + ["x1", "x2"]:
        ranked = rng.sample(docids + [f"gone{i}" for i in range(10)], 30)
        run[q] = {d: float(rng.choice([0.0, 0.5, 1.0, 1.5])) for d in ranked}
        lines += [f"{q} Q0 {d} {r} {s} tied" for r, (d, s) in enumerate(run[q].items(), 1)]
    return docids, qrels, "\n".join(lines) + "\n", run


@pytest.mark.parametrize("seed", [1, 2])
def test_tie_heavy_runs_score_as_pytrec_eval(store: Store, tmp_path: Path, seed: int) -> None:
    docids, qrels, text, run = _tie_heavy(seed)
    _collection(store, docids, qrels)
    path = tmp_path / "tied.trec"
    path.write_text(text, encoding="utf-8")
    imported = import_run(store, path, name="tied")
    ours = {"MRR@1000": "recip_rank", "nDCG@10": "ndcg_cut_10", "Recall@10": "recall_10"}
    ours["P@5"] = "P_5"
    expected = pytrec_eval.RelevanceEvaluator(qrels, set(ours.values())).evaluate(run)
    report = _evaluate(store, ["tied"], list(ours))
    stored = results.get_query_metrics(store, imported.id)
    qid_of = {q.id: q.qid for q in collections.get_queries(store, imported.collection_id or 0)}
    assert len(expected) == 35  # the run's judged queries
    for name, trec_name in ours.items():
        per_query = {qid_of[q]: value for q, value in stored[name].items()}
        assert per_query == pytest.approx({q: v[trec_name] for q, v in expected.items()})
        mean = sum(v[trec_name] for v in expected.values()) / len(expected)
        assert report.metrics["tied"]["en"][name] == pytest.approx(mean)
    # -c: the 5 judged queries without results join the mean with 0.
    complete = _evaluate(store, ["tied"], list(ours), complete=True)
    for name, trec_name in ours.items():
        total = sum(v[trec_name] for v in expected.values())
        assert complete.metrics["tied"]["en"][name] == pytest.approx(total / 40)


def test_defaults_measure_what_the_collection_holds_and_say_what_it_lacks(
    store: Store, tmp_path: Path
) -> None:
    _collection(store, ["d1", "d2", "d3", "d4"], HAND_QRELS)
    path = tmp_path / "tied.trec"
    path.write_text(HAND_RUN, encoding="utf-8")
    import_run(store, path, name="docno")
    # No answer strings: no R@kt by default, so no Punkt is needed for MRR@10.
    report = evaluate(store, ["docno"], measures=["MRR@10"])
    assert report.measures == ["MRR@10"] and report.warnings == []
    # R@kt asked for: said in words, not a table of dashes.
    asked = evaluate(store, ["docno"], measures=["MRR@10"], kt=[2000])
    assert asked.warnings[0] == (
        "collection 'ties' has no answers (answer strings), so R@2kt has no values; ingest "
        "them or ask for other measures with --measures/--kt"
    )


def test_a_collection_without_qrels_gets_a_sentence_not_a_table(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xqg_tui.cli import main

    with open_store(db_path) as store:
        target = collections.ensure_collection(store, "bare", "test")
        collections.add_passages(store, target.id, [PassageRecord("d1", "", "text")])
        collections.add_queries(store, target.id, [QueryRecord("q1", "en", "query")])
    path = tmp_path / "run.trec"
    path.write_text("q1 Q0 d1 1 1.0 t\n", encoding="utf-8")
    assert main(["import-run", str(path), "--name", "r", "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "r", "--measures", "MRR@10", "--db", str(db_path)]) == 0
    printed = capsys.readouterr()
    said = " ".join((printed.out + printed.err).split())
    assert "collection 'bare' has no qrels (relevance judgements), so MRR@10 has no values" in said
    assert "per language" not in said  # no table of dashes
