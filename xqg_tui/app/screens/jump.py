"""A small dialog asking for a passage's docid."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from xqg_tui.app.screens.base import steady_inputs


class JumpScreen(ModalScreen[str | None]):
    """Returns the docid typed (Enter) or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """A label and one input."""
        with Vertical(id="jump-dialog"):
            yield Label("Jump to passage: docid, then Enter (Escape cancels)")
            yield Input(placeholder="docid, e.g. Super_Bowl_50#3", id="jump-docid")

    def on_mount(self) -> None:
        """Type at once."""
        steady_inputs(self)
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the docid."""
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Return nothing."""
        self.dismiss(None)
