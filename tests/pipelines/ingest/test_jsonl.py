"""Generic JSONL reader and ingest, on files built from real XQuAD text.

The file: the five English paragraphs of the Super_Bowl_50 article as passages (lines 1-5),
then for each paragraph its first question in German (``relevant`` as a list of docids) and
in Greek (``lang`` "EL", ``relevant`` as docid -> grade, split ``dev``), both with the English
answers and the question id as ``parallel_id`` (lines 6-15, German first).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import read_jsonl
from tests.pipelines.ingest.datafiles import (
    UNKNOWN_LANGUAGE,
    BreakRows,
    Cli,
    ExpectBadInput,
    Sql,
    assert_reingest_adds_nothing,
    expect_broken_rows,
    last_run,
    table_counts,
    write_jsonl,
    xquad_paragraphs,
)

KNOWN_QID = "56beb4343aeaaa14008c925b"
Dump = Callable[[Path], list[tuple[str, list[tuple[object, ...]]]]]


@pytest.fixture
def records(shared_data: Path) -> list[dict[str, Any]]:
    en, de, el = (xquad_paragraphs(shared_data, lang) for lang in ("en", "de", "el"))
    passages = [
        {
            "type": "passage",
            "docid": f"Super_Bowl_50#{p}",
            "title": "Super Bowl 50",
            "text": x["context"],
        }
        for p, x in enumerate(en)
    ]
    del passages[4]["title"]  # optional
    queries = []
    for p, paragraph in enumerate(en):
        qid = paragraph["qas"][0]["id"]
        answers = [paragraph["qas"][0]["answers"][0]["text"]]
        docid = f"Super_Bowl_50#{p}"
        queries.append(
            {
                "type": "query",
                "qid": f"{qid}-de",
                "lang": "de",
                "text": de[p]["qas"][0]["question"],
                "parallel_id": qid,
                "answers": answers,
                "relevant": [docid],
            }
        )
        queries.append(
            {
                "type": "query",
                "qid": f"{qid}-el",
                "lang": "EL",
                "text": el[p]["qas"][0]["question"],
                "split": "dev",
                "parallel_id": qid,
                "answers": answers,
                "relevant": {docid: 2},
            }
        )
    return passages + queries


def test_reads_passages_queries_qrels_and_answers(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", records)

    dataset = read_jsonl(path)

    assert dataset.source == "jsonl"
    assert dataset.files == [str(path)]
    assert dataset.counts() == {"passages": 5, "queries": 10, "qrels": 10, "answers": 10}
    assert dataset.passages[0].docid == "Super_Bowl_50#0"
    assert dataset.passages[0].title == "Super Bowl 50"
    assert dataset.passages[0].text.startswith("The Panthers defense gave up just 308 points")
    assert dataset.passages[4].title == ""
    queries = {q.qid: q for q in dataset.queries}
    german, greek = queries[f"{KNOWN_QID}-de"], queries[f"{KNOWN_QID}-el"]
    assert german.text == "Wie viele Punkte gab die Verteidigung der Panthers ab?"
    assert (german.language, german.split, german.parallel_id) == ("de", "test", KNOWN_QID)
    assert (greek.language, greek.split, greek.parallel_id) == ("el", "dev", KNOWN_QID)
    qrels = {(r.qid, r.docid, r.relevance) for r in dataset.qrels if KNOWN_QID in r.qid}
    assert qrels == {
        (f"{KNOWN_QID}-de", "Super_Bowl_50#0", 1),  # list of docids: grade 1
        (f"{KNOWN_QID}-el", "Super_Bowl_50#0", 2),  # docid -> grade
    }
    answers = {a.qid: a.answers for a in dataset.answers}
    assert answers[f"{KNOWN_QID}-de"] == answers[f"{KNOWN_QID}-el"] == ("308",)


def test_optional_query_fields(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "data.jsonl",
        [
            {"type": "query", "qid": "q1", "lang": "fi", "text": "Mikä on Norjan pääkaupunki?"},
            {"type": "query", "qid": 2, "lang": "fi", "text": "Missä Oslo on?", "split": " "},
        ],
    )

    dataset = read_jsonl(path)

    assert [tuple(q) for q in dataset.queries] == [
        ("q1", "fi", "Mikä on Norjan pääkaupunki?", "test", None),
        ("2", "fi", "Missä Oslo on?", "test", None),
    ]
    assert dataset.qrels == [] and dataset.answers == []


def test_cli_ingest_and_reingest_adds_nothing(
    tmp_path: Path, records: list[dict[str, Any]], cli: Cli, db_path: Path, sql: Sql
) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", records)

    code, out, err = cli("ingest", "jsonl", path, "--collection", "sb50", "--db", db_path)

    assert (code, err) == (0, "")
    assert "added 5 passages, 10 queries, 10 qrels, 10 answers to collection" in out
    assert sql("SELECT name, source FROM collections") == [("sb50", "jsonl")]
    counts = table_counts(db_path)
    assert counts == {"collections": 1, "passages": 5, "queries": 10, "qrels": 10, "answers": 10}
    assert sql("SELECT docid, title FROM passages ORDER BY id") == [
        ("Super_Bowl_50#0", "Super Bowl 50"),
        ("Super_Bowl_50#1", "Super Bowl 50"),
        ("Super_Bowl_50#2", "Super Bowl 50"),
        ("Super_Bowl_50#3", "Super Bowl 50"),
        ("Super_Bowl_50#4", ""),
    ]
    assert sql(
        "SELECT q.qid, q.language, q.split, q.parallel_id, p.docid, r.relevance, a.text "
        "FROM queries q JOIN qrels r ON r.query_id = q.id JOIN passages p ON p.id = r.passage_id "
        "JOIN answers a ON a.query_id = q.id WHERE q.parallel_id = ? ORDER BY q.qid",
        [KNOWN_QID],
    ) == [
        (f"{KNOWN_QID}-de", "de", "test", KNOWN_QID, "Super_Bowl_50#0", 1, "308"),
        (f"{KNOWN_QID}-el", "el", "dev", KNOWN_QID, "Super_Bowl_50#0", 2, "308"),
    ]
    run = last_run(db_path)
    assert (run["name"], run["status"]) == ("ingest-sb50", "done")
    assert run["params"] == {
        "collection": "sb50",
        "counts": {"answers": 10, "passages": 5, "qrels": 10, "queries": 10},
        "source": "jsonl",
    }
    assert run["summary"]["added"] == {"passages": 5, "queries": 10, "qrels": 10, "answers": 10}
    assert run["summary"]["query_languages"] == {"de": 5, "el": 5}

    args = ("ingest", "jsonl", path, "--collection", "sb50", "--db", db_path)
    assert_reingest_adds_nothing(cli, args, db_path, counts)


def test_queries_may_judge_passages_already_stored(
    tmp_path: Path, records: list[dict[str, Any]], cli: Cli, db_path: Path, sql: Sql
) -> None:
    passages = write_jsonl(tmp_path / "passages.jsonl", records[:5])
    queries = write_jsonl(tmp_path / "queries.jsonl", records[5:])

    assert cli("ingest", "jsonl", passages, "--db", db_path)[0] == 0
    code, _, err = cli("ingest", "jsonl", queries, "--db", db_path)

    assert (code, err) == (0, "")
    assert last_run(db_path)["summary"]["added"] == {
        "passages": 0,
        "queries": 10,
        "qrels": 10,
        "answers": 10,
    }
    assert sql(
        "SELECT p.docid, count(*) FROM qrels r JOIN passages p ON p.id = r.passage_id "
        "GROUP BY p.docid ORDER BY p.docid"
    ) == [(f"Super_Bowl_50#{p}", 2) for p in range(5)]


def test_answers_added_later_to_stored_queries(
    tmp_path: Path, records: list[dict[str, Any]], cli: Cli, db_path: Path
) -> None:
    without = [{k: v for k, v in r.items() if k != "answers"} for r in records]
    assert (
        cli("ingest", "jsonl", write_jsonl(tmp_path / "a.jsonl", without), "--db", db_path)[0] == 0
    )
    assert table_counts(db_path)["answers"] == 0

    code, _, err = cli(
        "ingest", "jsonl", write_jsonl(tmp_path / "b.jsonl", records), "--db", db_path
    )

    assert (code, err) == (0, "")
    assert last_run(db_path)["summary"]["added"]["answers"] == 10
    assert table_counts(db_path)["answers"] == 10


# --- conflicts with data already stored ------------------------------------------------------


def stored_then_changed(
    tmp_path: Path,
    records: list[dict[str, Any]],
    cli: Cli,
    db_path: Path,
    change: Callable[[list[dict[str, Any]]], None],
) -> Path:
    """Ingest the records, then write a changed copy; returns the changed file."""
    assert (
        cli("ingest", "jsonl", write_jsonl(tmp_path / "first.jsonl", records), "--db", db_path)[0]
        == 0
    )
    changed = [dict(r) for r in records]
    change(changed)
    return write_jsonl(tmp_path / "second.jsonl", changed)


def assert_refused(
    cli: Cli, db_path: Path, dump_db: Dump, sql: Sql, path: Path, message: str
) -> None:
    before = dump_db(db_path)
    runs = sql("SELECT id, name, status FROM runs")

    code, _, err = cli("ingest", "jsonl", path, "--db", db_path)

    assert err == f"error: {message}\n"
    assert code == 2
    assert dump_db(db_path) == before
    assert sql("SELECT id, name, status FROM runs") == runs  # no leftover run record


def test_passage_with_other_text_than_stored(
    tmp_path: Path, records: list[dict[str, Any]], cli: Cli, db_path: Path, dump_db: Dump, sql: Sql
) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["text"] = rows[0]["text"].replace("308 points", "309 points")
        rows.append({"type": "passage", "docid": "new#0", "text": "A passage that would be new."})

    path = stored_then_changed(tmp_path, records, cli, db_path, change)

    assert_refused(
        cli,
        db_path,
        dump_db,
        sql,
        path,
        f"{path}:1: passage 'Super_Bowl_50#0' already stored with different content; "
        "ingest into a new --collection or fix the file",
    )
    assert sql("SELECT count(*) FROM passages WHERE docid = 'new#0'") == [(0,)]


ELSEWHERE = "already stored with different content; ingest into a new --collection or fix the file"
CONFLICTS: dict[str, tuple[BreakRows, str]] = {
    "query with other language": (
        lambda rows: rows[5].update(lang="nl"),
        f":6: query '{KNOWN_QID}-de' {ELSEWHERE}",
    ),
    "qrel with other grade": (
        lambda rows: rows[6].update(relevant={"Super_Bowl_50#0": 1}),
        f":7: qrel '{KNOWN_QID}-el/Super_Bowl_50#0' {ELSEWHERE}",
    ),
    **{
        f"answers {name}": (
            lambda rows, answers=answers: rows[5].update(answers=answers),
            f":6: answer list of query '{KNOWN_QID}-de' {ELSEWHERE}",
        )
        for name, answers in [
            ("other", ["309"]),
            ("one more", ["308", "three hundred and eight"]),
            ("reordered", ["three hundred and eight", "308"]),
        ]
    },
}


@pytest.mark.parametrize(("change", "message"), CONFLICTS.values(), ids=CONFLICTS.keys())
def test_records_other_than_stored(
    tmp_path: Path,
    records: list[dict[str, Any]],
    cli: Cli,
    db_path: Path,
    dump_db: Dump,
    sql: Sql,
    change: BreakRows,
    message: str,
) -> None:
    path = stored_then_changed(tmp_path, records, cli, db_path, change)

    assert_refused(cli, db_path, dump_db, sql, path, f"{path}{message}")


def test_relevant_passage_neither_in_file_nor_stored(
    tmp_path: Path, records: list[dict[str, Any]], expect_bad_input: ExpectBadInput
) -> None:
    records[7]["relevant"] = ["Super_Bowl_50#1", "Nowhere#0"]
    path = write_jsonl(tmp_path / "data.jsonl", records)
    qid = records[7]["qid"]

    expect_bad_input(
        ["ingest", "jsonl", str(path)],
        f"{path}:8: qrels name queries or passages that are not stored: ('{qid}', 'Nowhere#0')",
    )


# --- bad input in the file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        (2, "text", "missing field 'text' (expected a string)"),
        (5, "docid", "missing field 'docid' (expected a string)"),
        (7, "qid", "missing field 'qid' (expected a string)"),
        (8, "lang", "missing field 'lang' (expected a string)"),
        (9, "type", "field 'type' must be 'passage' or 'query', found None"),
    ],
)
def test_missing_field(
    tmp_path: Path,
    records: list[dict[str, Any]],
    expect_bad_input: ExpectBadInput,
    line: int,
    field: str,
    expected: str,
) -> None:
    del records[line - 1][field]
    path = write_jsonl(tmp_path / "data.jsonl", records)

    expect_bad_input(["ingest", "jsonl", str(path)], f"{path}:{line}: {expected}")


@pytest.mark.parametrize(
    ("line", "field", "value", "expected"),
    [
        (3, "text", "  ", "field 'text' is empty"),
        (3, "title", ["Super Bowl 50"], "field 'title' must be a string, found list"),
        (6, "type", "question", "field 'type' must be 'passage' or 'query', found 'question'"),
        (6, "answers", "308", "field 'answers' must be a list of strings"),
        (
            7,
            "relevant",
            {"Super_Bowl_50#0": "2"},
            "field 'relevant' must be a list of docids or an object docid -> grade",
        ),
        (
            8,
            "relevant",
            "Super_Bowl_50#1",
            "field 'relevant' must be a list of docids or an object docid -> grade",
        ),
    ],
)
def test_mistyped_field(
    tmp_path: Path,
    records: list[dict[str, Any]],
    expect_bad_input: ExpectBadInput,
    line: int,
    field: str,
    value: Any,
    expected: str,
) -> None:
    records[line - 1][field] = value
    path = write_jsonl(tmp_path / "data.jsonl", records)

    expect_bad_input(["ingest", "jsonl", str(path)], f"{path}:{line}: {expected}")


def test_malformed_json_line(
    tmp_path: Path, records: list[dict[str, Any]], expect_bad_input: ExpectBadInput
) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", records)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace('"lang": "de"', '"lang": de')
    path.write_text("".join(lines), encoding="utf-8")
    column = lines[5].index(": de") + 3  # 1-based column of the unquoted value

    expect_bad_input(
        ["ingest", "jsonl", str(path)],
        f"{path}:6: malformed JSON (Expecting value at column {column}); "
        "expected one JSON object per line",
    )


BROKEN_RECORDS: dict[str, tuple[BreakRows, str]] = {
    "unknown language": (
        lambda records: records[10].update(lang="greek"),
        f":11: unknown language 'greek'; {UNKNOWN_LANGUAGE}",
    ),
    "duplicate passage id with different text": (
        lambda records: records.append({**records[2], "text": "Another text."}),
        ":16: passage id 'Super_Bowl_50#2' appears again with different content "
        "(first at line 3); ids must be unique",
    ),
    "duplicate query id with different relevant": (
        lambda records: records.append({**records[5], "relevant": ["Super_Bowl_50#1"]}),
        f":16: query id '{KNOWN_QID}-de' appears again with different content "
        "(first at line 6); ids must be unique",
    ),
}


@pytest.mark.parametrize(("breaks", "message"), BROKEN_RECORDS.values(), ids=BROKEN_RECORDS.keys())
def test_broken_records(
    tmp_path: Path,
    records: list[dict[str, Any]],
    expect_bad_input: ExpectBadInput,
    breaks: BreakRows,
    message: str,
) -> None:
    path = tmp_path / "data.jsonl"
    expect_broken_rows(expect_bad_input, "jsonl", path, records, breaks, message)


def test_identical_repeats_are_read_once(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", [*records, records[0], records[5]])

    assert read_jsonl(path).counts() == {"passages": 5, "queries": 10, "qrels": 10, "answers": 10}


def test_bytes_that_are_not_utf8(
    tmp_path: Path, records: list[dict[str, Any]], expect_bad_input: ExpectBadInput
) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", records)
    lines = path.read_bytes().split(b"\n")
    # Line 7 holds a Greek question: its first letter (two bytes in UTF-8) becomes the one
    # byte of a legacy code page (0xff is never valid UTF-8).
    first = next(i for i, byte in enumerate(lines[6]) if byte >= 0x80)
    lines[6] = lines[6][:first] + b"\xff" + lines[6][first + 2 :]
    path.write_bytes(b"\n".join(lines))

    expect_bad_input(
        ["ingest", "jsonl", str(path)],
        f"{path}:7: not UTF-8 text (byte 0xff at column {first + 1}); save the file as UTF-8",
    )


def test_a_byte_order_mark_is_read_past(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", records)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Windows editors save UTF-8

    assert read_jsonl(path).counts() == {"passages": 5, "queries": 10, "qrels": 10, "answers": 10}
