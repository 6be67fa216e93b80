"""The Search screen: a real search with e5-small against the demo's indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.message import Message
from textual.widgets import DataTable, Input, Static

from store import open_store
from store.collections import answers_for, get_queries, passage_ids_by_docid, qrels_for
from store.records import Query
from store.results import get_results
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
from xqg_tui.app.messages import OpenPassage, SearchFinished, SearchRendered
from xqg_tui.app.widgets.passage_list import PassageList
from xqg_tui.app.widgets.ranking import RankingColumn

SHOWN = 20


def _stored(
    path: Path,
) -> tuple[Query, dict[str, list[tuple[int, float]]], dict[int, str], set[int], tuple[str, ...]]:
    """A German question the demo searched, the stored rankings for it, docids, qrels, answers."""
    with open_store(path, create=False) as store:
        rankings = {
            name: get_results(store, get_run(store, f"demo-search-{name}").id)
            for name in ("baseline", "xqg-sum")
        }
        query = next(
            q for q in get_queries(store, 1, languages=["de"]) if q.id in rankings["baseline"]
        )
        docids = {pid: docid for docid, pid in passage_ids_by_docid(store, 1).items()}
        relevant = set(qrels_for(store, [query.id])[query.id])
        answers = answers_for(store, [query.id])[query.id]
    return (
        query,
        {name: ranked[query.id] for name, ranked in rankings.items()},
        docids,
        relevant,
        answers,
    )


def _change(rank: int, baseline: list[int], pid: int) -> str | None:
    """What the Δ column must say, when the stored baseline (depth 50) knows the rank."""
    if pid not in baseline:
        return None
    moved = baseline.index(pid) + 1 - rank
    return f"▲{moved}" if moved > 0 else f"▼{-moved}" if moved < 0 else "="


@synchronous
async def test_a_search_ranks_as_the_stored_runs_did(app_db: Path, make_app: MakeApp) -> None:
    query, stored, docids, relevant, answers = _stored(app_db)
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        screen = app.screen
        status = screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: shown(status).startswith("Ready: 3 indexes"))
        await pilot.press("slash", *query.text, "enter")
        await wait_until(pilot, lambda: any(isinstance(m, SearchRendered) for m in messages))
        columns = list(screen.query(RankingColumn))
        assert [c.ranking.name for c in columns] == [
            "demo-baseline",
            "demo-xqg-sum",
            "demo-xqg-mean",
        ]
        assert [c.ranking.is_baseline for c in columns] == [True, False, False]
        for column, name in zip(columns[:2], ("baseline", "xqg-sum"), strict=True):
            rows = table_rows(column.query_one(DataTable))
            expected = stored[name][:SHOWN]
            assert len(rows) == SHOWN
            for position, (row, (pid, score)) in enumerate(zip(rows, expected, strict=True), 1):
                rank_line, score_line = row[0].splitlines()
                assert rank_line.split()[0] == str(position)
                assert abs(float(score_line) - score) < 0.002
                assert row[1].splitlines()[0].removeprefix("✓ ").startswith(docids[pid])
                assert row[1].startswith("✓") == (pid in relevant)
        baseline = [pid for pid, _ in stored["baseline"]]
        xqg_rows = table_rows(columns[1].query_one(DataTable))
        for position, (row, (pid, _)) in enumerate(
            zip(xqg_rows, stored["xqg-sum"], strict=False), 1
        ):
            change = _change(position, baseline, pid)
            if change is not None:
                assert row[0].splitlines()[0].split()[1:] == [change]
        known = shown(screen.query_one("#known-question", Static))
        assert query.qid in known and f"answers: {' | '.join(answers)}" in known
        assert shown(status) == "Searched 3 indexes · language de · latency masked"
        columns[1].query_one(DataTable).focus()
        await pilot.press("enter")
        top = stored["xqg-sum"][0][0]
        await wait_until(
            pilot,
            lambda: (
                app.screen.query(PassageList)
                and docids[top] in shown(app.screen.query_one("#passage-header", Static))
            ),
        )
    [finished] = posted(messages, SearchFinished)
    assert finished.outcome.language == "de"
    assert [q.id for q in finished.outcome.known] == [query.id]
    assert [m.passage_id for m in posted(messages, OpenPassage)] == [top]


@synchronous
async def test_an_unknown_query_in_another_script_gets_its_language_guessed(
    app_db: Path, make_app: MakeApp
) -> None:
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        screen = app.screen
        await wait_until(
            pilot, lambda: "Ready" in shown(screen.query_one("#search-status", Static))
        )
        await pilot.press("slash", *"Сколько очков набрали Пантеры?", "enter")
        await wait_until(pilot, lambda: any(isinstance(m, SearchRendered) for m in messages))
        assert "language ru" in shown(screen.query_one("#search-status", Static))
        known = shown(screen.query_one("#known-question", Static))
        assert known == "Not a stored evaluation question."
        await pilot.press("escape", "i", "space")  # drop the baseline: the others remain
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(posted(messages, SearchRendered)) == 2)
        columns = list(screen.query(RankingColumn))
        assert [c.ranking.name for c in columns] == ["demo-xqg-sum", "demo-xqg-mean"]
        # Without the plain index there is no baseline: no column claims to be one, and no
        # rank change is shown.
        assert [(c.ranking.is_baseline, c.ranking.compared) for c in columns] == [
            (False, False)
        ] * 2
        assert "(baseline)" not in shown(columns[0].query_one(".ranking-title", Static))
        assert all(
            row[0].splitlines()[0].split() == [row[0].split()[0]]
            for row in table_rows(columns[1].query_one(DataTable))
        )


@synchronous
async def test_after_a_search_the_screen_keys_work_again(app_db: Path, make_app: MakeApp) -> None:
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("2")
        query = app.screen.query_one("#query", Input)
        await wait_until(
            pilot, lambda: "Ready" in shown(app.screen.query_one("#search-status", Static))
        )
        await pilot.press("slash", *"Warschau", "enter")
        await wait_until(pilot, lambda: bool(posted(messages, SearchRendered)))
        assert isinstance(app.focused, DataTable)  # the first ranking has the focus
        await pilot.press("3")
        assert screen_name(app) == "compare" and query.value == "Warschau"


@synchronous
async def test_a_missing_vector_file_is_a_message_not_a_crash(
    writable_db: Path, make_app: MakeApp
) -> None:
    shutil.rmtree(writable_db.with_suffix(".vectors"))
    app = make_app(writable_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        status = app.screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: shown(status).startswith("Search failed: StoreError"))
        assert "(shard 0 of vector set 1) is missing" in shown(status) and app.is_running
        await pilot.press("escape", "1")  # out of the query box, then to another screen
        assert screen_name(app) == "passages"


@synchronous
async def test_slash_focuses_the_query_from_anywhere_and_is_not_typed(
    app_db: Path, make_app: MakeApp
) -> None:
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("4", "slash")  # from Runs, which has no search box of its own
        await wait_until(pilot, lambda: screen_name(app) == "search")
        query = app.screen.query_one("#query", Input)
        await wait_until(pilot, lambda: app.focused is query)
        assert query.value == ""
        status = app.screen.query_one("#search-status", Static)
        await wait_until(pilot, lambda: "Ready" in shown(status))
        # Free text in a Latin-script language: detected offline, not "unknown".
        await pilot.press(*"Wo liegt der Bahnhof?", "enter")
        await wait_until(pilot, lambda: bool(posted(messages, SearchRendered)))
        assert "language de" in shown(status)
        assert isinstance(app.focused, DataTable)
        await pilot.press("slash")  # on Search: back to the query, nothing typed
        assert app.focused is query and query.value == "Wo liegt der Bahnhof?"
        await pilot.press("escape", "1", "slash")  # Passages keeps its own `/`: the filter
        assert screen_name(app) == "passages"
        assert app.focused is app.screen.query_one("#filter", Input)


@synchronous
async def test_the_search_screen_opens_without_the_query_focused(
    app_db: Path, make_app: MakeApp
) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        await pilot.press("3")  # the screen keys work at once
        assert screen_name(app) == "compare"
