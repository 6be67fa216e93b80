"""BEIR reader and ingest, on BEIR folders built from real XQuAD text.

The folder: the five English paragraphs of the Super_Bowl_50 article as corpus.jsonl; for
each paragraph its first question in German (``lang`` at the top level), in Arabic
(``metadata.lang``) and its second question in Chinese (no language: --query-language);
qrels/dev.tsv judges the questions of paragraphs 0-1, qrels/test.tsv those of 2-4; the
English answers in answers.jsonl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pipelines.ingest import read_beir
from tests.pipelines.ingest.datafiles import (
    Cli,
    ExpectBadInput,
    Sql,
    assert_reingest_adds_nothing,
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

    assert_reingest_adds_nothing(cli, args, db_path, counts)


def test_answers_file_is_optional(tmp_path: Path, beir: Beir, cli: Cli, db_path: Path) -> None:
    folder = beir.write(tmp_path / "beir", answers=False)

    code, _, err = cli("ingest", "beir", folder, "--query-language", "zh", "--db", db_path)

    assert (code, err) == (0, "")
    assert table_counts(db_path)["answers"] == 0
    assert table_counts(db_path)["qrels"] == 15


# --- bad input through the CLI ---------------------------------------------------------------


def _edit_qrel(split: str, row: int, old: str, new: str) -> Callable[[Beir], None]:
    def edit(beir: Beir) -> None:
        beir.qrels[split][row] = beir.qrels[split][row].replace(old, new, 1)

    return edit


def _repeat_qrel(into: str, old: str, new: str) -> Callable[[Beir], None]:
    """The second qrel of dev.tsv, its score changed, appended to ``into``."""

    def repeat(beir: Beir) -> None:
        beir.qrels[into].append(beir.qrels["dev"][1].replace(old, new))

    return repeat


class Broken(NamedTuple):
    """A BEIR folder broken in one place, and the error that names the place."""

    breaks: Callable[[Beir], None]
    file: str  # below the folder
    message: str  # after the file name
    options: tuple[str, ...] = ("--query-language", "zh")


UNKNOWN_LANGUAGE = "; expected an ISO 639-1 code such as ar, bn, de, en, fi, ja, ko, ru, te, zh"
UNIQUE = "; ids must be unique"
BROKEN = {
    "query without language and no default": Broken(
        lambda beir: None,
        "queries.jsonl",
        ":3: query has no 'lang' (top level or in 'metadata'); add it or pass --query-language",
        options=(),
    ),
    "missing corpus text": Broken(
        lambda beir: beir.corpus[1].pop("text"),
        "corpus.jsonl",
        ":2: missing field 'text' (expected a string)",
    ),
    "missing query id": Broken(
        lambda beir: beir.queries[4].pop("_id"),
        "queries.jsonl",
        ":5: missing field '_id' (expected a string)",
    ),
    "unknown language in file": Broken(
        lambda beir: beir.queries[7]["metadata"].update(lang="Arabic"),
        "queries.jsonl",
        f":8: unknown language 'Arabic'{UNKNOWN_LANGUAGE}",
    ),
    "unknown query language option": Broken(
        lambda beir: None,
        "queries.jsonl",
        f":3: unknown language 'xx'{UNKNOWN_LANGUAGE}",
        options=("--query-language", "xx"),
    ),
    "duplicate passage id with different text": Broken(
        lambda beir: beir.corpus[3].update(_id="Super_Bowl_50#0"),
        "corpus.jsonl",
        ":4: passage id 'Super_Bowl_50#0' appears again with different content "
        f"(first at line 1){UNIQUE}",
    ),
    "duplicate query id with different text": Broken(
        lambda beir: beir.queries.append({**beir.queries[0], "text": "Wie viele Punkte?"}),
        "queries.jsonl",
        f":16: query id '{KNOWN_QID}-de' appears again with different content "
        f"(first at line 1){UNIQUE}",
    ),
    "qrels naming an unknown passage": Broken(
        _edit_qrel("test", 2, "Super_Bowl_50#2", "Super_Bowl_50#9"),
        "qrels/test.tsv",
        ":4: passage 'Super_Bowl_50#9' is not in corpus.jsonl",
    ),
    "non-integer score": Broken(
        _edit_qrel("dev", 1, "\t1\n", "\t1.0\n"),
        "qrels/dev.tsv",
        ":3: score '1.0' is not an integer",
    ),
    "same pair with another score in the same qrels file": Broken(
        _repeat_qrel("dev", "\t1\n", "\t2\n"),
        "qrels/dev.tsv",
        f":8: qrel id '{KNOWN_QID}-ar\\tSuper_Bowl_50#0' appears again with different content "
        f"(first at line 3){UNIQUE}",
    ),
    "same pair with another score in another qrels file": Broken(
        _repeat_qrel("test", "\t1\n", "\t2\n"),
        "qrels/test.tsv",
        f":11: query '{KNOWN_QID}-ar' and passage 'Super_Bowl_50#0' are judged 1 in dev.tsv "
        "but 2 here; a pair needs one score",
    ),
    "trec-style qrels row": Broken(
        _edit_qrel("dev", 0, "\t", "\tQ0\t"),
        "qrels/dev.tsv",
        ":2: expected 3 tab-separated columns (query-id, corpus-id, score), found 4",
    ),
    "no qrels files": Broken(
        lambda beir: beir.qrels.clear(),
        "qrels",
        ": no qrels/*.tsv files; expected e.g. qrels/test.tsv",
    ),
    "answers for an unknown query": Broken(
        lambda beir: beir.answers[5].update(_id="no-such-query"),
        "answers.jsonl",
        ":6: query 'no-such-query' is not in queries.jsonl",
    ),
}


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
def test_broken_folder(
    tmp_path: Path, beir: Beir, broken: Broken, expect_bad_input: ExpectBadInput
) -> None:
    broken.breaks(beir)
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder), *broken.options],
        f"{folder / broken.file}{broken.message}",
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


def test_not_a_folder(tmp_path: Path, beir: Beir, expect_bad_input: ExpectBadInput) -> None:
    folder = beir.write(tmp_path / "beir")

    expect_bad_input(
        ["ingest", "beir", str(folder / "corpus.jsonl")],
        f"{folder / 'corpus.jsonl'}: not a folder; expected corpus.jsonl, queries.jsonl and qrels/",
    )
