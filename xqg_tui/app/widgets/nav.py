"""Tabs naming the screens: a mouse user clicks one, a keyboard user presses its number."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Tab, Tabs

from xqg_tui.app.messages import SwitchScreen
from xqg_tui.app.screens import SCREENS
from xqg_tui.literal import literal


class ScreenTabs(Tabs, can_focus=False):
    """The screen tabs, with the current screen active."""

    def __init__(self, current: str) -> None:
        tabs = [
            Tab(f"{number} {title}", id=name)
            for number, (name, title, _, _) in enumerate(SCREENS, start=1)
        ]
        super().__init__(*tabs, active=current)
        self.current = current

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Ask for the clicked screen; this screen's tab stays the active one here."""
        event.stop()
        if event.tab.id and event.tab.id != self.current:
            self.post_message(SwitchScreen(event.tab.id))
            with self.prevent(Tabs.TabActivated):
                self.active = self.current


class TopBar(Horizontal):
    """The screen tabs and the name of the open database."""

    def __init__(self, current: str, database: str) -> None:
        super().__init__(id="top-bar")
        self.current = current
        self.database = database

    def compose(self) -> ComposeResult:
        """Tabs on the left, the database on the right."""
        yield ScreenTabs(self.current)
        yield Static(literal(self.database, one_line=True), id="database-name")
