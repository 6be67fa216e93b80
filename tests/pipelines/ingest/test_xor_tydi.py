"""XOR-TyDi reader and ingest on the real XOR-Retrieve question files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import read_xor_tydi
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
)

DEV = "xor-tydi/xor_dev_retrieve_eng_span_v1_1.jsonl"
TRAIN = "xor-tydi/xor_train_retrieve_eng_span.jsonl"
DEV_COUNTS = {"ar": 350, "bn": 312, "fi": 360, "ja": 296, "ko": 299, "ru": 255, "te": 238}


def raw_rows(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def dev_rows(shared_data: Path) -> list[dict[str, Any]]:
    return raw_rows(shared_data / DEV)


def test_real_dev_file(shared_data: Path, dev_rows: list[dict[str, Any]]) -> None:
    dataset = read_xor_tydi(shared_data / DEV)

    assert dataset.source == "xor-tydi"
    assert dataset.files == [str(shared_data / DEV)]
    assert dataset.counts() == {"passages": 0, "queries": 2110, "qrels": 0, "answers": 2110}
    assert Counter(q.language for q in dataset.queries) == DEV_COUNTS
    assert {q.split for q in dataset.queries} == {"dev"}
    assert all(q.parallel_id is None for q in dataset.queries)
    # Every row as the raw file has it, answers de-duplicated in order.
    assert [(q.qid, q.language, q.text) for q in dataset.queries] == [
        (r["id"], r["lang"], r["question"]) for r in dev_rows
    ]
    assert [(a.qid, a.answers) for a in dataset.answers] == [
        (r["id"], tuple(dict.fromkeys(r["answers"]))) for r in dev_rows
    ]
    # The first row repeats its answer: ["Portland", "Portland"].
    first = dataset.queries[0]
    assert (first.qid, first.language) == ("-1018987027025691298", "te")
    assert first.text == "ఒరెగాన్ రాష్ట్రంలోని అతిపెద్ద నగరం ఏది ?"
    assert dev_rows[0]["answers"] == ["Portland", "Portland"]
    assert dataset.answers[0].answers == ("Portland",)


def test_real_train_file_arabic_rows_with_a_leading_space_become_ar(shared_data: Path) -> None:
    rows = raw_rows(shared_data / TRAIN)
    raw_languages = Counter(r["lang"] for r in rows)
    spaced_arabic = raw_languages[" ar"]
    assert spaced_arabic > 0 and raw_languages["ar"] == 0  # the real quirk is there

    dataset = read_xor_tydi(shared_data / TRAIN)

    languages = Counter(q.language for q in dataset.queries)
    assert languages["ar"] == spaced_arabic
    assert languages == {lang.strip(): n for lang, n in raw_languages.items()}
    assert len(dataset.queries) == len(rows)
    assert {q.split for q in dataset.queries} == {"train"}


def test_cli_ingest_of_dev_and_reingest_adds_nothing(
    shared_data: Path, dev_rows: list[dict[str, Any]], cli: Cli, db_path: Path, sql: Sql
) -> None:
    code, out, err = cli("ingest", "xor-tydi", shared_data / DEV, "--db", db_path)

    assert (code, err) == (0, "")
    assert "added 0 passages, 2110 queries, 0 qrels, 2110 answers to collection" in out
    assert sql("SELECT name, source FROM collections") == [("xor-tydi", "xor-tydi")]
    answer_rows = sum(len(set(r["answers"])) for r in dev_rows)
    counts = table_counts(db_path)
    assert counts == {
        "collections": 1,
        "passages": 0,
        "queries": 2110,
        "qrels": 0,
        "answers": answer_rows,
    }
    assert dict(sql("SELECT language, count(*) FROM queries GROUP BY language")) == DEV_COUNTS
    assert sql(
        "SELECT a.position, a.text FROM answers a JOIN queries q ON q.id = a.query_id "
        "WHERE q.qid = ? ORDER BY a.position",
        ["-1024677970375145871"],
    ) == [(0, "Indian subcontinent"), (1, "England")]
    run = last_run(db_path)
    assert run["status"] == "done"
    assert run["summary"]["added"] == {"passages": 0, "queries": 2110, "qrels": 0, "answers": 2110}
    assert run["summary"]["query_languages"] == DEV_COUNTS

    assert_reingest_adds_nothing(
        cli, ("ingest", "xor-tydi", shared_data / DEV, "--db", db_path), db_path, counts
    )


def test_cli_ingest_of_train_stores_arabic_as_ar(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql
) -> None:
    spaced_arabic = sum(r["lang"] == " ar" for r in raw_rows(shared_data / TRAIN))

    code, _, err = cli("ingest", "xor-tydi", shared_data / TRAIN, "--db", db_path)

    assert (code, err) == (0, "")
    assert sql("SELECT count(*) FROM queries WHERE language = 'ar'") == [(spaced_arabic,)]
    assert sql("SELECT count(*) FROM queries WHERE language != trim(language)") == [(0,)]
    assert sql("SELECT DISTINCT split FROM queries") == [("train",)]


def test_identical_repeated_row_is_read_once(
    tmp_path: Path, dev_rows: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "xor.jsonl", [dev_rows[0], dev_rows[1], dev_rows[0]])

    dataset = read_xor_tydi(path)

    assert [q.qid for q in dataset.queries] == [dev_rows[0]["id"], dev_rows[1]["id"]]


# --- bad input through the CLI ---------------------------------------------------------------


@pytest.fixture
def rows(dev_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first five real dev rows, copies to break."""
    return [dict(row) for row in dev_rows[:5]]


