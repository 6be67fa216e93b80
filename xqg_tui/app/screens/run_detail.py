"""Everything a run record says: parameters, versions, summary, error, parents, children."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from xqg_tui.literal import literal

if TYPE_CHECKING:
    from store.browse import RunOverview


class RunDetailScreen(ModalScreen[None]):
    """One run in full; Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close"),
    ]

    def __init__(self, run: RunOverview, children: list[RunOverview], *, masked: bool) -> None:
        super().__init__()
        self.run = run
        self.children_runs = children
        self.masked = masked

    def compose(self) -> ComposeResult:
        """A scrollable page about the run."""
        with VerticalScroll(id="run-detail"):
            yield Static(run_details(self.run, self.children_runs, masked=self.masked))

    def action_close(self) -> None:
        """Back to the runs."""
        self.dismiss(None)


def run_details(run: RunOverview, children: list[RunOverview], *, masked: bool) -> Group:
    """The run as a small table of fields, then its JSON fields."""
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    ended = run.ended_at or "still running"
    for name, value in (
        ("run", f"{run.name} (id {run.id})"),
        ("kind", run.kind),
        ("status", run.status),
        ("collection", run.collection or "-"),
        ("started", "masked" if masked else run.started_at),
        ("ended", "masked" if masked else ended),
        ("parents", ", ".join(f"{p.role}: {p.name}" for p in run.parents) or "-"),
        ("children", ", ".join(child.name for child in children) or "-"),
    ):
        fields.add_row(name, literal(value, one_line=True))
    parts: list[RenderableType] = [
        literal(f"{run.kind} run {run.name}", "bold underline", one_line=True),
        fields,
    ]
    if run.error:
        parts += [Text("\nerror", style="bold red"), literal(run.error, "red")]
    versions: Any = "masked" if masked else run.versions
    blocks = (("params", run.params), ("summary", run.summary), ("versions", versions))
    for title, block in blocks:
        parts += [Text(f"\n{title}", style="bold"), _json(block)]
    return Group(*parts)


def _json(value: Any) -> Syntax:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return Syntax(text, "json", word_wrap=True, background_color="default")
