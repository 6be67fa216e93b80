"""What every screen of the app shares: the screen tabs on top, the keys at the bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.screen import Screen
from textual.widgets import Input

if TYPE_CHECKING:
    from xqg_tui.app.app import XQGApp


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


def steady_inputs(screen: Screen[Any]) -> None:
    """Stop the text cursors of a screen blinking when the app runs deterministically."""
    if getattr(screen.app, "deterministic", False):
        for field in screen.query(Input):
            field.cursor_blink = False
