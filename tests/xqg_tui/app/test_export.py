"""Export of the current view from the command palette: search results, the compare table
and the query lists, to TSV and Markdown files and to the clipboard."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import Static

from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, posted, shown, synchronous, wait_until
from tests.xqg_tui.app.test_search import SHOWN, _stored
from xqg_tui.app.messages import DeltasLoaded, SearchRendered


@synchronous
async def test_search_results_export_from_the_palette_and_copy(
    app_db: Path, make_app: MakeApp, tmp_path: Path
) -> None:
    query, stored, docids, relevant, _ = _stored(app_db)
    messages: list[Message] = []
    app = make_app(app_db)
    app.export_folder = tmp_path
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        status = app.screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: shown(status).startswith("Ready"))
        await pilot.press("slash", *query.text, "enter")
        await wait_until(pilot, lambda: bool(posted(messages, SearchRendered)))
        await pilot.press("ctrl+p", *"export view as tsv")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(list(tmp_path.glob("xqg-search-*.tsv"))))
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Copy view to the clipboard (Markdown)"].callback()
        copied = app.clipboard
    (path,) = tmp_path.glob("xqg-search-*.tsv")
    blocks = path.read_text("utf-8").split("\n\n")
    assert len(blocks) == 3  # baseline, xqg-sum, xqg-mean
    lines = blocks[0].splitlines()
    assert lines[0] == f"# demo-baseline: {query.text} (de)"
    assert lines[1] == "rank\tbaseline rank\tdocid\ttitle\tscore\trelevant"
    rows = [line.split("\t") for line in lines[2:]]
    assert len(rows) == SHOWN
    assert [row[2] for row in rows] == [docids[pid] for pid, _ in stored["baseline"][:SHOWN]]
    assert [row[4] for row in rows] == [f"{score:.4f}" for _, score in stored["baseline"][:SHOWN]]
    assert [row[5] == "yes" for row in rows] == [
        pid in relevant for pid, _ in stored["baseline"][:SHOWN]
    ]
    assert copied.startswith(f"## demo-baseline: {query.text} (de)\n\n| rank | baseline rank |")
    assert copied.count("\n## ") == 2


@synchronous
async def test_the_compare_view_exports_its_table_and_query_lists(
    app_db: Path, make_app: MakeApp, tmp_path: Path
) -> None:
    messages: list[Message] = []
    app = make_app(app_db)
    app.export_folder = tmp_path
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(posted(messages, DeltasLoaded)))
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        path = commands["Export view as Markdown"].callback()
    assert path is not None and path.parent == tmp_path and path.suffix == ".md"
    text = path.read_text("utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0].startswith("## demo-search-baseline vs demo-search-xqg-sum")
    assert "MRR@10" in headings[0]
    assert all(h.startswith(("## Helped most: ", "## Hurt most: ")) for h in headings[1:])
    metrics = text.split("\n\n")[1].splitlines()
    assert metrics[0].startswith("| lang | n | ")
    assert [row.split(" | ")[0] for row in metrics[2:]] == ["| de", "| en", "| es", "| avg"]
