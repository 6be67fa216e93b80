"""Helpers to drive the app in tests: wait for a condition, read what is on screen."""

from __future__ import annotations

import asyncio
import functools
import io
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rich.console import Console
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

SIZE = (140, 40)


def synchronous(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (no async plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Let the app run until ``condition`` holds (workers report asynchronously)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await pilot.pause(0.02)


M = TypeVar("M", bound=Message)


def posted(messages: list[Message], kind: type[M]) -> list[M]:
    """Messages of one kind, once each (a bubbling message reaches several pumps)."""
    unique = {id(m): m for m in messages if isinstance(m, kind)}
    return list(unique.values())


def screen_name(app: Any) -> str:
    """The name of the screen the app shows (passages, search, compare, runs)."""
    return str(getattr(app.screen, "NAME", ""))


def text_of(renderable: Any, width: int = 200) -> str:
    """Plain text of anything rich can print."""
    buffer = io.StringIO()
    Console(width=width, file=buffer, color_system=None).print(renderable)
    return buffer.getvalue()


def shown(widget: Static) -> str:
    """What a Static shows, as plain text."""
    return text_of(widget.content).strip()


def table_rows(table: DataTable[Any]) -> list[list[str]]:
    """Every row of a table as plain strings."""
    return [
        [text_of(cell).rstrip("\n") for cell in table.get_row_at(row)]
        for row in range(table.row_count)
    ]
