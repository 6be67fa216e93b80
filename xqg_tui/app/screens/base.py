"""What every screen of the app shares: the screen tabs on top, the keys at the bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.screen import Screen
from textual.widgets import DataTable, Input

if TYPE_CHECKING:
    from xqg_tui.app.app import XQGApp
    from xqg_tui.exports import ExportTable


class XQGScreen(Screen[None]):
    """A screen of the app; ``NAME`` is its mode, ``TITLE`` what the tabs and help call it."""

    NAME: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    # Keys that widgets on this screen handle themselves (shown on the help screen).
    WIDGET_KEYS: ClassVar[tuple[tuple[str, str], ...]] = ()

    @property
    def xqg(self) -> XQGApp:
        """The app, typed."""
        return cast("XQGApp", self.app)

    def on_mount(self) -> None:
        """Steady cursors when screenshots must be reproducible."""
        steady_inputs(self)

    def export_tables(self) -> list[ExportTable]:
        """What the screen shows, as tables for an export: by default every table on it,
        titled by the screen and the table's id."""
        return [
            table_export(f"{self.TITLE}: {table.id or 'table'}", table)
            for table in self.query(DataTable)
            if table.row_count
        ]


def table_export(title: str, table: DataTable[Any]) -> ExportTable:
    """A data table's columns and rows as plain text."""
    from xqg_tui.exports import ExportTable

    header = [plain_text(column.label) for column in table.ordered_columns]
    rows = [[plain_text(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]
    return ExportTable(title, header, rows)


def plain_text(cell: Any) -> str:
    """A cell's text without styles, on one line."""
    text = getattr(cell, "plain", cell)
    return " ".join(str(text).split())


def steady_inputs(screen: Screen[Any]) -> None:
    """Stop the text cursors of a screen blinking when the app runs deterministically."""
    if getattr(screen.app, "deterministic", False):
        for field in screen.query(Input):
            field.cursor_blink = False
