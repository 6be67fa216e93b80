"""Terminal output for commands: rich progress bars and notes on standard error."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipelines.progress import Advance, AdvanceCounted
from xqg_tui.literal import visible


class LiteralConsole(Console):
    """A console on which every string is literal: no markup, no emoji codes, no
    highlighting, control characters shown as escapes (run names, ids, passages and error
    details are data). Styled output is built from :class:`~rich.text.Text` instead."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **options)

    def render_str(self, text: str, **options: Any) -> Any:
        """A string (printed, or a table cell or title) as literal text."""
        options.update(markup=False, emoji=False, highlight=False)
        return super().render_str(visible(text), **options)


# Written to a file or a pipe, a table gets the width it needs rather than rich's 80
# columns, which would cut values and significance marks to "…".
WIDE = 200
err = LiteralConsole(stderr=True)
out = (
    LiteralConsole()
    if sys.stdout.isatty() or "COLUMNS" in os.environ
    else LiteralConsole(width=WIDE)
)


def print_table(table: Any) -> None:
    """Print a table; one wider than the terminal wraps its cells instead of cutting them."""
    if out.measure(table).maximum > out.width:
        for column in table.columns:
            column.overflow = "fold"
    out.print(table)


def marked(mark: str, style: str, message: object) -> Any:
    """``mark message`` with the mark styled and the message literal (it quotes data)."""
    from rich.text import Text

    from xqg_tui.literal import literal

    return Text.assemble((mark, style), " ", literal(message))


class RateColumn(TextColumn):
    """Items per second, the unit a retrieval engineer reads."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        """Render the current speed."""
        speed = task.finished_speed or task.speed
        return self.text_format if speed is None else f"{speed:,.1f}/s"


class CountedColumn(TextColumn):
    """The second count of a counting task and its rate, e.g. ``1,750 queries 412.3/s``."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        """Render the count and its average rate so far."""
        count, name = task.fields.get("counted", 0), task.fields.get("counted_name", "")
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = f" {count / elapsed:,.1f}/s" if elapsed else ""
        return f"{count:,} {name}{rate}"


class TerminalProgress:
    """A :class:`pipelines.progress.Progress` that draws rich bars on standard error (or on
    ``console``)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or err

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Show a bar with count, rate and time left."""
        columns = (
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as bars:
            task_id = bars.add_task(visible(description, one_line=True), total=total)
            yield lambda n: bars.advance(task_id, n)

    @contextmanager
    def counting_task(self, description: str, total: int, counted: str) -> Iterator[AdvanceCounted]:
        """A bar of units with their rate and time left, plus a second count and its rate."""
        columns = (
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            CountedColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as bars:
            task_id = bars.add_task(
                visible(description, one_line=True), total=total, counted=0, counted_name=counted
            )
            made = 0

            def advance(units: int, items: int) -> None:
                nonlocal made
                made += items
                bars.update(task_id, advance=units, counted=made)

            yield advance

    @contextmanager
    def stage(self, description: str) -> Iterator[None]:
        """A spinner with the time elapsed, for a step that cannot count its work."""
        columns = (SpinnerColumn(), TextColumn("{task.description}", markup=False))
        with Progress(*columns, TimeElapsedColumn(), console=self.console, transient=False) as bars:
            bars.add_task(visible(description, one_line=True), total=None)
            yield

    def note(self, message: str) -> None:
        """Print a note; warnings stand out."""
        style = "bold yellow" if message.startswith("WARNING") else "dim"
        self.console.print(message, style=style)


# A plain progress line at most this often, and at every tenth of the work.
PLAIN_EVERY_S = 10.0


class PlainProgress:
    """Progress as whole lines on standard error, for a log file or a pipe: no bars, no
    escape codes, one line at the start, one per tenth of the work (at most one per
    :data:`PLAIN_EVERY_S` seconds) and one at the end."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Lines of ``description: done/total (percent), rate/s``."""
        with self.counting_task(description, total, "") as advance_counted:
            yield lambda units: advance_counted(units, 0)

    @contextmanager
    def counting_task(self, description: str, total: int, counted: str) -> Iterator[AdvanceCounted]:
        """As :meth:`task`, with a second count (e.g. queries) and its rate."""
        name = visible(description, one_line=True)
        started = last = time.monotonic()
        done = made = 0
        tenth = 0
        _line(f"{name}: 0/{total:,}")

        def state() -> str:
            elapsed = max(time.monotonic() - started, 1e-9)
            share = f" ({100 * done // total}%)" if total else ""
            extra = f", {made:,} {counted} ({made / elapsed:,.1f}/s)" if counted else ""
            return f"{done:,}/{total:,}{share}, {done / elapsed:,.1f}/s{extra}"

        def advance(units: int, items: int) -> None:
            nonlocal done, made, last, tenth
            done, made = done + units, made + items
            now = time.monotonic()
            reached = 10 * done // total if total else 0
            if reached > tenth and now - last >= PLAIN_EVERY_S:
                tenth, last = reached, now
                _line(f"{name}: {state()}")

        yield advance
        _line(f"{name}: done, {state()} in {time.monotonic() - started:,.1f} s")

    @contextmanager
    def stage(self, description: str) -> Iterator[None]:
        """A line with the step's wall time when it ends (none when it fails: the error
        says why)."""
        name = visible(description, one_line=True)
        started = time.monotonic()
        yield
        _line(f"{name}: done in {time.monotonic() - started:,.1f} s")

    def note(self, message: str) -> None:
        """Print a note as one line."""
        _line(message)


def _line(text: str) -> None:
    """One whole line on standard error (never wrapped or cut at a width)."""
    err.print(text, soft_wrap=True)


def command_progress() -> TerminalProgress | PlainProgress:
    """Bars when standard error is a terminal, plain lines otherwise."""
    return TerminalProgress() if err.is_terminal else PlainProgress()
