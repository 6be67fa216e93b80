"""The Runs screen: every run, failed and running ones too, with details on Enter."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from store import open_store
from store.runs import fail_run, finish_run, get_run, start_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, shown, synchronous, table_rows, text_of, wait_until
from xqg_tui.app.screens.run_detail import RunDetailScreen
from xqg_tui.app.screens.runs import MASKED_TIME

DEMO_RUNS = [
    ("ingest", "demo-ingest"),
    ("index", "demo-baseline"),
    ("generate", "demo-heldout"),
    ("augment", "demo-xqg-sum"),
    ("augment", "demo-xqg-mean"),
    ("search", "demo-search-baseline"),
    ("search", "demo-search-xqg-sum"),
    ("search", "demo-search-xqg-mean"),
    ("evaluate", "demo-eval"),
]


@synchronous
async def test_runs_show_status_parents_and_details(writable_db: Path, make_app: MakeApp) -> None:
    with open_store(writable_db) as store:
        base = get_run(store, "demo-baseline")
        broken = start_run(store, "augment", "broken", {"alpha": 0.5}, parents=[("index", base.id)])
        fail_run(store, broken.id, "CUDA out of memory")
        pending = start_run(store, "search", "pending", {"depth": 10}, parents=[("index", base.id)])
    app = make_app(writable_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        table = app.screen.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 11)
        rows = table_rows(table)
        assert [(row[1], row[2]) for row in rows] == [
            *DEMO_RUNS,
            ("augment", "broken"),
            ("search", "pending"),
        ]
        assert [row[3] for row in rows] == ["done"] * 9 + ["failed", "running"]
        assert all(row[4] == MASKED_TIME for row in rows)
        by_name = {row[2]: row for row in rows}
        assert by_name["demo-xqg-sum"][7] == "index:demo-baseline, generations:demo-heldout"
        assert by_name["broken"][8] == "alpha=0.5"
        status = app.screen.query_one("#runs-status", Static)
        assert shown(status).startswith("11 runs: 9 done  1 running  1 failed")
        table.move_cursor(row=9)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        details = text_of(app.screen.query_one(Static).content)
        assert "CUDA out of memory" in details
        assert "parents     index: demo-baseline" in details
        assert '"alpha": 0.5' in details
        await pilot.press("escape")
        table.move_cursor(row=1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        details = text_of(app.screen.query_one(Static).content)
        assert "broken" in details and "pending" in details and "demo-xqg-sum" in details
        await pilot.press("escape")
        with open_store(writable_db) as store:
            finish_run(store, pending.id, {"queries": 0})
        # Read again on its own within a few seconds, the cursor stays on its run.
        await wait_until(pilot, lambda: table_rows(table)[10][3] == "done", timeout=10)
        assert table.cursor_row == 1
        assert shown(status).startswith("11 runs: 10 done  0 running  1 failed")
