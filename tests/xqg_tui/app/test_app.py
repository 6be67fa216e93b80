"""The app as a whole: navigation by key and mouse, help, command palette, themes, an empty
database."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.widgets import Static

from store import Store
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import (
    SIZE,
    screen_name,
    shown,
    synchronous,
    text_of,
    wait_until,
)
from xqg_tui.app.app import screen_classes
from xqg_tui.app.screens.compare import NO_EVALUATION
from xqg_tui.app.screens.help import HelpScreen
from xqg_tui.app.screens.passages import NO_PASSAGES
from xqg_tui.app.screens.search import NO_INDEXES
from xqg_tui.app.widgets.passage_list import PassageList


@synchronous
async def test_number_keys_and_tab_clicks_reach_every_screen(
    app_db: Path, make_app: MakeApp
) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        assert screen_name(app) == "passages"
        for key, name in (("2", "search"), ("escape", "search"), ("4", "runs"), ("3", "compare")):
            await pilot.press(key)
            assert screen_name(app) == name
        await pilot.click("#runs")  # the Runs tab
        await wait_until(pilot, lambda: screen_name(app) == "runs")
        await pilot.click("#passages")
        await wait_until(pilot, lambda: screen_name(app) == "passages")
        assert app.screen.query_one(PassageList).has_focus


@synchronous
async def test_help_lists_every_key_of_every_screen(app_db: Path, make_app: MakeApp) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = text_of(app.screen.query_one("#help-keys", Static).content)
        for screen in screen_classes().values():
            assert screen.TITLE in listed
            for binding in Binding.make_bindings(screen.BINDINGS):
                assert binding.description in listed
                assert app.get_key_display(binding) in listed
            for keys, what in screen.WIDGET_KEYS:
                assert keys in listed and what in listed
        for needed in ("^p", "command palette", "^t", "Dark/light", "1 2 3 4 5", "Jump to docid"):
            assert needed in listed
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@synchronous
async def test_the_palette_reaches_every_screen_and_action(app_db: Path, make_app: MakeApp) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        for screen in screen_classes().values():
            assert f"Go to {screen.TITLE}" in commands
            for binding in Binding.make_bindings(screen.BINDINGS):
                assert f"{screen.TITLE}: {binding.description}" in commands
        assert "Toggle dark/light theme" in commands and "Show keys (help)" in commands
        await commands["Runs: Reload"].callback()
        assert screen_name(app) == "runs"
        await commands["Search: Indexes"].callback()
        await pilot.pause()
        assert (screen_name(app), app.focused and app.focused.id) == ("search", "indexes")
        await pilot.press("ctrl+p")
        await pilot.press(*"go to compare")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "compare")


@synchronous
async def test_ctrl_t_switches_between_dark_and_light(app_db: Path, make_app: MakeApp) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert (app.theme, app.current_theme.dark) == ("textual-light", False)
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


@synchronous
async def test_an_empty_database_explains_itself_on_every_screen(
    store: Store, make_app: MakeApp
) -> None:
    app = make_app(store.path)
    async with app.run_test(size=SIZE) as pilot:
        notice = app.screen.query_one("#passages-empty", Static)
        await wait_until(pilot, lambda: notice.display)
        assert shown(notice) == NO_PASSAGES
        await pilot.press("2")
        status = app.screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: shown(status) == NO_INDEXES)
        await pilot.press("escape", "3")
        status = app.screen.query_one("#compare-status", Static)
        await wait_until(pilot, lambda: shown(status) == NO_EVALUATION)
        await pilot.press("4")
        status = app.screen.query_one("#runs-status", Static)
        await wait_until(pilot, lambda: shown(status).startswith("No runs yet"))
