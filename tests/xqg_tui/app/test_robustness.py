"""The Robustness screen: per attack and language, clean and attacked scores of baseline and
xQG, their drops and the difference of drops, over a real robustness run (e5-small, XNLI)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import DataTable, Select, Static

from pipelines.robustness.evaluate import build_robustness_report
from store import open_store
from store.runs import get_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import (
    SIZE,
    posted,
    screen_name,
    shown,
    synchronous,
    table_rows,
    wait_until,
)
from xqg_tui.app.messages import RobustnessLoaded
from xqg_tui.robustness_report import attack_rows


@synchronous
async def test_every_attack_and_measure_of_the_newest_run(
    robustness_db: Path, make_app: MakeApp
) -> None:
    with open_store(robustness_db, create=False) as store:
        expected = build_robustness_report(store, get_run(store, "rob"))
    messages: list[Message] = []
    app = make_app(robustness_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("5")
        assert screen_name(app) == "robustness"
        await wait_until(pilot, lambda: bool(posted(messages, RobustnessLoaded)))
        table = app.screen.query_one("#drops", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        assert app.screen.query_one("#attack", Select).value == "char-noise"
        assert app.screen.query_one("#rob-measure", Select).value == "MRR@10"
        assert table_rows(table) == attack_rows(expected, "char-noise", "MRR@10")
        assert [row[0] for row in table_rows(table)] == ["de", "th", "zh", "all"]
        status = shown(app.screen.query_one("#robustness-status", Static))
        assert status.startswith("MRR@10 under char-noise (char-noise @ 0.3, seed 1)")
        summary = shown(app.screen.query_one("#robustness-summary", Static))
        assert summary.startswith("base: clean MRR@10") and "xqg: clean MRR@10" in summary
        await pilot.press("a")  # the next attack
        await wait_until(
            pilot, lambda: app.screen.query_one("#attack", Select).value == "contradiction"
        )
        await pilot.pause()
        assert table_rows(table) == attack_rows(expected, "contradiction", "MRR@10")
        await pilot.press("m")  # the next measure
        await pilot.pause()
        measure = app.screen.query_one("#rob-measure", Select).value
        order = expected.measures
        assert measure == order[(order.index("MRR@10") + 1) % len(order)]
        assert table_rows(table) == attack_rows(expected, "contradiction", str(measure))


@synchronous
async def test_a_database_without_robustness_runs_says_what_to_do(
    app_db: Path, make_app: MakeApp
) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        status = app.screen.query_one("#robustness-status", Static)
        await wait_until(pilot, lambda: "No robustness evaluation yet" in shown(status))