def _second_row_in_a_list(rows: list[Any]) -> None:
    del rows[2:]
    rows[1] = [rows[1]]


BROKEN_ROWS: dict[str, tuple[BreakRows, str]] = {
    "missing question": (
        lambda rows: rows[2].pop("question"),
        ":3: missing field 'question' (expected a string)",
    ),
    "missing answers": (
        lambda rows: rows[1].pop("answers"),
        ":2: missing field 'answers' (expected a list of strings)",
    ),
    "answers not a list of strings": (
        lambda rows: rows[4].update(answers="Portland"),
        ":5: field 'answers' must be a list of strings",
    ),
    "line that is not an object": (
        _second_row_in_a_list,
        ":2: expected a JSON object, found list",
    ),
    "unknown language": (
        lambda rows: rows[1].update(lang="xx"),
        f":2: unknown language 'xx'; {UNKNOWN_LANGUAGE}",
    ),
    "duplicate id with different question": (
        lambda rows: rows[3].update(id=rows[0]["id"]),
        ":4: question id '-1018987027025691298' appears again with different content "
        "(first at line 1); ids must be unique",
    ),
}


@pytest.mark.parametrize(("breaks", "message"), BROKEN_ROWS.values(), ids=BROKEN_ROWS.keys())
def test_broken_rows(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    expect_bad_input: ExpectBadInput,
    breaks: BreakRows,
    message: str,
) -> None:
    path = tmp_path / "xor.jsonl"
    expect_broken_rows(expect_bad_input, "xor-tydi", path, rows, breaks, message)


def test_malformed_json_line(
    tmp_path: Path, rows: list[dict[str, Any]], expect_bad_input: ExpectBadInput
) -> None:
    path = write_jsonl(tmp_path / "xor.jsonl", rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace('"lang": "te"', '"lang" "te"')
    path.write_text("".join(lines), encoding="utf-8")
    column = lines[3].index('"lang" "te"') + len('"lang" ') + 1  # 1-based

    expect_bad_input(
        ["ingest", "xor-tydi", str(path)],
        f"{path}:4: malformed JSON (Expecting ':' delimiter at column {column}); "
        "expected one JSON object per line",
    )
