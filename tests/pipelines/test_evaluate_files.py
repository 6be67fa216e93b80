"""xqg evaluate --qrels: run files scored directly against real MIRACL qrels, per language, with
the numbers pytrec_eval gives the same files; bad lines named by file and line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import pytrec_eval

from pipelines.errors import InputError
from pipelines.evaluate_files import evaluate_run_files
from pipelines.ingest.trec_files import language_of_file, read_qrels, read_topics
from xqg_tui.cli import main

QRELS = "miracl/qrels.miracl-v1.0-te-dev.tsv"
TOPICS = "miracl/topics.miracl-v1.0-te-dev.tsv"


def _run_file(path: Path, qrels: dict[str, dict[str, int]], seed: int) -> dict:
    """A tie-heavy run: judged and unknown docids at three scores; the last 5 judged
    queries have no results."""
    rng = random.Random(seed)
    docs = sorted({d for judged in qrels.values() for d in judged})
    run: dict[str, dict[str, float]] = {}
    with path.open("w", encoding="utf-8") as out:
        for qid in list(qrels)[:-5]:
            ranked = rng.sample(docs, 12) + list(qrels[qid])[:2] + [f"x{i}" for i in range(3)]
            run[qid] = {d: float(rng.choice([1, 2, 3])) for d in dict.fromkeys(ranked)}
            for rank, (docid, score) in enumerate(run[qid].items(), 1):
                out.write(f"{qid} Q0 {docid} {rank} {score} tied\n")
    return run


def test_run_files_score_as_pytrec_eval_per_language(shared_data: Path, tmp_path: Path) -> None:
    qrels: dict[str, dict[str, int]] = {}
    for record in read_qrels(shared_data / QRELS):
        qrels.setdefault(record.qid, {})[record.docid] = record.relevance
    runs = [
        _run_file(tmp_path / f"{name}.trec", qrels, seed) for name, seed in [("a", 1), ("b", 2)]
    ]
    report = evaluate_run_files(
        [tmp_path / "a.trec", tmp_path / "b.trec"],
        shared_data / QRELS,
        topics=[shared_data / TOPICS],
        measures=["nDCG@10", "MRR@1000"],
    )
    assert report.runs == ["a.trec", "b.trec"] and report.languages == ["te"]
    for name, run in zip(report.runs, runs, strict=True):
        expected = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recip_rank"}).evaluate(
            run
        )
        assert len(expected) == len(qrels) - 5
        for ours, theirs in [("nDCG@10", "ndcg_cut_10"), ("MRR@1000", "recip_rank")]:
            mean = sum(v[theirs] for v in expected.values()) / len(expected)
            assert report.metrics[name]["te"][ours] == pytest.approx(mean)
    # The same paired statistics as stored runs: one comparison per measure and cell.
    assert {(t.measure, t.language) for t in report.tests} == {
        ("nDCG@10", "te"),
        ("nDCG@10", "all"),
        ("MRR@1000", "te"),
        ("MRR@1000", "all"),
    }
    complete = evaluate_run_files(
        [tmp_path / "a.trec"], shared_data / QRELS, measures=["nDCG@10"], complete=True
    )
    assert complete.counts["a.trec"]["nDCG@10"] == {"te": len(qrels)}


def test_languages_come_from_qid_suffixes_and_reports_are_written(tmp_path: Path) -> None:
    (tmp_path / "qrels.txt").write_text("7-ar 0 d1 1\n8-ru 0 d2 1\nplain 0 d2 1\n")
    (tmp_path / "run.tsv").write_text("7-ar\td9\t2\n7-ar\td1\t1\n8-ru\td2\t1\nplain\td9\t1\n")
    out = tmp_path / "report.json"
    argv = ["evaluate", "--qrels", str(tmp_path / "qrels.txt"), str(tmp_path / "run.tsv")]
    assert main([*argv, "--measures", "MRR@10", "--json", str(out)]) == 0
    metrics = json.loads(out.read_text())["metrics"]["run.tsv"]
    assert metrics["ar"]["MRR@10"] == 0.5 and metrics["ru"]["MRR@10"] == 1.0
    assert metrics["und"]["MRR@10"] == 0.0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("qrels.txt", "q1 0 d1 1\nq1 0 d2\n", "qrels.txt:2: found 3 fields; expected 4"),
        ("qrels.txt", "q1 0 d1 yes\n", "qrels.txt:1: relevance 'yes' is not an integer"),
        ("qrels.txt", "q1 0 d1 1\nq1 0 d1 2\n", "qrels.txt:2: docid 'd1' is judged 1"),
        ("run.trec", "q1 Q0 d1 1 0.5 t\nq1 Q0 d2 2\n", "run.trec:2: found 4 fields; expected 6"),
        ("topics.tsv", "q1 no tab\n", "topics.tsv:1: expected qid<TAB>query text"),
    ],
)
def test_bad_lines_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    files = {"qrels.txt": "q1 0 d1 1\n", "run.trec": "q1 Q0 d1 1 0.5 t\n", "topics.tsv": "q1\tx\n"}
    files[name] = text
    for file, content in files.items():
        (tmp_path / file).write_text(content)
    argv = ["evaluate", "--qrels", str(tmp_path / "qrels.txt"), str(tmp_path / "run.trec")]
    assert main([*argv, "--topics", str(tmp_path / "topics.tsv"), "--measures", "MRR@10"]) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_r_at_kt_of_run_files_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "q.txt").write_text("q1 0 d1 1\n")
    (tmp_path / "r.trec").write_text("q1 Q0 d1 1 0.5 t\n")
    with pytest.raises(InputError, match=r"R@2kt needs answer strings \(--answers\)"):
        evaluate_run_files([tmp_path / "r.trec"], tmp_path / "q.txt", measures=["R@2kt"])


def test_miracl_topics_and_their_language(shared_data: Path) -> None:
    topics = read_topics(shared_data / TOPICS)
    assert len(topics) == 828 and topics["2"].startswith("ఆ")
    assert language_of_file(shared_data / TOPICS) == "te"
    assert language_of_file("topics.tsv") is None


def test_r_at_kt_of_run_files_from_answers_and_the_passage_tsv(
    shared_data: Path, tmp_path: Path
) -> None:
    articles = json.loads((shared_data / "xquad/xquad.en.json").read_text("utf-8"))["data"]
    paragraphs = articles[0]["paragraphs"][:2]
    with (tmp_path / "psgs.tsv").open("w", encoding="utf-8") as out:
        out.write("id\ttext\ttitle\n")
        for n, paragraph in enumerate(paragraphs, 1):
            out.write(f"{n}\t{paragraph['context']}\tSuper Bowl 50\n")
    # Two real questions of paragraph 1, as XOR-TyDi lines: the run ranks paragraph 1 for the
    # first (its answer is there) and paragraph 2 alone for the second (its answer is not).
    questions = paragraphs[0]["qas"][:2]
    answers = [question["answers"][0]["text"] for question in questions]
    assert answers[1] not in paragraphs[1]["context"]
    (tmp_path / "dev.jsonl").write_text(
        "".join(
            json.dumps({"id": q["id"], "question": q["question"], "answers": [a], "lang": "en"})
            + "\n"
            for q, a in zip(questions, answers, strict=True)
        ),
        encoding="utf-8",
    )
    (tmp_path / "run.tsv").write_text(f"{questions[0]['id']}\t1\t9\n{questions[1]['id']}\t2\t9\n")
    report = evaluate_run_files(
        [tmp_path / "run.tsv"],
        None,
        answers=tmp_path / "dev.jsonl",
        passages=tmp_path / "psgs.tsv",
        kt=[2000],
    )
    assert report.measures == ["R@2kt"]
    assert report.metrics["run.tsv"]["en"]["R@2kt"] == 0.5
    with pytest.raises(InputError, match=r"R@2kt needs answer strings .* and the passage texts"):
        evaluate_run_files([tmp_path / "run.tsv"], None, answers=tmp_path / "dev.jsonl", kt=[2000])
