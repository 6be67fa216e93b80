"""BEIR layout: corpus.jsonl, queries.jsonl, qrels/<split>.tsv, optional answers.jsonl.

A query's language is its top-level ``lang`` or ``metadata.lang``, else the default the
caller gives. A query's split is the name of the first qrels file that judges it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.errors import InputError, shorten
from pipelines.ingest.records import (
    INT64,
    Dataset,
    UniqueIds,
    answer_list,
    iter_jsonl,
    text_field,
    text_lines,
)
from pipelines.languages import normalize_language
from store.records import AnswerRecord, PassageRecord, QrelRecord, QueryRecord


def read_beir(directory: str | Path, default_language: str | None = None) -> Dataset:
    """Read a BEIR-format folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("not a folder; expected corpus.jsonl, queries.jsonl and qrels/", directory)
    dataset = Dataset(source="beir", files=[])
    docids = _read_corpus(directory / "corpus.jsonl", dataset)
    splits = _read_qrels(directory / "qrels", dataset, docids)
    _read_queries(directory / "queries.jsonl", dataset, splits, default_language)
    known = {query.qid for query in dataset.queries}
    for qrel in dataset.qrels:
        if qrel.qid not in known:
            path, line = dataset.origins[("qrel", f"{qrel.qid}/{qrel.docid}")]
            raise InputError(f"judges query {qrel.qid!r}, which queries.jsonl lacks", path, line)
    answers = directory / "answers.jsonl"
    if answers.exists():
        _read_answers(answers, dataset, known)
    return dataset


def _read_corpus(path: Path, dataset: Dataset) -> UniqueIds:
    dataset.files.append(str(path))
    unique = UniqueIds("passage")
    for line, record in iter_jsonl(path):
        docid = text_field(record, "_id", path, line)
        title = text_field(record, "title", path, line, required=False)
        text = text_field(record, "text", path, line)
        if unique.is_new(docid, (title, text), path, line):
            dataset.passages.append(PassageRecord(docid, title, text))
            dataset.note("passage", docid, path, line)
    return unique


def _read_qrels(folder: Path, dataset: Dataset, docids: UniqueIds) -> dict[str, str]:
    """Fill qrels; returns query id -> split (the first qrels file that names it)."""
    files = sorted(folder.glob("*.tsv")) if folder.is_dir() else []
    if not files:
        raise InputError("no qrels/*.tsv files; expected e.g. qrels/test.tsv", folder)
    splits: dict[str, str] = {}
    judged: dict[tuple[str, str], tuple[int, str]] = {}  # across files: score, first file
    for path in files:
        dataset.files.append(str(path))
        unique = UniqueIds("qrel")
        rows = 0
        for number, row in text_lines(path):
            cells = row.rstrip("\r\n").split("\t")
            if number == 1 and cells[0].strip().lower() in ("query-id", "qid", "query_id"):
                continue
            if not row.strip():
                continue
            rows += 1
            qid, docid, relevance = _qrel_cells(cells, path, number)
            if docid not in docids:
                raise InputError(f"passage {docid!r} is not in corpus.jsonl", path, number)
            if unique.is_new(f"{qid}\t{docid}", relevance, path, number):
                score, first = judged.setdefault((qid, docid), (relevance, path.name))
                if score != relevance:
                    raise InputError(
                        f"query {qid!r} and passage {docid!r} are judged {score} in "
                        f"{first} but {relevance} here; a pair needs one score",
                        path,
                        number,
                    )
                if first == path.name:
                    dataset.qrels.append(QrelRecord(qid, docid, relevance))
                    dataset.note("qrel", f"{qid}/{docid}", path, number)
                    splits.setdefault(qid, path.stem)
        if not rows:
            raise InputError("file is empty; expected query-id<TAB>corpus-id<TAB>score rows", path)
    return splits


def _qrel_cells(cells: list[str], path: Path, number: int) -> tuple[str, str, int]:
    if len(cells) != 3:
        raise InputError(
            f"expected 3 tab-separated columns (query-id, corpus-id, score), found {len(cells)}",
            path,
            number,
        )
    try:
        relevance = int(cells[2])
    except ValueError as error:
        raise InputError(f"score {shorten(cells[2])!r} is not an integer", path, number) from error
    if relevance not in INT64:
        raise InputError(f"score {shorten(cells[2])!r} does not fit in 64 bits", path, number)
    return cells[0].strip(), cells[1].strip(), relevance


def _read_queries(
    path: Path, dataset: Dataset, splits: dict[str, str], default_language: str | None
) -> None:
    dataset.files.append(str(path))
    unique = UniqueIds("query")
    for line, record in iter_jsonl(path):
        qid = text_field(record, "_id", path, line)
        text = text_field(record, "text", path, line)
        language = _language(record, path, line, default_language)
        if unique.is_new(qid, (text, language), path, line):
            dataset.queries.append(QueryRecord(qid, language, text, splits.get(qid, "test")))
            dataset.note("query", qid, path, line)


def _language(record: dict[str, Any], path: Path, line: int, default: str | None) -> str:
    metadata = record.get("metadata")
    value = record.get("lang") or (metadata.get("lang") if isinstance(metadata, dict) else None)
    if value is None:
        if default is None:
            raise InputError(
                "query has no 'lang' (top level or in 'metadata'); add it or pass --query-language",
                path,
                line,
            )
        value = default
    if not isinstance(value, str):
        raise InputError("field 'lang' must be a string", path, line)
    return normalize_language(value, str(path), line)


def _read_answers(path: Path, dataset: Dataset, known: set[str]) -> None:
    dataset.files.append(str(path))
    unique = UniqueIds("answer")
    for line, record in iter_jsonl(path):
        qid = text_field(record, "_id", path, line)
        if qid not in known:
            raise InputError(f"query {qid!r} is not in queries.jsonl", path, line)
        answers = answer_list(record.get("answers"), path, line)
        if unique.is_new(qid, answers, path, line):
            dataset.answers.append(AnswerRecord(qid, answers))
