"""The app keeps working while another process writes a run into the same database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable, Static

from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, shown, synchronous, table_rows, wait_until
from xqg_tui.app.widgets.passage_view import PassageView

# Starts a generation run (committed at once), then writes 2,000 generated queries in one
# transaction and holds the write lock until told to commit.
WRITER = """
import sys
from store import open_store
from store.generations import add_generations
from store.records import GenerationRecord
from store.runs import finish_run, start_run

with open_store(sys.argv[1]) as store:
    run = start_run(store, "generate", "writer", {"source": "test"}, collection_id=1)
    with store.transaction():
        rows = [(p, "fi", i, f"kysymys {p} {i}") for p in range(1, 41) for i in range(50)]
        add_generations(store, run.id, [GenerationRecord(*row) for row in rows])
        print("locked", flush=True)
        sys.stdin.readline()
    finish_run(store, run.id, {"generations": 2000})
    print("done", flush=True)
"""


@synchronous
async def test_reading_while_a_pipeline_holds_the_write_lock(
    writable_db: Path, make_app: MakeApp
) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(writable_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    try:
        assert await asyncio.to_thread(writer.stdout.readline) == "locked\n"
        app = make_app(writable_db)  # opens while the other process holds the write lock
        async with app.run_test(size=SIZE) as pilot:
            count = app.screen.query_one("#passage-count", Static)
            await wait_until(pilot, lambda: shown(count) == "40 passages", timeout=10)
            await pilot.press("slash", *"Panthers")
            await wait_until(pilot, lambda: shown(count).endswith("of 40 match"), timeout=10)
            view = app.screen.query_one(PassageView)
            await wait_until(pilot, lambda: view.run_choices == ["demo-heldout (2)"], timeout=10)
            await pilot.press("escape", "4")
            table = app.screen.query_one("#runs-table", DataTable)
            await wait_until(pilot, lambda: table.row_count == 10, timeout=10)
            assert table_rows(table)[9][2:4] == ["writer", "running"]
            writer.stdin.write("commit\n")
            writer.stdin.flush()
            assert await asyncio.to_thread(writer.stdout.readline) == "done\n"
            await pilot.press("r")
            await wait_until(pilot, lambda: table_rows(table)[9][3] == "done", timeout=10)
            await pilot.press("1", "escape", "down", "up")
            await wait_until(
                pilot,
                lambda: view.run_choices == ["demo-heldout (2)", "writer (50)"],
                timeout=10,
            )
    finally:
        writer.stdin.close()
        assert writer.wait(timeout=30) == 0
