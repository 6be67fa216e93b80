"""What a reader returns, and the checks every reader shares (file:line messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from store.records import AnswerRecord, PassageRecord, QrelRecord, QueryRecord


@dataclass
class Dataset:
    """Everything one ingest adds to a collection, validated."""

    source: str
    files: list[str]
    passages: list[PassageRecord] = field(default_factory=list)
    queries: list[QueryRecord] = field(default_factory=list)
    qrels: list[QrelRecord] = field(default_factory=list)
    answers: list[AnswerRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per kind, for run summaries."""
        return {
            "passages": len(self.passages),
            "queries": len(self.queries),
            "qrels": len(self.qrels),
            "answers": len(self.answers),
        }


class UniqueIds:
    """Remembers ids with their content: identical repeats are skipped, conflicts refused."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.seen: dict[str, tuple[Any, int]] = {}

    def is_new(self, key: str, content: Any, path: Path, line: int) -> bool:
        """True the first time ``key`` is seen; False for an identical repeat."""
        if key not in self.seen:
            self.seen[key] = (content, line)
            return True
        first_content, first_line = self.seen[key]
        if first_content != content:
            raise InputError(
                f"{self.what} id {key!r} appears again with different content "
                f"(first at line {first_line}); ids must be unique",
                path,
                line,
            )
        return False

    def __contains__(self, key: str) -> bool:
        return key in self.seen


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a malformed line stops with its number."""
    if not path.is_file():
        raise InputError("no such file; check the path", path)
    empty = True
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(
                    f"malformed JSON ({error.msg} at column {error.colno}); "
                    "expected one JSON object per line",
                    path,
                    number,
                ) from error
            if not isinstance(record, dict):
                raise InputError(
                    f"expected a JSON object, found {type(record).__name__}", path, number
                )
            empty = False
            yield number, record
    if empty:
        raise InputError("file is empty; expected one JSON object per line", path)


def text_field(
    record: dict[str, Any],
    key: str,
    path: Path,
    line: int,
    *,
    required: bool = True,
    default: str = "",
) -> str:
    """A string field; missing or mistyped required fields stop with file:line."""
    value = record.get(key)
    if value is None:
        if required:
            raise InputError(f"missing field {key!r} (expected a string)", path, line)
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key.endswith("id"):
        return str(value)
    if not isinstance(value, str):
        raise InputError(
            f"field {key!r} must be a string, found {type(value).__name__}", path, line
        )
    if required and not value.strip():
        raise InputError(f"field {key!r} is empty", path, line)
    return value


def answer_list(value: Any, path: Path, line: int) -> tuple[str, ...]:
    """A list of answer strings, duplicates removed in order."""
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InputError("field 'answers' must be a list of strings", path, line)
    if any(not answer.strip() for answer in value):
        # An empty answer is a substring of every text: R@kt would count a hit for nothing.
        raise InputError("field 'answers' holds an empty string; remove it", path, line)
    return tuple(dict.fromkeys(value))
