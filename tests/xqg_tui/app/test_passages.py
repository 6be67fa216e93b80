"""The Passages screen: a virtualised list, filtering as you type, jumps, generations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Select, Static

from store import Store, open_store
from store.collections import add_passages, ensure_collection, iter_passages, passage_ids_by_docid
from store.generations import add_generations, get_generations, index_text
from store.records import GenerationRecord, PassageRecord
from store.runs import finish_run, get_run, start_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, posted, shown, synchronous, wait_until
from xqg_tui.app.messages import ListingLoaded, PassageHighlighted
from xqg_tui.app.widgets.passage_list import PAGE, PassageList
from xqg_tui.app.widgets.passage_view import PassageView

PASSAGES = 1_000


@pytest.fixture
def big_db(store: Store) -> Path:
    """1,000 passages; passage 1 has queries from two generation runs."""
    collection = ensure_collection(store, "big", "jsonl")
    add_passages(
        store,
        collection.id,
        (
            PassageRecord(f"p{i:04d}", f"Title {i}", f"Passage number {i} text.")
            for i in range(PASSAGES)
        ),
    )
    for name, rows in (
        ("mt5", [("fi", "Mikä on numero?"), ("fi", "Missä teksti on?"), ("de", "Welche Nummer?")]),
        ("stand-ins", [("ja", "番号は何ですか？")]),
    ):
        run = start_run(store, "generate", name, {}, collection_id=collection.id)
        add_generations(
            store,
            run.id,
            [
                GenerationRecord(1, lang, position, text)
                for position, (lang, text) in enumerate(rows)
            ],
        )
        finish_run(store, run.id, {})
    return store.path


@synchronous
async def test_the_list_reads_only_the_pages_it_shows(big_db: Path, make_app: MakeApp) -> None:
    messages: list[Message] = []
    app = make_app(big_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        passages = app.screen.query_one(PassageList)
        header = app.screen.query_one("#passage-header", Static)
        await wait_until(pilot, lambda: "p0000" in shown(header))
        assert shown(app.screen.query_one("#passage-count", Static)) == "1,000 passages"
        assert (passages.total, passages.loaded_pages) == (PASSAGES, 1)
        await pilot.press("end")
        await wait_until(pilot, lambda: "p0999" in shown(header))
        assert passages.cursor == PASSAGES - 1
        assert passages.loaded_pages == 2  # the first page and the last, nothing between
        await pilot.press("pageup")
        assert passages.cursor < PASSAGES - 1 - 10
        await pilot.press("home", "down", "down")
        await wait_until(pilot, lambda: "p0002" in shown(header))
    highlighted = [m.passage_id for m in posted(messages, PassageHighlighted)]
    assert highlighted[0] == 1
    assert PASSAGES in highlighted
    assert highlighted[-1] == 3
    assert PAGE == 100


@synchronous
async def test_a_click_selects_a_row(big_db: Path, make_app: MakeApp) -> None:
    app = make_app(big_db)
    async with app.run_test(size=SIZE) as pilot:
        passages = app.screen.query_one(PassageList)
        header = app.screen.query_one("#passage-header", Static)
        await wait_until(pilot, lambda: "p0000" in shown(header))
        await pilot.click(PassageList, offset=(4, 4))  # the border is row 0
        await wait_until(pilot, lambda: "p0003" in shown(header))
        assert passages.cursor == 3


@synchronous
async def test_generation_runs_switch_with_brackets(big_db: Path, make_app: MakeApp) -> None:
    app = make_app(big_db)
    async with app.run_test(size=SIZE) as pilot:
        generations = app.screen.query_one("#generations", Static)
        chooser = app.screen.query_one("#generation-run", Select)
        await wait_until(pilot, lambda: "Mikä on numero?" in shown(generations))
        text = shown(generations)
        assert "3 queries in 2 languages" in text
        assert re.search(r"fi Finnish \(2\)\s+Mikä on numero\?\s+Missä teksti on\?", text)
        assert "de German (1)" in text and "Welche Nummer?" in text
        assert app.screen.query_one(PassageView).run_choices == ["mt5 (3)", "stand-ins (1)"]
        first_run = chooser.value
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: "ja Japanese (1)" in shown(generations))
        assert "Mikä" not in shown(generations)
        assert chooser.value != first_run
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: "Mikä on numero?" in shown(generations))
        await pilot.press("down")  # passage 2 has no generated query
        await wait_until(pilot, lambda: "No generated queries" in shown(generations))


def _matching(path: Path, prefix: str) -> list[str]:
    """Docids whose title or text has a word starting with ``prefix`` (what FTS5 finds)."""
    with open_store(path, create=False) as store:
        docids = {pid: docid for docid, pid in passage_ids_by_docid(store, 1).items()}
        found = []
        for batch in iter_passages(store, 1):
            for pid, title, text in batch:
                words = re.findall(r"\w+", f"{title} {text}".lower())
                if any(word.startswith(prefix) for word in words):
                    found.append(docids[pid])
    return found


@synchronous
async def test_typing_filters_the_list(app_db: Path, make_app: MakeApp) -> None:
    expected = _matching(app_db, "broncos")
    assert 1 < len(expected) < 40
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        count = app.screen.query_one("#passage-count", Static)
        header = app.screen.query_one("#passage-header", Static)
        await wait_until(pilot, lambda: shown(count) == "40 passages")
        await pilot.press("slash", *"Bronco")
        await wait_until(pilot, lambda: shown(count) == f"{len(expected)} of 40 match")
        await wait_until(pilot, lambda: expected[0] in shown(header))
        passages = app.screen.query_one(PassageList)
        assert [passages._line(i).docid for i in range(passages.total)] == expected
        await pilot.press(*"xyz")
        await wait_until(pilot, lambda: shown(count) == "0 of 40 match")
        assert "No passage matches" in shown(header)
        for _ in range(9):
            await pilot.press("backspace")
        await wait_until(pilot, lambda: shown(count) == "40 passages")
    filters = [m.listing.match for m in posted(messages, ListingLoaded)]
    assert '"Bronco"*' in filters and filters[-1] is None


@synchronous
async def test_jump_to_a_docid_and_see_its_generated_queries(
    app_db: Path, make_app: MakeApp
) -> None:
    with open_store(app_db, create=False) as store:
        heldout = get_run(store, "demo-heldout")
        passage_id = passage_ids_by_docid(store, heldout.collection_id or 0)["Super_Bowl_50#3"]
        expected = [
            g.text for g in get_generations(store, heldout.id) if g.passage_id == passage_id
        ]
    assert expected
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        header = app.screen.query_one("#passage-header", Static)
        generations = app.screen.query_one("#generations", Static)
        await wait_until(pilot, lambda: "Super_Bowl_50#0" in shown(header))
        await pilot.press("g", *"Super_Bowl_50#3", "enter")
        await wait_until(pilot, lambda: "Super_Bowl_50#3" in shown(header))
        assert app.screen.query_one(PassageList).cursor == 3
        await wait_until(pilot, lambda: all(text in shown(generations) for text in expected))
        assert "Lady Gaga" in shown(app.screen.query_one("#passage-text", Static))
        await pilot.press("g", *"no-such-docid", "enter")
        await pilot.pause(0.3)
        assert "Super_Bowl_50#3" in shown(header)


def _with_generation(path: Path, like: str, language: str | None) -> list[str]:
    """Docids (in id order) of the passages with a generated query containing ``like``."""
    with open_store(path, create=False) as store:
        rows = store.execute(
            "SELECT DISTINCT p.docid, p.id FROM passages p JOIN generations g ON g.passage_id = "
            "p.id WHERE g.text LIKE ? AND (? IS NULL OR g.language = ?) ORDER BY p.id",
            (f"%{like}%", language, language),
        ).fetchall()
    return [docid for docid, _ in rows]


@synchronous
async def test_the_filter_searches_generated_queries_in_one_language(
    app_db: Path, make_app: MakeApp
) -> None:
    # "der" is in German questions (and a few Spanish ones: "poder", "derecho").
    anywhere = _with_generation(app_db, "der", None)
    spanish = _with_generation(app_db, "der", "es")
    assert 0 < len(spanish) < len(anywhere) < 40
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        count = app.screen.query_one("#passage-count", Static)
        await wait_until(pilot, lambda: shown(count) == "40 passages")
        app.screen.query_one("#filter-in", Select).value = "generations"
        await pilot.press("slash", *"der")
        await wait_until(pilot, lambda: shown(count) == f"{len(anywhere)} of 40 match")
        passages = app.screen.query_one(PassageList)
        assert [passages._line(i).docid for i in range(passages.total)] == anywhere
        language = app.screen.query_one("#generation-language", Select)
        assert [value for _, value in language._options] == ["all", "de", "es"]
        language.value = "es"
        await wait_until(pilot, lambda: shown(count) == f"{len(spanish)} of 40 match")
        assert [passages._line(i).docid for i in range(passages.total)] == spanish
        # The passage beside the list shows its Spanish generated queries only.
        generations = app.screen.query_one("#generations", Static)
        await wait_until(pilot, lambda: "queries in 1 languages" in shown(generations))
        app.screen.query_one("#filter-in", Select).value = "passages"
        await wait_until(pilot, lambda: not shown(count).endswith(f"{len(spanish)} of 40 match"))


@synchronous
async def test_runs_without_word_index_are_named_when_generations_are_searched(
    big_db: Path, make_app: MakeApp
) -> None:
    app = make_app(big_db)
    async with app.run_test(size=SIZE) as pilot:
        count = app.screen.query_one("#passage-count", Static)
        await wait_until(pilot, lambda: shown(count) == f"{PASSAGES:,} passages")
        app.screen.query_one("#filter-in", Select).value = "generations"
        await pilot.press("slash", *"numero")
        await wait_until(pilot, lambda: shown(count).startswith("0 of 1,000 match"))
        said = " ".join(shown(count).split())
        assert "no word index yet: mt5, stand-ins" in said
        assert "build it: xqg generate fts mt5" in said
        with open_store(big_db, create=False) as store:
            index_text(store, get_run(store, "mt5").id)
        await pilot.press("backspace", "o")  # the same filter, read again
        await wait_until(pilot, lambda: shown(count).startswith("1 of 1,000 match"))
        said = " ".join(shown(count).split())
        assert "no word index yet: stand-ins;" in said and "mt5" not in said
