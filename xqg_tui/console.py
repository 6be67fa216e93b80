"""Terminal output for commands: rich progress bars and notes on standard error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipelines.progress import Advance

err = Console(stderr=True)
out = Console()


class RateColumn(TextColumn):
    """Items per second, the unit a retrieval engineer reads."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        """Render the current speed."""
        speed = task.finished_speed or task.speed
        return self.text_format if speed is None else f"{speed:,.1f}/s"


class TerminalProgress:
    """A :class:`pipelines.progress.Progress` that draws rich bars on standard error."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Show a bar with count, rate and time left."""
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bars:
            task_id = bars.add_task(description, total=total)
            yield lambda n: bars.advance(task_id, n)

    def note(self, message: str) -> None:
        """Print a note; warnings stand out."""
        style = "bold yellow" if message.startswith("WARNING") else "dim"
        err.print(message, style=style)
