"""Queries a system helped (or hurt) most against the baseline; Enter searches one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from xqg_tui.app.widgets.tables import fill_table
from xqg_tui.literal import literal
from xqg_tui.report import delta_text, value_text

COLUMNS = ("lang", "base", "xQG", "Δ", "query")

if TYPE_CHECKING:
    from store.browse import QueryDelta


class QueryDeltaTable(DataTable[Text]):
    """One query per row: language, baseline value, system value, delta and the text."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.deltas: dict[int, QueryDelta] = {}
        self.measure = ""

    def on_mount(self) -> None:
        """The columns, before any query is listed."""
        self.show([], "")

    def show(self, deltas: list[QueryDelta], measure: str) -> None:
        """Replace the rows."""
        self.measure = measure
        self.deltas = {delta.query_id: delta for delta in deltas}
        rows = [
            (
                str(delta.query_id),
                [
                    literal(delta.language, one_line=True),
                    Text(value_text(measure, delta.baseline), justify="right"),
                    Text(value_text(measure, delta.system), justify="right"),
                    Text(
                        delta_text(measure, delta.delta),
                        style="green" if delta.delta > 0 else "red",
                        justify="right",
                    ),
                    literal(delta.text, one_line=True),
                ],
            )
            for delta in deltas
        ]
        fill_table(self, [(column, column) for column in COLUMNS], rows)

    def delta_at(self, row_key: str | None) -> QueryDelta | None:
        """The query of a row."""
        return None if row_key is None else self.deltas.get(int(row_key))
