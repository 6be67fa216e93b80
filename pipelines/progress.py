"""How long steps report progress without knowing who shows it (terminal, app, nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, runtime_checkable

Advance = Callable[[int], None]
# Advances a counting task: (units done, counted items made), e.g. (passages, queries).
AdvanceCounted = Callable[[int, int], None]


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


@runtime_checkable
class CountingProgress(Protocol):
    """A progress sink that also shows a second count and its rate (optional capability)."""

    def counting_task(
        self, description: str, total: int, counted: str
    ) -> AbstractContextManager[AdvanceCounted]:
        """Show a task of ``total`` units that also counts ``counted`` items (e.g. queries)."""
        ...


@contextmanager
def counting_task(
    progress: Progress, description: str, total: int, counted: str
) -> Iterator[AdvanceCounted]:
    """A counting task on any sink; one without :class:`CountingProgress` shows the units."""
    if isinstance(progress, CountingProgress):
        with progress.counting_task(description, total, counted) as advance_counted:
            yield advance_counted
        return
    with progress.task(description, total) as advance:
        yield lambda units, _counted: advance(units)
