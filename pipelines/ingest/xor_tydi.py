"""XOR-TyDi XOR-Retrieve question files: {id, question, answers, lang, split} per line."""

from __future__ import annotations

from pathlib import Path

from pipelines.errors import InputError
from pipelines.ingest.records import Dataset, UniqueIds, answer_list, iter_jsonl, text_field
from pipelines.languages import normalize_language
from store.records import AnswerRecord, QueryRecord


def read_xor_tydi(path: str | Path) -> Dataset:
    """Questions and English answers; language codes normalised (the real " ar" included)."""
    path = Path(path)
    dataset = Dataset(source="xor-tydi", files=[str(path)])
    unique = UniqueIds("question")
    for line, record in iter_jsonl(path):
        qid = text_field(record, "id", path, line)
        text = text_field(record, "question", path, line)
        language = normalize_language(text_field(record, "lang", path, line), str(path), line)
        split = text_field(record, "split", path, line, required=False, default="dev").strip()
        if "answers" not in record:
            raise InputError("missing field 'answers' (expected a list of strings)", path, line)
        answers = answer_list(record["answers"], path, line)
        if unique.is_new(qid, (text, language, split, answers), path, line):
            dataset.queries.append(QueryRecord(qid, language, text, split or "dev"))
            dataset.answers.append(AnswerRecord(qid, answers))
            dataset.note("query", qid, path, line)
    return dataset
