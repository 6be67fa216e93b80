"""Data files and database tables as the ingest tests read them (fixtures: conftest.py)."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Cli = Callable[..., tuple[int, str, str]]
Sql = Callable[..., list[tuple[Any, ...]]]
# Runs ``xqg ARGS --db DB``, checks the bad-input contract, returns the exit code (2).
ExpectBadInput = Callable[[list[str], str], int]

TABLES = ("collections", "passages", "queries", "qrels", "answers")
UNKNOWN_LANGUAGE = "expected an ISO 639-1 code such as ar, bn, de, en, fi, ja, ko, ru, te, zh"
Rows = list[Any]
BreakRows = Callable[[Rows], None]


def expect_broken_rows(
    expect_bad_input: ExpectBadInput,
    command: str,
    path: Path,
    rows: Rows,
    breaks: BreakRows,
    message: str,
) -> None:
    """Break ``rows``, write them as JSON lines to ``path``; ``xqg ingest COMMAND PATH`` must
    refuse the file with ``PATH`` followed by ``message``."""
    breaks(rows)
    write_jsonl(path, rows)
    expect_bad_input(["ingest", command, str(path)], f"{path}{message}")


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows per data table."""
    conn = sqlite3.connect(db_path)
    try:
        # Table names cannot be parameters; these come from the fixed TABLES.
        counts = {t: 'SELECT count(*) FROM "' + t + '"' for t in TABLES}
        return {t: conn.execute(sql).fetchone()[0] for t, sql in counts.items()}
    finally:
        conn.close()


def last_run(db_path: Path) -> dict[str, Any]:
    """The newest run record, its JSON columns decoded."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        row = dict(conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone())
    finally:
        conn.close()
    row["params"] = json.loads(row["params"])
    row["summary"] = json.loads(row["summary"])
    return row


def assert_reingest_adds_nothing(
    cli: Cli, args: tuple[str | Path, ...], db_path: Path, counts: dict[str, int]
) -> None:
    """Ingest the same data again: it succeeds quietly, adds no row, and says so in its run."""
    code, _, err = cli(*args)

    assert (code, err) == (0, "")
    assert last_run(db_path)["summary"]["added"] == {
        "passages": 0,
        "queries": 0,
        "qrels": 0,
        "answers": 0,
    }
    assert table_counts(db_path) == counts


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    """One JSON value per line (non-ASCII text kept as is, as real files have it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


@functools.cache
def _xquad(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def xquad_paragraphs(shared_data: Path, lang: str, article: int = 0) -> list[dict[str, Any]]:
    """The paragraphs (context and qas) of one article of a real XQuAD file, fresh copies."""
    document = json.loads(_xquad(shared_data / "xquad" / f"xquad.{lang}.json"))
    paragraphs: list[dict[str, Any]] = document["data"][article]["paragraphs"]
    return paragraphs
