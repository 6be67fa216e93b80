"""Snapshots of every screen (pytest-textual-snapshot), deterministic: no cursor blink, fixed
size, clock times and latencies masked, and the screens that show scores over a database
encoded with float32 torch (``snapshot_db``), whose scores are the same on every machine.
Update with ``pytest --snapshot-update`` after looking at the report of what changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from store import open_store
from store.collections import get_queries
from store.results import get_results
from store.runs import get_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, screen_name, shown, wait_until
from xqg_tui.app.widgets.passage_view import PassageView
from xqg_tui.app.widgets.ranking import RankingColumn

SnapCompare = Callable[..., bool]


def _german_question(path: Path) -> str:
    with open_store(path, create=False) as store:
        searched = get_results(store, get_run(store, "demo-search-baseline").id, depth=1)
        return next(q.text for q in get_queries(store, 1, languages=["de"]) if q.id in searched)


async def _passages_ready(pilot: Pilot[Any]) -> None:
    view = pilot.app.screen.query_one(PassageView)
    await wait_until(pilot, lambda: view.run_choices == ["demo-heldout (2)"])


def test_passages_screen(app_db: Path, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(app_db), terminal_size=SIZE, run_before=_passages_ready)


def test_passages_screen_filtered_in_the_light_theme(
    app_db: Path, make_app: MakeApp, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+t", "slash", *"Broncos")
        count = pilot.app.screen.query_one("#passage-count", Static)
        await wait_until(pilot, lambda: shown(count).endswith("of 40 match"))
        await _passages_ready(pilot)

    assert snap_compare(make_app(app_db), terminal_size=SIZE, run_before=run_before)


def test_search_screen(snapshot_db: Path, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    question = _german_question(snapshot_db)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        status = pilot.app.screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: shown(status).startswith("Ready"))
        await pilot.press("slash", *question, "enter")
        await wait_until(pilot, lambda: "latency masked" in shown(status))
        await wait_until(pilot, lambda: len(pilot.app.screen.query(RankingColumn)) == 3)

    assert snap_compare(make_app(snapshot_db), terminal_size=SIZE, run_before=run_before)


def test_compare_screen(snapshot_db: Path, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("3")
        title = pilot.app.screen.query_one("#deltas-title", Static)
        await wait_until(pilot, lambda: " · de " in shown(title))

    assert snap_compare(make_app(snapshot_db), terminal_size=SIZE, run_before=run_before)


def test_runs_screen(app_db: Path, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("4")
        table = pilot.app.screen.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 9)

    assert snap_compare(make_app(app_db), terminal_size=SIZE, run_before=run_before)


def test_help_screen(app_db: Path, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _passages_ready(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(pilot.app) == "")

    assert snap_compare(make_app(app_db), terminal_size=SIZE, run_before=run_before)
