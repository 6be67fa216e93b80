"""One passage: its text, and its generated queries by language for one generation run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Select, Static

from pipelines.languages import LANGUAGE_NAMES
from xqg_tui.literal import literal, visible

if TYPE_CHECKING:
    from store.browse import Passage, PassageGenerations


class PassageView(Vertical):
    """The selected passage and the queries generated for it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._groups: dict[int, PassageGenerations] = {}

    @property
    def run_choices(self) -> list[str]:
        """The generation runs offered for this passage, as labelled in the chooser."""
        return [_run_label(group).plain for group in self._groups.values()]

    def compose(self) -> ComposeResult:
        """Header, text, the generation run chooser and the generated queries."""
        yield Static("No passage selected", id="passage-header")
        with VerticalScroll(id="passage-text-scroll"):
            yield Static(id="passage-text")
        with Horizontal(id="generation-bar"):
            yield Static("Generated queries", id="generation-title")
            yield Select[int]([], prompt="no generation run", id="generation-run")
        with VerticalScroll(id="generations-scroll"):
            yield Static(id="generations")

    def show(self, passage: Passage, groups: list[PassageGenerations]) -> None:
        """Show a passage; keep the chosen generation run when this passage has it too."""
        header = Text.assemble(
            literal(passage.docid, "bold", one_line=True),
            "  ",
            literal(passage.title, "italic", one_line=True),
            (f"  (id {passage.id})", "dim"),
        )
        self.query_one("#passage-header", Static).update(header)
        self.query_one("#passage-text", Static).update(literal(passage.text))
        self._groups = {group.run_id: group for group in groups}
        chooser = self.query_one("#generation-run", Select)
        previous = chooser.value
        with chooser.prevent(Select.Changed):
            chooser.set_options((_run_label(group), group.run_id) for group in groups)
            if groups:
                chooser.value = previous if previous in self._groups else groups[0].run_id
        self._show_generations(chooser.value)

    def clear(self, message: str) -> None:
        """Show no passage, only a message."""
        self.query_one("#passage-header", Static).update(literal(message))
        self.query_one("#passage-text", Static).update("")
        self._groups = {}
        with self.query_one("#generation-run", Select).prevent(Select.Changed):
            self.query_one("#generation-run", Select).set_options([])
        self.query_one("#generations", Static).update("")

    def step_run(self, step: int) -> None:
        """Choose the previous (-1) or next (+1) generation run."""
        chooser = self.query_one("#generation-run", Select)
        run_ids = list(self._groups)
        if not run_ids:
            return
        current = run_ids.index(chooser.value) if chooser.value in run_ids else 0
        chooser.value = run_ids[(current + step) % len(run_ids)]

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another generation run was chosen."""
        event.stop()
        self._show_generations(event.value)

    def _show_generations(self, run_id: object) -> None:
        target = self.query_one("#generations", Static)
        group = self._groups.get(run_id) if isinstance(run_id, int) else None
        target.update(generations_table(group) if group else Text("No generated queries", "dim"))


def _run_label(group: PassageGenerations) -> Text:
    return literal(f"{group.run_name} ({group.count})", one_line=True)


def generations_table(group: PassageGenerations) -> RenderableType:
    """Generated queries grouped by language, with counts."""
    table = Table(
        box=None,
        show_header=False,
        expand=True,
        padding=(0, 1),
        title=f"{group.count} queries in {len(group.by_language)} languages",
        title_justify="left",
        title_style="dim",
    )
    table.add_column("language", no_wrap=True, style="bold")
    table.add_column("queries", ratio=1)
    for language, texts in sorted(group.by_language.items()):
        name = LANGUAGE_NAMES.get(language, language)
        label = literal(f"{language} {name} ({len(texts)})", one_line=True)
        table.add_row(label, literal("\n".join(visible(text, one_line=True) for text in texts)))
    return table
