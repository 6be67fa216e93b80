"""Filling a DataTable with columns as wide as their widest cell.

Left to itself, a DataTable widens its columns to new rows later, on idle: a frame drawn in
between shows the columns at the width of their headers, cutting off numbers (and makes
screenshots depend on timing). Widths given up front avoid both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from xqg_tui.literal import literal

Row = tuple[str, Sequence[Text]]


def fill_table(
    table: DataTable[Any],
    headers: Sequence[tuple[str, str]],
    rows: Sequence[Row],
    *,
    max_width: int = 80,
) -> None:
    """Replace every column and row; ``headers`` are (key, label), rows are (key, cells)."""
    table.clear(columns=True)
    for position, (key, label) in enumerate(headers):
        header = literal(label, one_line=True)  # a run name: a str header would be markup
        widest = max([header.cell_len, *(row[position].cell_len for _, row in rows)])
        table.add_column(header, key=key, width=min(widest, max_width))
    for key, cells in rows:
        table.add_row(*cells, key=key)
