"""The generic JSONL format: one passage or one query per line, told apart by ``type``.

    {"type": "passage", "docid": "d1", "title": "Oslo", "text": "Oslo is the capital..."}
    {"type": "query", "qid": "q1", "lang": "fi", "text": "Mikä on Norjan pääkaupunki?",
     "split": "dev", "parallel_id": "g1", "answers": ["Oslo"], "relevant": {"d1": 1}}

``title``, ``split`` (default ``test``), ``parallel_id``, ``answers`` and ``relevant`` (a
list of docids, or docid -> grade) are optional. Queries may judge passages of earlier lines
or of passages already stored in the collection.
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
)
from pipelines.languages import normalize_language
from store.records import AnswerRecord, PassageRecord, QrelRecord, QueryRecord


def read_jsonl(path: str | Path) -> Dataset:
    """Read a generic JSONL file of passages and queries."""
    path = Path(path)
    dataset = Dataset(source="jsonl", files=[str(path)])
    passages, queries = UniqueIds("passage"), UniqueIds("query")
    for line, record in iter_jsonl(path):
        kind = record.get("type")
        if kind == "passage":
            docid = text_field(record, "docid", path, line)
            title = text_field(record, "title", path, line, required=False)
            text = text_field(record, "text", path, line)
            if passages.is_new(docid, (title, text), path, line):
                dataset.passages.append(PassageRecord(docid, title, text))
                dataset.note("passage", docid, path, line)
        elif kind == "query":
            _read_query(record, path, line, queries, dataset)
        else:
            raise InputError(
                f"field 'type' must be 'passage' or 'query', found {kind!r}", path, line
            )
    return dataset


def _read_query(
    record: dict[str, Any], path: Path, line: int, queries: UniqueIds, dataset: Dataset
) -> None:
    qid = text_field(record, "qid", path, line)
    query = QueryRecord(
        qid=qid,
        language=normalize_language(text_field(record, "lang", path, line), str(path), line),
        text=text_field(record, "text", path, line),
        split=text_field(record, "split", path, line, required=False).strip() or "test",
        parallel_id=text_field(record, "parallel_id", path, line, required=False) or None,
    )
    answers = answer_list(record["answers"], path, line) if "answers" in record else ()
    relevant = _relevant(record.get("relevant", {}), path, line)
    if not queries.is_new(qid, (query, answers, relevant), path, line):
        return
    dataset.queries.append(query)
    dataset.note("query", qid, path, line)
    if answers:
        dataset.answers.append(AnswerRecord(qid, answers))
    dataset.qrels.extend(QrelRecord(qid, docid, grade) for docid, grade in relevant.items())


def _relevant(value: Any, path: Path, line: int) -> dict[str, int]:
    if isinstance(value, list) and all(isinstance(d, str) for d in value):
        return dict.fromkeys(value, 1)
    if isinstance(value, dict) and all(
        isinstance(g, int) and not isinstance(g, bool) for g in value.values()
    ):
        for docid, grade in value.items():
            if grade not in INT64:
                raise InputError(
                    f"grade {shorten(grade)} of docid {shorten(docid)!r} in field 'relevant' "
                    "does not fit in 64 bits; grades are small integers",
                    path,
                    line,
                )
        return {str(docid): grade for docid, grade in value.items()}
    raise InputError(
        "field 'relevant' must be a list of docids or an object docid -> grade", path, line
    )
