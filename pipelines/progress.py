"""How long steps report progress without knowing who shows it (terminal, app, nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Opens a task with a total; the task is advanced by calling the yielded function."""

    def task(self, description: str, total: int) -> AbstractContextManager[Advance]:
        """Show a task of ``total`` units until the block ends."""
        ...

    def note(self, message: str) -> None:
        """Say something worth a line (a warning, a skipped step)."""
        ...


class Silent:
    """A progress sink that shows nothing (library use, tests)."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Ignore the task."""
        yield lambda _: None

    def note(self, message: str) -> None:
        """Ignore the note."""


SILENT: Progress = Silent()
