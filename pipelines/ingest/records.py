"""What a reader returns, and the checks every reader shares (file:line messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from store.errors import ConflictError
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
    # (kind, id) -> (file, line) where the record was read, to point at it when the store
    # refuses it: kind is "passage" (docid), "query" (qid) or "qrel" ("qid/docid").
    origins: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)
    # The part of the source this dataset is (e.g. one half of a split), or None: all of it.
    part: dict[str, Any] | None = None

    def note(self, kind: str, key: str, path: Path, line: int | None) -> None:
        """Remember where a record came from (the first place wins)."""
        self.origins.setdefault((kind, key), (str(path), line))

    def locate(self, error: ConflictError) -> InputError | ConflictError:
        """The store's refusal as an input error at the file and line of the first record
        it names (when this dataset knows where that was)."""
        for key in error.keys:
            origin = self.origins.get((error.what, key))
            if origin is None and error.what == "qrel":
                origin = self.origins.get(("query", key.split("/")[0]))
            if origin is not None:
                return InputError(error.message, origin[0], origin[1])
        return error

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


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file, a leading byte-order mark dropped.

    Lines are decoded one at a time, so bytes that are not UTF-8 stop with their own line
    (a text-mode file decodes ahead in chunks and cannot say where).
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                    f"{error.start + 1}); save the file as UTF-8",
                    path,
                    number,
                ) from None
            yield number, line.removeprefix("\ufeff") if number == 1 else line


def read_text(path: Path) -> str:
    """A whole UTF-8 text file (a leading byte-order mark dropped); bytes that are not UTF-8
    stop with their line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at column {column}); "
            "save the file as UTF-8",
            path,
            line,
        ) from None


def json_line(text: str, steps: Sequence[str | int]) -> int:
    """The line of ``text`` (a JSON document) where the value at ``steps`` begins, e.g.
    ``["data", 0, "paragraphs", 2]``; a step that does not exist stops at its parent.

    Only called to report an error: it parses with the pure-Python scanner, which can say
    where each object starts.
    """
    starts: dict[int, int] = {}
    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        value, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        starts[id(value)] = s_and_end[1] - 1
        return value, end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any) -> tuple[Any, int]:
        value, end = json.decoder.JSONArray(s_and_end, scan_once)  # type: ignore[attr-defined]
        starts[id(value)] = s_and_end[1] - 1
        return value, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.parse_array = parse_array  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    node: Any = decoder.decode(text)
    offset = starts.get(id(node), 0)
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        offset = starts.get(id(node), offset)
    return text.count("\n", 0, offset) + 1


# Grades and ids are stored as SQLite integers: signed 64 bits.
INT64 = range(-(2**63), 2**63)


def require_file(path: Path, missing: str = "no such file; check the path") -> None:
    """Refuse a folder given for a file, or a path that names nothing."""
    if path.is_dir():
        raise InputError("is a folder; give the path of a file", path)
    if not path.is_file():
        raise InputError(missing, path)


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a malformed line stops with its number."""
    require_file(path)
    empty = True
    for number, line in text_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            raise InputError(
                "JSON nested too deeply to read; expected one flat JSON object per line",
                path,
                number,
            ) from None
        except json.JSONDecodeError as error:
            raise InputError(
                f"malformed JSON ({error.msg} at column {error.colno}); "
                "expected one JSON object per line",
                path,
                number,
            ) from error
        if not isinstance(record, dict):
            raise InputError(f"expected a JSON object, found {type(record).__name__}", path, number)
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
