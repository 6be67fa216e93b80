"""Regenerate the README's screenshots of the terminal app (SVG, Textual's own export).

Run after `make demo` (and, for the Robustness screen, a robustness experiment such as the
README's XNLI one):

    .venv/bin/python docs/screenshots/make_screenshots.py [demo/xqg.db [xnli.db]]
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from xqg_tui.app.app import XQGApp
from xqg_tui.app.library import Library
from xqg_tui.app.widgets.passage_view import PassageView
from xqg_tui.app.widgets.query_deltas import QueryDeltaTable

HERE = Path(__file__).resolve().parent
SIZE = (150, 42)
QUESTION = "Wie viele Punkte gab die Verteidigung der Panthers ab?"


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 60) -> None:
    """Let the app work until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.05)


async def passages(pilot: Pilot[Any]) -> None:
    """The first passages, one selected with its generated queries."""
    view = pilot.app.screen.query_one(PassageView)
    await until(pilot, lambda: bool(view.run_choices))
    await pilot.press("down", "down", "down")
    await pilot.pause(0.5)


async def search(pilot: Pilot[Any]) -> None:
    """A German evaluation question against the baseline and both xQG indexes."""
    await pilot.press("2")
    status = pilot.app.screen.query_one("#search-status", Static)
    await until(pilot, lambda: str(status.content).startswith("Ready"))
    await pilot.press(*QUESTION, "enter")
    await until(pilot, lambda: "total" in str(status.content))


async def compare(pilot: Pilot[Any]) -> None:
    """Per-language MRR@10 with deltas, the chart, helped and hurt queries in Arabic."""
    await pilot.press("3")
    helped = pilot.app.screen.query_one("#helped", QueryDeltaTable)
    await until(pilot, lambda: helped.row_count > 0)


async def robustness(pilot: Pilot[Any]) -> None:
    """Clean and attacked MRR@10 per language for baseline and xQG under one attack."""
    await pilot.press("5")
    table = pilot.app.screen.query_one("#drops", DataTable)
    await until(pilot, lambda: table.row_count > 0)


async def runs(pilot: Pilot[Any]) -> None:
    """Every run of the demo."""
    await pilot.press("4")
    table = pilot.app.screen.query_one("#runs-table", DataTable)
    await until(pilot, lambda: table.row_count > 0)


async def keys(pilot: Pilot[Any]) -> None:
    """The help screen."""
    await passages(pilot)
    await pilot.press("question_mark")


SHOTS: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "passages": passages,
    "search": search,
    "compare": compare,
    "runs": runs,
    "keys": keys,
}


async def shoot(database: Path, name: str, steps: Callable[[Pilot[Any]], Awaitable[None]]) -> None:
    """One screenshot into this folder."""
    library = Library.open(database)
    app = XQGApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot)
        await pilot.pause(0.3)
        svg = app.export_screenshot(title=f"xqg tui: {name}", simplify=True)
        (HERE / f"{name}.svg").write_text(svg, encoding="utf-8")
    library.close()


def main() -> None:
    """Every screenshot."""
    database = Path(sys.argv[1] if len(sys.argv) > 1 else "demo/xqg.db")
    for name, steps in SHOTS.items():
        asyncio.run(shoot(database, name, steps))
        print(HERE / f"{name}.svg")
    if len(sys.argv) > 2:
        asyncio.run(shoot(Path(sys.argv[2]), "robustness", robustness))
        print(HERE / "robustness.svg")


if __name__ == "__main__":
    main()
