"""What a screen of the app shows, as TSV or Markdown: for a file or the clipboard.

Cells are data (passage titles, queries, run names): each is written on one line with its
control characters visible (:func:`xqg_tui.literal.visible`), so a cell cannot break a row,
add a column or reach a terminal raw; Markdown also escapes ``|`` and ``\\``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

from xqg_tui.literal import visible

Format = Literal["tsv", "md"]
FORMATS: tuple[Format, ...] = ("tsv", "md")


class ExportTable(NamedTuple):
    """One table of a view: a title, the column names and the rows, as plain text."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


def _cell(value: object) -> str:
    return visible(value, one_line=True)


def to_tsv(tables: Sequence[ExportTable]) -> str:
    """Each table as a ``# title`` line, a header row and its rows, tab-separated; tables
    apart by an empty line. A tab in a cell becomes ``\\x09`` (one line, one column)."""
    blocks = []
    for table in tables:
        lines = [f"# {_cell(table.title)}", "\t".join(map(_cell, table.header))]
        lines += ["\t".join(map(_cell, row)) for row in table.rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _md_cell(value: object) -> str:
    return _cell(value).replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(tables: Sequence[ExportTable]) -> str:
    """Each table as a ``## title`` heading and a pipe table."""
    blocks = []
    for table in tables:
        lines = [
            f"## {_md_cell(table.title)}",
            "",
            "| " + " | ".join(map(_md_cell, table.header)) + " |",
            "|" + "---|" * len(table.header),
        ]
        lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def render(tables: Sequence[ExportTable], kind: Format) -> str:
    """The tables as TSV or Markdown."""
    return to_tsv(tables) if kind == "tsv" else to_markdown(tables)


def write_export(tables: Sequence[ExportTable], kind: Format, folder: Path, view: str) -> Path:
    """Write the tables to ``xqg-<view>-<time>.<tsv|md>`` in ``folder``; returns the path.

    Written beside the target and renamed, so the file appears whole or not at all.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"xqg-{view}-{stamp}.{kind}"
    number = 2
    while path.exists():
        path = folder / f"xqg-{view}-{stamp}-{number}.{kind}"
        number += 1
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(render(tables, kind), encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
