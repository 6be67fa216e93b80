"""The help screen: every key of the app, read from the bindings themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

Section = tuple[str, list[tuple[str, str]]]
KeyDisplay = Callable[[Binding], str]

COMMON_KEYS: list[tuple[str, str]] = [
    ("Tab / Shift+Tab", "next / previous area"),
    ("↑ ↓ PgUp PgDn Home End", "move in tables and lists"),
    ("Space", "tick an item in a list of choices"),
    ("Enter", "open a drop-down; choose"),
    ("Escape", "close a dialog or this help"),
    ("mouse", "click tabs, rows and choices; scroll with the wheel"),
]


def binding_rows(bindings: Iterable[BindingType], key_display: KeyDisplay) -> list[tuple[str, str]]:
    """(keys, what they do) per action; keys bound to one action are listed together."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        keys = rows.setdefault((binding.action, binding.description), [])
        display = key_display(binding)
        if display not in keys:
            keys.append(display)
    return [(" / ".join(keys), description) for (_, description), keys in rows.items()]


def help_table(sections: list[Section]) -> Table:
    """One table, a titled block of rows per section."""
    table = Table(box=None, show_header=False, padding=(0, 2), expand=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("what it does")
    for position, (title, rows) in enumerate(sections):
        if position:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for keys, description in rows:
            table.add_row(keys, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key, by screen; any of Escape, q, ? or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close help"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        """The keys in a scrollable box."""
        with VerticalScroll(id="help-box"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(help_table(self.sections), id="help-keys")

    def action_close(self) -> None:
        """Back to the app."""
        self.dismiss(None)
