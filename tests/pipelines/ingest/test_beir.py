"""BEIR reader and ingest, on BEIR folders built from real XQuAD text.

The folder: the five English paragraphs of the Super_Bowl_50 article as corpus.jsonl; for
each paragraph its first question in German (``lang`` at the top level), in Arabic
(``metadata.lang``) and its second question in Chinese (no language: --query-language);
qrels/dev.tsv judges the questions of paragraphs 0-1, qrels/test.tsv those of 2-4; the
English answers in answers.jsonl.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import read_beir
from tests.pipelines.ingest.datafiles import (
    Cli,
    ExpectBadInput,
    Sql,
    last_run,
    table_counts,
    write_jsonl,
    xquad_paragraphs,
)

HEADER = "query-id\tcorpus-id\tscore\n"
KNOWN_QID = "56beb4343aeaaa14008c925b"


class Beir:
    """The records of a BEIR folder, before they are written (tests break them first)."""

    def __init__(self, shared_data: Path) -> None:
        en, de, ar, zh = (xquad_paragraphs(shared_data, lang) for lang in ("en", "de", "ar", "zh"))
        self.corpus: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.qrels: dict[str, list[str]] = {"dev": [], "test": []}
        for p, paragraph in enumerate(en):
            docid = f"Super_Bowl_50#{p}"
            self.corpus.append(
                {"_id": docid, "title": "Super Bowl 50", "text": paragraph["context"]}
            )
            first, second = paragraph["qas"][0]["id"], paragraph["qas"][1]["id"]
            asked = [
                {"_id": f"{first}-de", "text": de[p]["qas"][0]["question"], "lang": "de"},
                {
                    "_id": f"{first}-ar",
                    "text": ar[p]["qas"][0]["question"],
                    "metadata": {"lang": "ar", "source": "xquad"},
                },
                {"_id": f"{second}-zh", "text": zh[p]["qas"][1]["question"]},
            ]
            split = "dev" if p < 2 else "test"
            for query in asked:
                self.queries.append(query)
                self.qrels[split].append(f"{query['_id']}\t{docid}\t1\n")
                qa = paragraph["qas"][0 if query["_id"].startswith(first) else 1]
                self.answers.append({"_id": query["_id"], "answers": [qa["answers"][0]["text"]]})

    def write(self, folder: Path, *, answers: bool = True) -> Path:
        write_jsonl(folder / "corpus.jsonl", self.corpus)
        write_jsonl(folder / "queries.jsonl", self.queries)
        (folder / "qrels").mkdir()
        for split, lines in self.qrels.items():
            (folder / "qrels" / f"{split}.tsv").write_text(
                HEADER + "".join(lines), encoding="utf-8"
            )
        if answers:
            write_jsonl(folder / "answers.jsonl", self.answers)
        return folder


@pytest.fixture
def beir(shared_data: Path) -> Beir:
    return Beir(shared_data)


def test_reads_languages_splits_qrels_and_answers(tmp_path: Path, beir: Beir) -> None:
    folder = beir.write(tmp_path / "beir")

    dataset = read_beir(folder, default_language="zh")

    assert dataset.source == "beir"
    assert dataset.files == [
        str(folder / "corpus.jsonl"),
        str(folder / "qrels" / "dev.tsv"),
        str(folder / "qrels" / "test.tsv"),
        str(folder / "queries.jsonl"),
        str(folder / "answers.jsonl"),
    ]
    assert dataset.counts() == {"passages": 5, "queries": 15, "qrels": 15, "answers": 15}
    assert dataset.passages[0].docid == "Super_Bowl_50#0"
    assert dataset.passages[0].title == "Super Bowl 50"
    assert dataset.passages[0].text.startswith("The Panthers defense gave up just 308 points")
    queries = {q.qid: q for q in dataset.queries}
    assert Counter(q.language for q in dataset.queries) == {"de": 5, "ar": 5, "zh": 5}
    assert queries[f"{KNOWN_QID}-de"].language == "de"  # top-level lang
    assert queries[f"{KNOWN_QID}-ar"].language == "ar"  # metadata.lang
    assert queries["56beb4343aeaaa14008c925c-zh"].language == "zh"  # the default
    assert (
        queries[f"{KNOWN_QID}-de"].text == "Wie viele Punkte gab die Verteidigung der Panthers ab?"
    )
    # The split is the name of the qrels file that judges the query.
    assert Counter(q.split for q in dataset.queries) == {"dev": 6, "test": 9}
    assert queries[f"{KNOWN_QID}-de"].split == "dev"
    assert queries["56beca913aeaaa14008c946d-ar"].split == "test"
    assert {(r.qid, r.docid, r.relevance) for r in dataset.qrels if KNOWN_QID in r.qid} == {
        (f"{KNOWN_QID}-de", "Super_Bowl_50#0", 1),
        (f"{KNOWN_QID}-ar", "Super_Bowl_50#0", 1),
    }
    answers = {a.qid: a.answers for a in dataset.answers}
    assert answers[f"{KNOWN_QID}-ar"] == ("308",)
    assert answers["56beb86b3aeaaa14008c92be-zh"] == ("John Elway",)


def test_query_language_option_does_not_override_a_given_lang(tmp_path: Path, beir: Beir) -> None:
    folder = beir.write(tmp_path / "beir")

    dataset = read_beir(folder, default_language="ja")

    assert Counter(q.language for q in dataset.queries) == {"de": 5, "ar": 5, "ja": 5}


def test_a_query_no_qrels_file_judges_is_in_the_test_split(tmp_path: Path, beir: Beir) -> None:
    beir.queries.append({"_id": "unjudged", "text": "Wer gewann den Super Bowl 50?", "lang": "de"})
    folder = beir.write(tmp_path / "beir")

    dataset = read_beir(folder, default_language="zh")

    assert [q.split for q in dataset.queries if q.qid == "unjudged"] == ["test"]


def test_a_pair_judged_alike_in_two_qrels_files_is_one_qrel(tmp_path: Path, beir: Beir) -> None:
    beir.qrels["test"].append(beir.qrels["dev"][0])  # the known German question, score 1
    folder = beir.write(tmp_path / "beir")

    dataset = read_beir(folder, default_language="zh")

    assert [(r.docid, r.relevance) for r in dataset.qrels if r.qid == f"{KNOWN_QID}-de"] == [
        ("Super_Bowl_50#0", 1)
    ]
    assert [q.split for q in dataset.queries if q.qid == f"{KNOWN_QID}-de"] == ["dev"]
    assert dataset.counts()["qrels"] == 15


def test_cli_ingest_with_query_language_and_reingest_adds_nothing(
    tmp_path: Path, beir: Beir, cli: Cli, db_path: Path, sql: Sql
) -> None:
    folder = beir.write(tmp_path / "beir")
    args = ("ingest", "beir", folder, "--query-language", "zh", "--db", db_path)

    code, out, err = cli(*args)

    assert (code, err) == (0, "")
    assert "added 5 passages, 15 queries, 15 qrels, 15 answers to collection" in out
    assert sql("SELECT name, source FROM collections") == [("beir", "beir")]
    counts = table_counts(db_path)
    assert counts == {"collections": 1, "passages": 5, "queries": 15, "qrels": 15, "answers": 15}
    assert sql("SELECT language, split, count(*) FROM queries GROUP BY 1, 2 ORDER BY 1, 2") == [
        ("ar", "dev", 2),
        ("ar", "test", 3),
        ("de", "dev", 2),
        ("de", "test", 3),
        ("zh", "dev", 2),
        ("zh", "test", 3),
    ]
    assert sql(
        "SELECT q.qid, p.docid, r.relevance, a.text FROM queries q "
        "JOIN qrels r ON r.query_id = q.id JOIN passages p ON p.id = r.passage_id "
        "JOIN answers a ON a.query_id = q.id WHERE q.qid LIKE '56beb86b3aeaaa14008c92b%' "
        "ORDER BY q.qid"
    ) == [
        ("56beb86b3aeaaa14008c92bd-ar", "Super_Bowl_50#2", 1, "39"),
        ("56beb86b3aeaaa14008c92bd-de", "Super_Bowl_50#2", 1, "39"),
        ("56beb86b3aeaaa14008c92be-zh", "Super_Bowl_50#2", 1, "John Elway"),
    ]
    assert last_run(db_path)["summary"]["added"] == {
        "passages": 5,
        "queries": 15,
        "qrels": 15,
        "answers": 15,
    }

    code, _, err = cli(*args)

    assert (code, err) == (0, "")
    assert last_run(db_path)["summary"]["added"] == {
        "passages": 0,
        "queries": 0,
        "qrels": 0,
        "answers": 0,
    }
    assert table_counts(db_path) == counts


def test_answers_file_is_optional(tmp_path: Path, beir: Beir, cli: Cli, db_path: Path) -> None:
    folder = beir.write(tmp_path / "beir", answers=False)

    code, _, err = cli("ingest", "beir", folder, "--query-language", "zh", "--db", db_path)

    assert (code, err) == (0, "")
    assert table_counts(db_path)["answers"] == 0
    assert table_counts(db_path)["qrels"] == 15


# --- bad input through the CLI ---------------------------------------------------------------


def test_query_without_language_and_no_default(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder)],
        f"{folder / 'queries.jsonl'}:3: query has no 'lang' (top level or in 'metadata'); "
        "add it or pass --query-language",
    )


def test_missing_corpus_text(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    del beir.corpus[1]["text"]
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'corpus.jsonl'}:2: missing field 'text' (expected a string)",
    )


def test_missing_query_id(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    del beir.queries[4]["_id"]
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'queries.jsonl'}:5: missing field '_id' (expected a string)",
    )


def test_malformed_json_line(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    folder = beir.write(tmp_path / "beir")
    path = folder / "queries.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = lines[6].replace('"lang": "de"', "'lang': 'de'")  # Python, not JSON
    path.write_text("".join(lines), encoding="utf-8")
    column = lines[6].index("'lang'") + 1

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{path}:7: malformed JSON (Expecting property name enclosed in double quotes at "
        f"column {column}); expected one JSON object per line",
    )


def test_unknown_language_in_file(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.queries[7]["metadata"]["lang"] = "Arabic"
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'queries.jsonl'}:8: unknown language 'Arabic'; expected an ISO 639-1 code "
        "such as ar, bn, de, en, fi, ja, ko, ru, te, zh",
    )


def test_unknown_query_language_option(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "xx"],
        f"{folder / 'queries.jsonl'}:3: unknown language 'xx'; expected an ISO 639-1 code "
        "such as ar, bn, de, en, fi, ja, ko, ru, te, zh",
    )


def test_duplicate_passage_id_with_different_text(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.corpus[3]["_id"] = "Super_Bowl_50#0"
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'corpus.jsonl'}:4: passage id 'Super_Bowl_50#0' appears again with "
        "different content (first at line 1); ids must be unique",
    )


def test_duplicate_query_id_with_different_text(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.queries.append({**beir.queries[0], "text": "Wie viele Punkte?"})
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'queries.jsonl'}:16: query id '{KNOWN_QID}-de' appears again with "
        "different content (first at line 1); ids must be unique",
    )


@pytest.mark.parametrize("name", ["corpus.jsonl", "queries.jsonl"])
def test_empty_file(
    tmp_path: Path, beir: Beir, name: str, expect_bad_input: ExpectBadInput
) -> None:
    folder = beir.write(tmp_path / "beir")
    (folder / name).write_text("", encoding="utf-8")
    # An empty corpus stops before the qrels are read; an empty queries file after.

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / name}: file is empty; expected one JSON object per line",
    )


@pytest.mark.parametrize("content", ["", "query-id\tcorpus-id\tscore\n"], ids=["0 bytes", "header"])
def test_empty_qrels_file(
    tmp_path: Path, beir: Beir, content: str, expect_bad_input: ExpectBadInput
) -> None:
    folder = beir.write(tmp_path / "beir")
    (folder / "qrels" / "test.tsv").write_text(content, encoding="utf-8")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'test.tsv'}: file is empty; "
        "expected query-id<TAB>corpus-id<TAB>score rows",
    )


def test_qrels_naming_an_unknown_passage(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.qrels["test"][2] = beir.qrels["test"][2].replace("Super_Bowl_50#2", "Super_Bowl_50#9")
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'test.tsv'}:4: passage 'Super_Bowl_50#9' is not in corpus.jsonl",
    )


def test_non_integer_score(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    beir.qrels["dev"][1] = beir.qrels["dev"][1].replace("\t1\n", "\t1.0\n")
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'dev.tsv'}:3: score '1.0' is not an integer",
    )


def test_same_pair_with_another_score_in_the_same_qrels_file(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.qrels["dev"].append(beir.qrels["dev"][1].replace("\t1\n", "\t2\n"))
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'dev.tsv'}:8: qrel id '{KNOWN_QID}-ar\\tSuper_Bowl_50#0' "
        "appears again with different content (first at line 3); ids must be unique",
    )


def test_same_pair_with_another_score_in_another_qrels_file(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.qrels["test"].append(beir.qrels["dev"][1].replace("\t1\n", "\t2\n"))
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'test.tsv'}:11: query '{KNOWN_QID}-ar' and passage "
        "'Super_Bowl_50#0' are judged 1 in dev.tsv but 2 here; a pair needs one score",
    )


def test_trec_style_qrels_row(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    beir.qrels["dev"][0] = beir.qrels["dev"][0].replace("\t", "\tQ0\t", 1)
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels' / 'dev.tsv'}:2: expected 3 tab-separated columns "
        "(query-id, corpus-id, score), found 4",
    )


def test_qrels_judging_a_query_that_queries_lacks(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.qrels["test"].append("no-such-query\tSuper_Bowl_50#4\t1\n")
    folder = beir.write(tmp_path / "beir")
    path = folder / "qrels" / "test.tsv"
    line = path.read_text("utf-8").splitlines().index("no-such-query\tSuper_Bowl_50#4\t1") + 1

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{path}:{line}: judges query 'no-such-query', which queries.jsonl lacks",
    )


def test_no_qrels_files(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    beir.qrels = {}
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'qrels'}: no qrels/*.tsv files; expected e.g. qrels/test.tsv",
    )


def test_answers_for_an_unknown_query(
    tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput
) -> None:
    beir.answers[5]["_id"] = "no-such-query"
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), "--query-language", "zh"],
        f"{folder / 'answers.jsonl'}:6: query 'no-such-query' is not in queries.jsonl",
    )


def test_not_a_folder(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder / "corpus.jsonl")],
        f"{folder / 'corpus.jsonl'}: not a folder; expected corpus.jsonl, queries.jsonl and qrels/",
    )
