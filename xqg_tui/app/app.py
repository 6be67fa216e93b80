"""The xqg terminal app: five screens over one database, keyboard first.

Each screen is a Textual mode, so switching keeps its state. Screens other than Passages are
built (and their heavy imports made) the first time they are shown, which keeps startup
short; the search engine loads its model in a worker when the Search screen first opens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from xqg_tui.app.library import Library
from xqg_tui.app.messages import OpenPassage, OpenQuery, SwitchScreen
from xqg_tui.app.screens import SCREENS, ScreenEntry
from xqg_tui.app.screens.base import XQGScreen
from xqg_tui.app.screens.help import COMMON_KEYS, HelpScreen, Section, binding_rows
from xqg_tui.app.screens.passages import PassagesScreen
from xqg_tui.app.widgets.passage_list import PassageList
from xqg_tui.exports import ExportTable, Format, to_markdown, write_export

if TYPE_CHECKING:
    from xqg_tui.app.engine import SearchEngine
    from xqg_tui.app.screens.search import SearchScreen


WARM_UP_AFTER_S = 0.5
EXPORTS: tuple[tuple[Format, str], ...] = (("tsv", "TSV"), ("md", "Markdown"))


def _mode(entry: ScreenEntry) -> Callable[[], Screen[None]]:
    """A mode's screen factory: the screen's module is imported when it is first shown."""
    return lambda: entry.load()()


def screen_classes() -> dict[str, type[XQGScreen]]:
    """Mode name -> screen class, in tab order (imports every screen)."""
    return {entry.name: entry.load() for entry in SCREENS}


class XQGApp(App[None]):
    """Browse passages and generations, search in any language, compare runs, watch runs.

    ``deterministic`` makes every frame reproducible (for snapshot tests): no cursor blink,
    no latencies, no clock times.
    """

    CSS_PATH = "xqg.tcss"
    TITLE = "xqg"
    DEFAULT_MODE = "passages"
    MODES: ClassVar = {entry.name: _mode(entry) for entry in SCREENS}
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(number), f"show('{name}')", title, show=False)
            for number, (name, title, _, _) in enumerate(SCREENS, start=1)
        ),
        # A screen's own `/` (Passages: filter, Search: query) comes first; elsewhere `/`
        # opens Search with the query box focused.
        Binding("slash", "find", "Search", show=False),
        Binding("question_mark", "help", "Keys"),
        Binding("f1", "help", "Keys", show=False),
        Binding("ctrl+t", "toggle_theme", "Dark/light"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, library: Library, *, deterministic: bool = False, export_folder: Path | None = None
    ) -> None:
        super().__init__()
        self.library = library
        self.deterministic = deterministic
        # Where "Export view" writes its files (default: the folder the app started in).
        self.export_folder = export_folder or Path.cwd()
        self._engine: SearchEngine | None = None
        self._engine_lock = threading.Lock()

    def on_mount(self) -> None:
        """Once the first screen is drawn, import the other screens in the background."""
        self.set_timer(WARM_UP_AFTER_S, self._warm_up)

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        # numpy, scipy and the search code take a second to import: do it before the user
        # opens Search or Compare, not when they do (an import would freeze the screen).
        screen_classes()
        import xqg_tui.app.engine  # noqa: F401

    @property
    def engine(self) -> SearchEngine:
        """The search engine (created on first use, from any thread)."""
        with self._engine_lock:
            if self._engine is None:
                from xqg_tui.app.engine import SearchEngine

                self._engine = SearchEngine(self.library)
            return self._engine

    async def action_show(self, name: str) -> None:
        """Show a screen: passages, search, compare, runs or robustness."""
        if not self.screen.is_modal:
            await self.switch_mode(name)

    async def action_find(self) -> None:
        """Go to the Search screen and focus its query box."""
        if self.screen.is_modal:
            return
        await self.switch_mode("search")
        self.call_after_refresh(self.screen.run_action, "focus_query")

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def help_sections(self) -> list[Section]:
        """Every key of the app, by where it works."""
        general = [
            b for b in Binding.make_bindings(self.BINDINGS) if not b.action.startswith("show")
        ]
        everywhere = binding_rows(general, self.get_key_display)
        everywhere.insert(0, ("1 2 3 4 5", "Passages, Search, Compare, Runs, Robustness"))
        everywhere += [("^p", "command palette: every screen and action"), ("^q", "quit")]
        sections: list[Section] = [("Everywhere", everywhere)]
        for name, screen in screen_classes().items():
            rows = binding_rows(screen.BINDINGS, self.get_key_display) + list(screen.WIDGET_KEYS)
            if name == "passages":
                rows += binding_rows(PassageList.BINDINGS, self.get_key_display)
            sections.append((screen.TITLE, rows))
        sections.append(("Tables, lists and dialogs", COMMON_KEYS))
        return sections

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: every screen, every screen's actions, the theme, the keys."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Toggle dark/light theme", "Switch theme", self.action_toggle_theme)
        yield SystemCommand("Show keys (help)", "Every key of the app", self.action_help)
        for kind, name in EXPORTS:
            yield SystemCommand(
                f"Export view as {name}",
                f"Write the tables of this screen to a .{kind} file in {self.export_folder}",
                partial(self.export_view, screen, kind),
            )
        yield SystemCommand(
            "Copy view to the clipboard (Markdown)",
            "The tables of this screen, where the terminal allows (OSC 52)",
            partial(self.copy_view, screen),
        )
        for name, screen_class in screen_classes().items():
            title = screen_class.TITLE
            yield SystemCommand(
                f"Go to {title}", f"Show the {title} screen", partial(self._go, name)
            )
            for binding in Binding.make_bindings(screen_class.BINDINGS):
                if binding.description:
                    yield SystemCommand(
                        f"{title}: {binding.description}",
                        f"On the {title} screen ({self.get_key_display(binding)})",
                        partial(self._go, name, binding.action),
                    )

    def _view(self, screen: Screen[object]) -> list[ExportTable]:
        tables = screen.export_tables() if isinstance(screen, XQGScreen) else []
        if not tables:
            self.notify("Nothing to export on this screen yet.", severity="warning")
        return tables

    def export_view(self, screen: Screen[object], kind: Format) -> Path | None:
        """Write what ``screen`` shows (search results, compare table, query lists) to a
        TSV or Markdown file; returns its path (None when the screen shows no table)."""
        tables = self._view(screen)
        if not tables:
            return None
        try:
            path = write_export(tables, kind, self.export_folder, str(getattr(screen, "NAME", "")))
        except OSError as error:
            self.notify(f"Could not write the export: {error}", severity="error", markup=False)
            return None
        self.notify(f"Wrote {len(tables)} table(s) to {path}", markup=False)
        return path

    def copy_view(self, screen: Screen[object]) -> None:
        """Copy what ``screen`` shows as Markdown tables to the clipboard (OSC 52: where
        the terminal allows it)."""
        tables = self._view(screen)
        if tables:
            self.copy_to_clipboard(to_markdown(tables))
            self.notify(
                f"Copied {len(tables)} table(s) as Markdown (if your terminal allows OSC 52)"
            )

    async def _go(self, name: str, action: str | None = None) -> None:
        await self.switch_mode(name)
        if action is not None:
            await self.run_action(action, self.screen)

    async def on_switch_screen(self, message: SwitchScreen) -> None:
        """A tab was clicked."""
        await self.switch_mode(message.name)

    async def on_open_passage(self, message: OpenPassage) -> None:
        """Show a passage on the Passages screen."""
        await self.switch_mode("passages")
        cast(PassagesScreen, self.screen).open_passage(message.passage_id)

    async def on_open_query(self, message: OpenQuery) -> None:
        """Search a query on the Search screen."""
        await self.switch_mode("search")
        screen = cast("SearchScreen", self.screen)
        screen.run_query(message.text, message.language, message.index_run_ids)
