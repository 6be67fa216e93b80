"""Screens of the app, one per domain, and the dialogs they open.

:data:`SCREENS` is the one list of the app's screens, in tab order: the tabs, the number
keys, the app's modes and the help screen all read it. A screen's module is imported only
when the screen is first shown, so the app starts without loading them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from xqg_tui.app.screens.base import XQGScreen


class ScreenEntry(NamedTuple):
    """A screen: its mode name, its tab title and where its class lives."""

    name: str
    title: str
    module: str
    cls: str

    def load(self) -> type[XQGScreen]:
        """The screen class (imports its module)."""
        screen: type[XQGScreen] = getattr(import_module(self.module), self.cls)
        return screen


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("passages", "Passages", "xqg_tui.app.screens.passages", "PassagesScreen"),
    ScreenEntry("search", "Search", "xqg_tui.app.screens.search", "SearchScreen"),
    ScreenEntry("compare", "Compare", "xqg_tui.app.screens.compare", "CompareScreen"),
    ScreenEntry("runs", "Runs", "xqg_tui.app.screens.runs", "RunsScreen"),
    ScreenEntry("robustness", "Robustness", "xqg_tui.app.screens.robustness", "RobustnessScreen"),
)
