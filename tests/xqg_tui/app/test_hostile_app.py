"""Hostile text in the app: passages, titles, generated queries and run names that look like
markup or hold terminal escapes are shown literally, run no action and crash nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import DataTable, Select, SelectionList, Static

from store import Store, open_store
from store.collections import add_passages, add_queries, ensure_collection
from store.generations import add_generations
from store.records import GenerationRecord, PassageRecord, QueryRecord
from store.runs import fail_run, finish_run, start_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import (
    SIZE,
    posted,
    shown,
    synchronous,
    table_rows,
    text_of,
    wait_until,
)
from xqg_tui.app.messages import IndexesLoaded, ReportLoaded
from xqg_tui.app.screens.run_detail import RunDetailScreen
from xqg_tui.app.widgets.metrics import MetricsTable

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
OSC8 = "\x1b]8;;file:///etc/passwd\x1b\\link\x1b]8;;\x1b\\"
QUIT = "[@click=app.quit]quit[/]"


def _screenshot_payload(folder: Path) -> str:
    return f"[@click=app.screenshot('pwn.svg','{folder}')]shot[/]"


@pytest.fixture
def hostile_db(store: Store, tmp_path: Path) -> Path:
    """A collection whose passage, generated queries and run names are all payloads."""
    collection = ensure_collection(store, "hostile[/]", "jsonl")
    add_passages(
        store,
        collection.id,
        [
            PassageRecord(
                f"p{CLEAR}1",
                f"[link=file:///etc/passwd]title[/link] {TITLE}",
                f"{QUIT} {_screenshot_payload(tmp_path)} [/] [bold red]red {OSC8} \u202eevil",
            )
        ],
    )
    run = start_run(store, "generate", f"gen[/]{CLEAR}", {}, collection_id=collection.id)
    queries = [QUIT, _screenshot_payload(tmp_path), "[/]", f"bidi \u202e{TITLE}\x9b31m\x07"]
    add_generations(
        store, run.id, [GenerationRecord(1, "de", n, text) for n, text in enumerate(queries)]
    )
    finish_run(store, run.id, {})
    add_queries(store, collection.id, [QueryRecord("q[/]", f"x[/]{CLEAR}", "[bold]q")])
    failed = start_run(store, "index", f"[@click=app.quit]idx{TITLE}", {})
    fail_run(store, failed.id, f"broke at [/] {CLEAR}")
    return store.path


def _no_raw_controls(text: str) -> None:
    assert not any(c in text for c in ("\x1b", "\x07", "\x9b", "\u202e")), repr(text)


@synchronous
async def test_passages_show_payloads_literally(
    hostile_db: Path, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(hostile_db)
    async with app.run_test(size=SIZE) as pilot:  # a "[/]" query crashed the start-up
        header = app.screen.query_one("#passage-header", Static)
        generations = app.screen.query_one("#generations", Static)
        await wait_until(pilot, lambda: "[@click=app.quit]quit[/]" in shown(generations))
        assert shown(header).startswith("p\\x1b[2J1  [link=file:///etc/passwd]title[/link]")
        assert "\\x1b]0;pwned\\x07" in shown(header)
        text = shown(app.screen.query_one("#passage-text", Static))
        assert text.startswith("[@click=app.quit]quit[/] [@click=app.screenshot('pwn.svg'")
        assert "[bold red]red \\x1b]8;;file:///etc/passwd\\x1b\\link" in text
        assert "\\u202eevil" in text
        queries = shown(generations)
        assert "bidi \\u202e\\x1b]0;pwned\\x07\\x9b31m\\x07" in queries
        assert "[/]" in queries and "[@click=app.screenshot('pwn.svg'" in queries
        for widget in (header, generations):
            _no_raw_controls(shown(widget))
        await pilot.click("#generations")
        await pilot.click("#passage-text")
        await pilot.pause(0.1)
        assert app.is_running  # the [@click=app.quit] payload did not quit
    assert not (tmp_path / "pwn.svg").exists()  # nor did the screenshot payload run


@synchronous
async def test_runs_and_run_detail_show_names_literally(
    hostile_db: Path, make_app: MakeApp
) -> None:
    app = make_app(hostile_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        table = app.screen.query_one("#runs-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        names = [row[2] for row in table_rows(table)]
        assert names == ["gen[/]\\x1b[2J", "[@click=app.quit]idx\\x1b]0;pwned\\x07"]
        table.move_cursor(row=1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        details = text_of(app.screen.query_one(Static).content)
        assert "index run [@click=app.quit]idx\\x1b]0;pwned\\x07" in details
        assert "broke at [/] \\x1b[2J" in details
        _no_raw_controls(details)
        await pilot.click(Static)
        assert app.is_running


HOSTILE_RUN = f"[@click=app.quit]base{TITLE}[/]"
SHOWN_RUN = "[@click=app.quit]base\\x1b]0;pwned\\x07[/]"


@synchronous
async def test_search_and_compare_show_run_names_literally(
    writable_db: Path, make_app: MakeApp
) -> None:
    with open_store(writable_db) as store:
        for old, new in (
            ("demo-baseline", HOSTILE_RUN),
            ("demo-search-baseline", f"s{HOSTILE_RUN}"),
        ):
            store.execute("UPDATE runs SET name = ? WHERE name = ?", (new, old))
    messages: list[Message] = []
    app = make_app(writable_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        picker = app.screen.query_one("#indexes", SelectionList)
        await wait_until(pilot, lambda: picker.option_count == 3)
        labels = [text_of(picker.get_option_at_index(i).prompt).strip() for i in range(3)]
        assert SHOWN_RUN in labels
        await app.run_action("show('compare')")  # "3" would be typed into the query box
        await wait_until(pilot, lambda: bool(posted(messages, ReportLoaded)), timeout=60)
        baseline = app.screen.query_one("#baseline", Select)
        assert any(f"s{SHOWN_RUN}" in text_of(prompt) for prompt, _ in baseline._options)
        assert app.is_running


UNBALANCED = f"[/]base[@click=app.quit]{CLEAR}"
SHOWN_UNBALANCED = "[/]base[@click=app.quit]\\x1b[2J"


@synchronous
async def test_compare_shows_an_unbalanced_run_name_in_status_and_columns(
    writable_db: Path, make_app: MakeApp
) -> None:
    """The evaluation's baseline named ``[/]…``: the status line and the metrics columns
    quote it (a str status or column header is markup: ``[/]`` crashed the screen)."""
    with open_store(writable_db) as store:
        store.execute(
            "UPDATE runs SET name = ? WHERE name = ?", (UNBALANCED, "demo-search-baseline")
        )
    messages: list[Message] = []
    app = make_app(writable_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await app.run_action("show('compare')")
        await wait_until(pilot, lambda: bool(posted(messages, ReportLoaded)), timeout=60)
        await pilot.pause()
        status = shown(app.screen.query_one("#compare-status", Static))
        assert status.startswith(f"{SHOWN_UNBALANCED} vs "), status
        _no_raw_controls(status)
        table = app.screen.query_one(MetricsTable)
        headers = [text_of(column.label).strip() for column in table.columns.values()]
        assert SHOWN_UNBALANCED in headers, headers
        await pilot.click(MetricsTable)
        await pilot.click("#compare-status")
        assert app.is_running


@synchronous
async def test_a_hostile_docid_typed_to_jump_is_quoted_in_the_notification(
    hostile_db: Path, make_app: MakeApp
) -> None:
    """``g`` then a docid that is not there: the notification quotes what was typed literally
    (a notification is markup by default: ``[/]`` crashed the app)."""
    app = make_app(hostile_db)
    async with app.run_test(size=SIZE) as pilot:
        header = app.screen.query_one("#passage-header", Static)
        await wait_until(pilot, lambda: "title[/link]" in shown(header))
        await pilot.press("g", *"[/][@click=app.quit]", "enter")
        await wait_until(pilot, lambda: bool(app._notifications))
        (note,) = list(app._notifications)
        assert note.message == "No passage with docid '[/][@click=app.quit]' here"
        assert not note.markup
        await pilot.pause(0.2)
        assert app.is_running


@synchronous
async def test_search_lists_hostile_query_languages_literally(
    hostile_db: Path, make_app: MakeApp
) -> None:
    messages: list[Message] = []
    app = make_app(hostile_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: bool(posted(messages, IndexesLoaded)))
        await pilot.pause()
        language = app.screen.query_one("#language", Select)
        prompts = [text_of(prompt).strip() for prompt, _ in language._options]
        assert prompts[-1] == "x[/]\\x1b[2J"
        language.value = f"x[/]{CLEAR}"
        await pilot.pause()
        await pilot.click("#language")
        await pilot.pause(0.1)
        assert app.is_running
