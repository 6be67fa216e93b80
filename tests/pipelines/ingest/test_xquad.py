"""XQuAD reader and ingest on the real files in shared/data/xquad."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import read_xquad
from tests.pipelines.ingest.datafiles import Cli, ExpectBadInput, Sql, last_run, table_counts

LANGUAGES = ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"]
KNOWN_QID = "56beb4343aeaaa14008c925b"  # first question of Super_Bowl_50, paragraph 0


def load_raw(shared_data: Path, lang: str) -> dict[str, Any]:
    with open(shared_data / "xquad" / f"xquad.{lang}.json", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@pytest.fixture(scope="module")
def raw_en(shared_data: Path) -> dict[str, Any]:
    return load_raw(shared_data, "en")


@pytest.fixture(scope="module")
def raw_de(shared_data: Path) -> dict[str, Any]:
    return load_raw(shared_data, "de")


@pytest.fixture(scope="module")
def expected_en(raw_en: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Question id -> (its paragraph's docid, English answers), straight from the raw file."""
    found = {}
    for article in raw_en["data"]:
        for p, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                found[qa["id"]] = (f"{article['title']}#{p}", answers)
    return found


def questions_of(raw: dict[str, Any]) -> dict[str, str]:
    return {
        qa["id"]: qa["question"]
        for article in raw["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }


def write_xquad(folder: Path, documents: dict[str, Any]) -> Path:
    """Write xquad.<lang>.json files (pretty-printed, as the real ones) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for lang, document in documents.items():
        text = json.dumps(document, ensure_ascii=False, indent=2)
        (folder / f"xquad.{lang}.json").write_text(text, encoding="utf-8")
    return folder


def object_line(path: Path, qid: str, up: int = 0, occurrence: int = 0) -> int:
    """The line where the question object with this id begins in a pretty-printed file (its
    ``{``, two spaces left of its ``"id"``), or with ``up=1`` where its paragraph begins
    (the ``{`` three levels further out: paragraph, "qas" list, question)."""
    lines = path.read_text("utf-8").split("\n")
    found = [i for i, line in enumerate(lines) if line.strip().rstrip(",") == f'"id": "{qid}"']
    at = found[occurrence]
    indent = len(lines[at]) - len(lines[at].lstrip()) - 2 - 4 * up
    return next(i for i in range(at, -1, -1) if lines[i] == " " * indent + "{") + 1


# --- reading the real files -------------------------------------------------------------


def test_all_twelve_real_files_give_240_passages_and_1190_questions_per_language(
    shared_data: Path,
) -> None:
    dataset = read_xquad(shared_data / "xquad")

    assert dataset.source == "xquad"
    assert dataset.files == [str(shared_data / "xquad" / f"xquad.{x}.json") for x in LANGUAGES]
    assert dataset.counts() == {
        "passages": 240,
        "queries": 12 * 1190,
        "qrels": 12 * 1190,
        "answers": 12 * 1190,
    }
    assert Counter(q.language for q in dataset.queries) == dict.fromkeys(LANGUAGES, 1190)
    assert len({p.docid for p in dataset.passages}) == 240
    assert {q.split for q in dataset.queries} == {"test"}
    # One query per (question, language), linked across languages by the question id.
    assert all(q.qid == f"{q.parallel_id}-{q.language}" for q in dataset.queries)
    assert len({q.parallel_id for q in dataset.queries}) == 1190


def test_known_question_is_judged_against_its_own_paragraph_in_every_language(
    shared_data: Path,
) -> None:
    dataset = read_xquad(shared_data / "xquad", ["en", "de", "zh"])

    queries = {q.qid: q for q in dataset.queries if q.parallel_id == KNOWN_QID}
    assert sorted(queries) == [f"{KNOWN_QID}-de", f"{KNOWN_QID}-en", f"{KNOWN_QID}-zh"]
    assert queries[f"{KNOWN_QID}-en"].text == "How many points did the Panthers defense surrender?"
    assert (
        queries[f"{KNOWN_QID}-de"].text == "Wie viele Punkte gab die Verteidigung der Panthers ab?"
    )
    assert queries[f"{KNOWN_QID}-de"].language == "de"
    qrels = {(r.qid, r.docid, r.relevance) for r in dataset.qrels if r.qid in queries}
    assert qrels == {(qid, "Super_Bowl_50#0", 1) for qid in queries}
    answers = {a.qid: a.answers for a in dataset.answers if a.qid in queries}
    assert answers == dict.fromkeys(queries, ("308",))  # the English answer for all three

    passage = next(p for p in dataset.passages if p.docid == "Super_Bowl_50#0")
    assert passage.title == "Super Bowl 50"
    assert passage.text.startswith("The Panthers defense gave up just 308 points")


def test_passages_qrels_and_answers_match_the_raw_files(
    shared_data: Path,
    raw_en: dict[str, Any],
    raw_de: dict[str, Any],
    expected_en: dict[str, tuple[str, tuple[str, ...]]],
) -> None:
    dataset = read_xquad(shared_data / "xquad", languages=["en", "de"])

    assert [(p.docid, p.title, p.text) for p in dataset.passages] == [
        (f"{a['title']}#{i}", a["title"].replace("_", " "), paragraph["context"])
        for a in raw_en["data"]
        for i, paragraph in enumerate(a["paragraphs"])
    ]
    assert any("_" in a["title"] for a in raw_en["data"])
    assert not any("_" in p.title for p in dataset.passages)

    texts = {"en": questions_of(raw_en), "de": questions_of(raw_de)}
    assert {(q.qid, q.language, q.text, q.parallel_id) for q in dataset.queries} == {
        (f"{qid}-{lang}", lang, text, qid)
        for lang in ("en", "de")
        for qid, text in texts[lang].items()
    }
    qrels = {r.qid: (r.docid, r.relevance) for r in dataset.qrels}
    answers = {a.qid: a.answers for a in dataset.answers}
    assert len(qrels) == len(answers) == 2 * 1190
    for query in dataset.queries:
        docid, english_answers = expected_en[query.parallel_id or ""]
        assert qrels[query.qid] == (docid, 1)
        assert answers[query.qid] == english_answers


def test_languages_without_english_still_take_passages_and_answers_from_english(
    shared_data: Path, expected_en: dict[str, tuple[str, tuple[str, ...]]]
) -> None:
    dataset = read_xquad(shared_data / "xquad", ["th"])

    assert dataset.counts() == {"passages": 240, "queries": 1190, "qrels": 1190, "answers": 1190}
    assert {q.language for q in dataset.queries} == {"th"}
    answers = {a.qid: a.answers for a in dataset.answers}
    assert answers[f"{KNOWN_QID}-th"] == ("308",)
    assert all(answers[q.qid] == expected_en[q.parallel_id or ""][1] for q in dataset.queries)


# --- ingesting into a real database ----------------------------------------------------------


def test_cli_ingest_stores_rows_and_reingest_adds_nothing(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql
) -> None:
    code, out, err = cli(
        "ingest", "xquad", shared_data / "xquad", "--langs", "en,de", "--db", db_path
    )

    assert (code, err) == (0, "")
    assert "added 240 passages, 2380 queries, 2380 qrels, 2380 answers to collection" in out
    assert sql("SELECT name, source FROM collections") == [("xquad", "xquad")]
    counts = table_counts(db_path)
    assert counts == {
        "collections": 1,
        "passages": 240,
        "queries": 2380,
        "qrels": 2380,
        "answers": 2380,  # one English answer per XQuAD question
    }
    assert sql("SELECT language, count(*) FROM queries GROUP BY language ORDER BY language") == [
        ("de", 1190),
        ("en", 1190),
    ]
    assert sql(
        "SELECT q.language, q.text, q.split, q.parallel_id, p.docid, p.title, r.relevance, a.text "
        "FROM queries q JOIN qrels r ON r.query_id = q.id JOIN passages p ON p.id = r.passage_id "
        "JOIN answers a ON a.query_id = q.id WHERE q.qid = ?",
        [f"{KNOWN_QID}-de"],
    ) == [
        (
            "de",
            "Wie viele Punkte gab die Verteidigung der Panthers ab?",
            "test",
            KNOWN_QID,
            "Super_Bowl_50#0",
            "Super Bowl 50",
            1,
            "308",
        )
    ]
    run = last_run(db_path)
    assert (run["kind"], run["name"], run["status"]) == ("ingest", "ingest-xquad", "done")
    assert run["summary"]["added"] == {
        "passages": 240,
        "queries": 2380,
        "qrels": 2380,
        "answers": 2380,
    }
    assert run["summary"]["query_languages"] == {"en": 1190, "de": 1190}

    code, out, err = cli(
        "ingest", "xquad", shared_data / "xquad", "--langs", "en,de", "--db", db_path
    )

    assert (code, err) == (0, "")
    run = last_run(db_path)
    assert (run["name"], run["status"]) == ("ingest-xquad-2", "done")
    assert run["summary"]["added"] == {"passages": 0, "queries": 0, "qrels": 0, "answers": 0}
    assert table_counts(db_path) == counts


def test_adding_a_language_later_adds_only_its_questions(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql
) -> None:
    folder = shared_data / "xquad"
    assert cli("ingest", "xquad", folder, "--langs", "en", "--db", db_path)[0] == 0
    assert cli("ingest", "xquad", folder, "--langs", "en,ar", "--db", db_path)[0] == 0

    assert last_run(db_path)["summary"]["added"] == {
        "passages": 0,
        "queries": 1190,
        "qrels": 1190,
        "answers": 1190,
    }
    assert table_counts(db_path)["queries"] == 2 * 1190
    # The Arabic question of the known id is judged against the same stored paragraph.
    assert sql(
        "SELECT q.qid, p.docid FROM queries q JOIN qrels r ON r.query_id = q.id "
        "JOIN passages p ON p.id = r.passage_id WHERE q.parallel_id = ? ORDER BY q.qid",
        [KNOWN_QID],
    ) == [(f"{KNOWN_QID}-ar", "Super_Bowl_50#0"), (f"{KNOWN_QID}-en", "Super_Bowl_50#0")]


def test_collection_option_names_the_collection(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql
) -> None:
    code, _, _ = cli(
        "ingest",
        "xquad",
        shared_data / "xquad",
        "--langs",
        "en",
        "--collection",
        "squad-en",
        "--db",
        db_path,
    )

    assert code == 0
    assert sql("SELECT name, source FROM collections") == [("squad-en", "xquad")]
    assert sql(
        "SELECT count(*) FROM passages p JOIN collections c ON c.id = p.collection_id "
        "WHERE c.name = 'squad-en'"
    ) == [(240,)]


# --- bad input through the CLI ---------------------------------------------------------------


@pytest.fixture
def docs(raw_en: dict[str, Any], raw_de: dict[str, Any]) -> dict[str, Any]:
    """Fresh copies of the real English and German documents, to break."""
    return {"en": copy.deepcopy(raw_en), "de": copy.deepcopy(raw_de)}


def test_missing_english_file(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    folder = write_xquad(tmp_path / "xquad", {"de": docs["de"]})

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder}: needs xquad.en.json (the English paragraphs and answers)",
    )


def test_translated_question_id_not_in_english(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    docs["de"]["data"][0]["paragraphs"][1]["qas"][2]["id"] = "not-an-english-id"
    folder = write_xquad(tmp_path / "xquad", docs)
    line = object_line(folder / "xquad.de.json", "not-an-english-id")

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder / 'xquad.de.json'}:{line}: data[0].paragraphs[1].qas[2]: question id "
        "'not-an-english-id' is not in xquad.en.json; the files must be translations of "
        "one another",
    )


def test_missing_question_field(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    qa = docs["de"]["data"][3]["paragraphs"][1]["qas"][0]
    del qa["question"]
    folder = write_xquad(tmp_path / "xquad", docs)
    line = object_line(folder / "xquad.de.json", qa["id"])

    expect_bad_input(
        ["ingest", "xquad", str(folder), "--langs", "en,de"],
        f"{folder / 'xquad.de.json'}:{line}: data[3].paragraphs[1].qas[0]: "
        "expected a non-empty str 'question'",
    )


def test_missing_context_field(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    paragraph = docs["en"]["data"][0]["paragraphs"][4]
    del paragraph["context"]
    folder = write_xquad(tmp_path / "xquad", docs)
    line = object_line(folder / "xquad.en.json", paragraph["qas"][0]["id"], up=1)

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder / 'xquad.en.json'}:{line}: data[0].paragraphs[4]: "
        "expected a non-empty str 'context'",
    )


def test_malformed_json(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    folder = write_xquad(tmp_path / "xquad", docs)
    path = folder / "xquad.en.json"
    lines = path.read_text(encoding="utf-8").split("\n")
    broken = lines.index('                  "answer_start": 34,')  # the known question's answer
    lines[broken] = lines[broken].rstrip(",")
    path.write_text("\n".join(lines), encoding="utf-8")
    # JSON notices the missing comma at the next key, one line further down.
    next_line = lines[broken + 1]
    column = len(next_line) - len(next_line.lstrip()) + 1

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{path}:{broken + 2}: malformed JSON (Expecting ',' delimiter, column {column}); "
        "expected SQuAD v1.1 format",
    )


def test_empty_file(tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput) -> None:
    folder = write_xquad(tmp_path / "xquad", docs)
    (folder / "xquad.de.json").write_text("", encoding="utf-8")

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder / 'xquad.de.json'}: file is empty; expected SQuAD v1.1 JSON",
    )


def test_document_without_articles(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    folder = write_xquad(
        tmp_path / "xquad", {"en": docs["en"], "de": {"data": [], "version": "1.1"}}
    )

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder / 'xquad.de.json'}: 'data' is empty; expected articles",
    )


def test_unknown_language_file(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    folder = write_xquad(tmp_path / "xquad", {"en": docs["en"], "xx": docs["de"]})

    expect_bad_input(
        ["ingest", "xquad", str(folder)],
        f"{folder / 'xquad.xx.json'}: unknown language 'xx'; expected an ISO 639-1 code such as "
        "ar, bn, de, en, fi, ja, ko, ru, te, zh",
    )


def test_unknown_language_asked_for(shared_data: Path, expect_bad_input: ExpectBadInput) -> None:
    expect_bad_input(
        ["ingest", "xquad", str(shared_data / "xquad"), "--langs", "en,xx"],
        "unknown language 'xx'; expected an ISO 639-1 code such as "
        "ar, bn, de, en, fi, ja, ko, ru, te, zh",
    )


def test_language_without_a_file(shared_data: Path, expect_bad_input: ExpectBadInput) -> None:
    folder = shared_data / "xquad"

    expect_bad_input(
        ["ingest", "xquad", str(folder), "--langs", "en,fr,ja"],
        f"{folder}: no file for languages ['fr', 'ja']; expected xquad.<lang>.json",
    )


def test_duplicate_question_id_with_different_text(
    tmp_path: Path, docs: dict[str, Any], expect_bad_input: ExpectBadInput
) -> None:
    docs["en"]["data"][0]["paragraphs"][2]["qas"][1]["id"] = KNOWN_QID
    folder = write_xquad(tmp_path / "xquad", docs)
    # The second occurrence is reported: it comes after the first in the file.
    path = folder / "xquad.en.json"
    line = object_line(path, KNOWN_QID, occurrence=1)

    expect_bad_input(
        ["ingest", "xquad", str(folder), "--langs", "en"],
        f"{path}:{line}: data[0].paragraphs[2].qas[1]: question id "
        f"'{KNOWN_QID}' appears twice with different content; ids must be unique",
    )


def test_not_a_folder(shared_data: Path, expect_bad_input: ExpectBadInput) -> None:
    path = shared_data / "xquad" / "xquad.en.json"

    expect_bad_input(
        ["ingest", "xquad", str(path)],
        f"{path}: not a folder; expected the folder holding xquad.<lang>.json files",
    )
