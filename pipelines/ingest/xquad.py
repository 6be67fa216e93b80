"""XQuAD: English paragraphs as the corpus, questions in every language as queries.

Each ``xquad.{lang}.json`` holds the same 240 paragraphs and 1,190 question ids; the English
file gives the passages and the answers for every translation of a question.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from pipelines.ingest.records import Dataset, json_line, read_text
from pipelines.languages import normalize_language
from store.records import AnswerRecord, PassageRecord, QrelRecord, QueryRecord

FILE_PATTERN = re.compile(r"^xquad\.([A-Za-z_-]+)\.json$")
LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
JSON_PATH = re.compile(r"^(data(?:\[\d+\]|\.\w+)*): ")
STEP = re.compile(r"(\w+)|\[(\d+)\]")
SOURCE_URL = "https://raw.githubusercontent.com/google-deepmind/xquad/master/xquad.{lang}.json"


def read_xquad(directory: str | Path, languages: list[str] | None = None) -> Dataset:
    """Read ``xquad.*.json`` files from a folder (all languages found, or those asked for)."""
    try:
        return _read(Path(directory), languages)
    except InputError as error:
        raise _with_line(error) from None


def _with_line(error: InputError) -> InputError:
    """The error with the line where its JSON path (``data[0].paragraphs[1]: ...``) begins."""
    match = JSON_PATH.match(error.message)
    if match is None or error.line is not None or error.path is None:
        return error
    steps = [int(i) if i else key for key, i in STEP.findall(match.group(1))]
    line = json_line(read_text(Path(error.path)), steps)
    return InputError(error.message, error.path, line)


def _read(directory: Path, languages: list[str] | None) -> Dataset:
    files = _language_files(directory)
    if "en" not in files:
        raise InputError("needs xquad.en.json (the English paragraphs and answers)", directory)
    wanted = (
        sorted(files) if languages is None else [normalize_language(code) for code in languages]
    )
    missing = [lang for lang in wanted if lang not in files]
    if missing:
        raise InputError(f"no file for languages {missing}; expected xquad.<lang>.json", directory)
    english = _questions(files["en"])
    # The English file always counts: it gives the passages and the answers.
    read = sorted({"en", *wanted})
    dataset = Dataset(source="xquad", files=[str(files[lang]) for lang in read])
    dataset.passages = _passages(files["en"])
    docid_of = {qid: docid for qid, (docid, _, _, _) in english.items()}
    for lang in wanted:
        questions = english if lang == "en" else _questions(files[lang])
        for qid, (_, text, _, spot) in questions.items():
            if qid not in docid_of:
                raise InputError(
                    f"{spot}: question id {qid!r} is not in xquad.en.json; the files "
                    "must be translations of one another",
                    files[lang],
                )
            query_id = f"{qid}-{lang}"
            dataset.queries.append(QueryRecord(query_id, lang, text, "test", qid))
            dataset.qrels.append(QrelRecord(query_id, docid_of[qid], 1))
            dataset.answers.append(AnswerRecord(query_id, english[qid][2]))
    return dataset


def _language_files(directory: Path) -> dict[str, Path]:
    if not directory.is_dir():
        raise InputError(
            "not a folder; expected the folder holding xquad.<lang>.json files", directory
        )
    files: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match:
            files[normalize_language(match.group(1), str(path))] = path
    if not files:
        raise InputError("no xquad.<lang>.json files here", directory)
    return files


def _load(path: Path) -> list[dict[str, Any]]:
    text = read_text(path)
    if not text.strip():
        raise InputError("file is empty; expected SQuAD v1.1 JSON", path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"malformed JSON ({error.msg}, column {error.colno}); expected SQuAD v1.1 format",
            path,
            error.lineno,
        ) from error
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise InputError("expected a SQuAD v1.1 object with a 'data' list", path)
    if not document["data"]:
        raise InputError("'data' is empty; expected articles", path)
    articles: list[dict[str, Any]] = document["data"]
    return articles


def _field(node: Any, key: str, kind: type, path: Path, where: str) -> Any:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{where}: expected a non-empty {kind.__name__} {key!r}", path)
    return value


def _paragraphs(path: Path) -> list[tuple[str, str, str, list[Any], str]]:
    """(docid, title, context, qas, location) for every paragraph of a file."""
    found = []
    for a, article in enumerate(_load(path)):
        title = _field(article, "title", str, path, f"data[{a}]")
        for p, paragraph in enumerate(_field(article, "paragraphs", list, path, f"data[{a}]")):
            where = f"data[{a}].paragraphs[{p}]"
            context = _field(paragraph, "context", str, path, where)
            qas = _field(paragraph, "qas", list, path, where)
            found.append((f"{title}#{p}", title.replace("_", " "), context, qas, where))
    return found


def _passages(path: Path) -> list[PassageRecord]:
    return [
        PassageRecord(docid, title, context) for docid, title, context, _, _ in _paragraphs(path)
    ]


def _questions(path: Path) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    """Question id -> (docid, question, answers, JSON path of its first occurrence)."""
    questions: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
    for docid, _, _, qas, where in _paragraphs(path):
        for i, qa in enumerate(qas):
            spot = f"{where}.qas[{i}]"
            qid = _field(qa, "id", str, path, spot)
            text = _field(qa, "question", str, path, spot)
            answers = tuple(
                dict.fromkeys(
                    _field(answer, "text", str, path, f"{spot}.answers[{j}]")
                    for j, answer in enumerate(_field(qa, "answers", list, path, spot))
                )
            )
            if qid in questions and questions[qid][:2] != (docid, text):
                raise InputError(
                    f"{spot}: question id {qid!r} appears twice with different "
                    "content; ids must be unique",
                    path,
                )
            questions.setdefault(qid, (docid, text, answers, spot))
    return questions
