"""Search: a query in any language against baseline and xQG indexes, side by side."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Select, SelectionList, Static
from textual.worker import get_current_worker

from pipelines.languages import LANGUAGE_NAMES
from store import browse
from xqg_tui.app.messages import (
    IndexesLoaded,
    OpenPassage,
    SearchFailed,
    SearchFinished,
    SearchRendered,
    SearchStatus,
)
from xqg_tui.app.rankings import Ranking, SearchOutcome
from xqg_tui.app.screens.base import XQGScreen
from xqg_tui.app.widgets.nav import TopBar
from xqg_tui.app.widgets.ranking import RankingColumn
from xqg_tui.exports import ExportTable
from xqg_tui.literal import literal

if TYPE_CHECKING:
    from store.browse import IndexRun

AUTO = "auto"
PRESELECTED = 3
NO_INDEXES = (
    "No finished index yet: build one with `xqg index --collection NAME` "
    "(and xQG indexes with `xqg augment`), then search here."
)


class SearchScreen(XQGScreen):
    """Type a query, press Enter, compare the rankings."""

    NAME = "search"
    TITLE = "Search"
    # The index list, not the query box, has the focus at first: `/` (and the screen keys)
    # must not be typed into the query.
    AUTO_FOCUS = "#indexes"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Query"),
        Binding("l", "focus_language", "Language"),
        Binding("i", "focus_indexes", "Indexes"),
        Binding("ctrl+r", "search", "Search again"),
        Binding("escape", "focus_results", "To the results", show=False),
    ]
    WIDGET_KEYS = (
        ("Enter (in the query)", "search"),
        ("Space (in the indexes)", "pick or drop an index"),
        ("Enter (on a result)", "open the passage"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._indexes: list[IndexRun] = []
        self._languages: list[str] = []
        self._pending: tuple[str, str, Sequence[int]] | None = None
        self._started = 0.0
        self._outcome: SearchOutcome | None = None

    def compose(self) -> ComposeResult:
        """Query bar, index picker, status and the rankings."""
        yield TopBar(self.NAME, self.xqg.library.path.name)
        with Horizontal(id="search-bar", classes="bar"):
            yield Input(placeholder="A query in any language, then Enter", id="query")
            yield Select[str]([("auto-detect", AUTO)], value=AUTO, allow_blank=False, id="language")
        with Horizontal(id="search-body"):
            with Vertical(id="search-side"):
                yield Static("Indexes", classes="side-title")
                yield SelectionList[int](id="indexes")
            with Vertical(id="search-main"):
                yield Static("Loading indexes…", id="search-status")
                yield Static("", id="known-question")
                yield Horizontal(id="rankings")
        yield Footer()

    def on_mount(self) -> None:
        """Read the indexes and languages."""
        self._read_indexes()

    @work(thread=True, exclusive=True, group="indexes")
    def _read_indexes(self) -> None:
        library = self.xqg.library
        self.post_message(
            IndexesLoaded(library.read(browse.index_runs), library.read(browse.query_languages))
        )

    def on_indexes_loaded(self, message: IndexesLoaded) -> None:
        """Offer the indexes (the first few picked) and the languages; load the models."""
        self._indexes = message.indexes
        self._languages = message.languages
        picker = self.query_one("#indexes", SelectionList)
        with self.prevent(SelectionList.SelectedChanged):
            picker.clear_options()
            for position, run in enumerate(message.indexes):
                label = f"{run.name} (xQG)" if run.kind == "augment" else run.name
                picker.add_option((literal(label, one_line=True), run.id, position < PRESELECTED))
        languages = [("auto-detect", AUTO)] + [
            (literal(f"{code} {LANGUAGE_NAMES.get(code, '')}".strip(), one_line=True), code)
            for code in message.languages
        ]
        self.query_one("#language", Select).set_options(languages)
        self.query_one("#language", Select).value = AUTO
        if not message.indexes:
            self._status(NO_INDEXES)
            return
        if self._pending is not None:
            self.run_query(*self._pending)
            return
        self.call_later(self._empty_columns)
        self._prepare(self.chosen_indexes())

    def chosen_indexes(self) -> list[int]:
        """The picked index runs, in the order they are listed."""
        picked = set(self.query_one("#indexes", SelectionList).selected)
        return [run.id for run in self._indexes if run.id in picked]

    @work(thread=True, exclusive=True, group="prepare")
    def _prepare(self, run_ids: Sequence[int]) -> None:
        engine = self.xqg.engine
        if engine.is_ready(run_ids):
            return
        self.post_message(SearchStatus("Loading the encoder and indexes…"))
        try:
            engine.prepare(run_ids)
        except Exception as error:  # a missing vector file, a model that will not load
            self.post_message(SearchFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(SearchStatus(f"Ready: {len(run_ids)} indexes. Type a query, Enter."))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the query searches."""
        if event.input.id == "query":
            self.action_search()

    def action_search(self) -> None:
        """Search the query with the picked indexes."""
        text = self.query_one("#query", Input).value.strip()
        run_ids = self.chosen_indexes()
        if not text:
            self._status("Type a query first.")
            return
        if not run_ids:
            self._status("Pick at least one index (i, then Space).")
            return
        self._started = time.perf_counter()
        language = str(self.query_one("#language", Select).value)
        self._search(text, language, run_ids)

    def run_query(self, text: str, language: str, run_ids: Sequence[int]) -> None:
        """Fill in a query, its language and indexes, and search (from another screen)."""
        if not self._indexes:  # the indexes are still being read: search once they are
            self._pending = (text, language, run_ids)
            return
        self._pending = None
        self.query_one("#query", Input).value = text
        chooser = self.query_one("#language", Select)
        chooser.value = language if language in self._languages else AUTO
        picker = self.query_one("#indexes", SelectionList)
        with self.prevent(SelectionList.SelectedChanged):
            picker.deselect_all()
            for run_id in run_ids:
                picker.select(run_id)
        self.action_search()

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str, language: str, run_ids: Sequence[int]) -> None:
        engine = self.xqg.engine
        if not engine.is_ready(run_ids):
            self.post_message(SearchStatus("Loading the encoder and indexes…"))
        try:
            outcome = engine.search(text, run_ids, language=language)
        except Exception as error:  # shown on screen; the app keeps running
            self.post_message(SearchFailed(f"{type(error).__name__}: {error}"))
            return
        if not get_current_worker().is_cancelled:  # a newer search replaced this one
            self.post_message(SearchFinished(outcome))

    def on_search_status(self, message: SearchStatus) -> None:
        """Show what the worker is doing."""
        self._status(message.text)

    def on_search_failed(self, message: SearchFailed) -> None:
        """Say why the search failed."""
        self._status(f"Search failed: {message.error}", error=True)

    async def on_search_finished(self, message: SearchFinished) -> None:
        """Show the rankings side by side; time the round trip once they are drawn."""
        outcome = message.outcome
        self._outcome = outcome
        answers = tuple(a for query in outcome.known for a in query.answers)
        self.query_one("#known-question", Static).update(_known_text(outcome))
        await self._columns(outcome.rankings, answers)
        self.call_after_refresh(self._rendered, outcome)

    async def _columns(self, rankings: Sequence[Ranking], answers: tuple[str, ...]) -> None:
        """Fill the ranking columns, mounting new ones only when the indexes changed."""
        holder = self.query_one("#rankings", Horizontal)
        shown = list(holder.query(RankingColumn))
        if [c.ranking.run_id for c in shown] == [r.run_id for r in rankings]:
            for column, ranking in zip(shown, rankings, strict=True):
                column.show(ranking, answers)
            return
        await holder.remove_children()
        width = max(30, holder.size.width // max(1, len(rankings)) - 1)
        await holder.mount_all(RankingColumn(r, answers, width) for r in rankings)

    async def _empty_columns(self) -> None:
        """Columns for the picked indexes before any search (the first one draws faster)."""
        picked = [run for run in self._indexes if run.id in set(self.chosen_indexes())]
        baseline = next((run.id for run in picked if run.kind == "index"), None)
        await self._columns([Ranking(r.id, r.name, r.id == baseline, []) for r in picked], ())

    def _rendered(self, outcome: SearchOutcome) -> None:
        total = 1000 * (time.perf_counter() - self._started)
        self._status(_latency_text(outcome, total, masked=self.xqg.deterministic))
        # From the query to the results, so that the screen keys (1-5, ?, q) work again and
        # arrows walk the ranking; / goes back to the query.
        if isinstance(self.focused, Input):
            self.action_focus_results()
        self.post_message(SearchRendered(outcome, total))

    def export_tables(self) -> list[ExportTable]:
        """The shown rankings: one table per index with rank, change against the baseline,
        docid, title, score and whether the passage is relevant."""
        outcome = self._outcome
        if outcome is None:
            return []
        header = ["rank", "baseline rank", "docid", "title", "score", "relevant"]
        return [
            ExportTable(
                f"{ranking.name}: {outcome.text} ({outcome.language or 'language unknown'})",
                header,
                [
                    [
                        str(hit.rank),
                        "" if hit.baseline_rank is None else str(hit.baseline_rank),
                        hit.docid,
                        hit.title,
                        f"{hit.score:.4f}",
                        "yes" if hit.relevant else "",
                    ]
                    for hit in ranking.hits
                ],
            )
            for ranking in outcome.rankings
        ]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Open the chosen result on the Passages screen."""
        if event.row_key.value is not None:
            self.post_message(OpenPassage(int(event.row_key.value)))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        """Load newly picked indexes in the background."""
        chosen = self.chosen_indexes()
        if chosen:
            self.call_later(self._empty_columns)
            self._prepare(chosen)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#search-status", Static)
        status.update(literal(text, "bold red" if error else ""))

    def action_focus_query(self) -> None:
        """Type a query."""
        self.query_one("#query", Input).focus()

    def action_focus_results(self) -> None:
        """Leave the query for the first ranking (or the index list before any search)."""
        tables = self.query(DataTable)
        target = tables.first() if tables else self.query_one("#indexes", SelectionList)
        target.focus()

    def action_focus_language(self) -> None:
        """Choose the query language."""
        self.query_one("#language", Select).focus()

    def action_focus_indexes(self) -> None:
        """Pick indexes."""
        picker = self.query_one("#indexes", SelectionList)
        if picker.highlighted is None and picker.option_count:
            picker.highlighted = 0
        picker.focus()


def _latency_text(outcome: SearchOutcome, total_ms: float, *, masked: bool) -> str:
    """Where the time went; fixed text when screenshots must not vary."""
    count = f"{len(outcome.rankings)} indexes"
    language = outcome.language or "unknown"
    if masked:
        return f"Searched {count} · language {language} · latency masked"
    return (
        f"Searched {count} · language {language} · encode {outcome.encode_ms:.0f} ms · "
        f"search {outcome.search_ms:.0f} ms · read {outcome.read_ms:.0f} ms · "
        f"total {total_ms:.0f} ms"
    )


def _known_text(outcome: SearchOutcome) -> Text:
    """The stored evaluation question this query is, with its answers, if it is one."""
    if not outcome.known:
        return Text("Not a stored evaluation question.", style="dim")
    query = outcome.known[0]
    answers = " | ".join(query.answers) or "none stored"
    return Text.assemble(
        ("Evaluation question ", "dim"),
        literal(query.qid, "bold", one_line=True),
        literal(f" ({query.language}) · answers: ", "dim", one_line=True),
        literal(answers, "bold black on yellow", one_line=True),
        (f" · {len(query.relevant)} relevant passage(s) marked ✓", "dim"),
    )
