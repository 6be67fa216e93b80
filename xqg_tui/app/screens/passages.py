"""Passages: a virtualised, filterable list; the selected passage with its generated queries."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Select, Static

from store import browse, generations
from store.browse import CollectionInfo, Passage, PassageGenerations, PassageListing
from xqg_tui.app.messages import (
    CollectionsLoaded,
    ListingLoaded,
    PassageHighlighted,
    PassageLoaded,
)
from xqg_tui.app.screens.base import XQGScreen
from xqg_tui.app.screens.jump import JumpScreen
from xqg_tui.app.widgets.nav import TopBar
from xqg_tui.app.widgets.passage_list import PassageList
from xqg_tui.app.widgets.passage_view import PassageView
from xqg_tui.literal import literal, visible

# What the filter box matches: the passages' title and text, or their generated queries.
FILTER_TARGETS = [("in passages", "passages"), ("in generated queries", "generations")]
ALL_LANGUAGES = "all"
NO_PASSAGES = (
    "This database holds no passages yet. Add some with `xqg ingest xquad DIR` "
    "(or run `xqg demo`), then open it again."
)


class PassagesScreen(XQGScreen):
    """Browse the passages of a collection and what was generated for them."""

    NAME = "passages"
    TITLE = "Passages"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("g", "jump", "Jump to docid"),
        Binding("left_square_bracket", "generation_run(-1)", "Prev run"),
        Binding("right_square_bracket", "generation_run(1)", "Next run"),
        Binding("c", "next_collection", "Collection", show=False),
        Binding("escape", "focus_list", "Back to list", show=False),
    ]
    WIDGET_KEYS = (("Enter (in the filter)", "back to the list"),)

    def __init__(self) -> None:
        super().__init__()
        self._collections: list[CollectionInfo] = []
        self._collection_id: int | None = None
        self._language: str | None = None
        self._in_generations = False

    def compose(self) -> ComposeResult:
        """Filter bar, list and passage side by side."""
        yield TopBar(self.NAME, self.xqg.library.path.name)
        with Horizontal(id="passages-bar", classes="bar"):
            yield Input(placeholder="Filter passages (full text, as you type)", id="filter")
            yield Select[str](FILTER_TARGETS, value="passages", allow_blank=False, id="filter-in")
            yield Select[str](
                [("all languages", ALL_LANGUAGES)],
                value=ALL_LANGUAGES,
                allow_blank=False,
                id="generation-language",
            )
            yield Select[int]([], prompt="collection", id="collection")
            yield Static("", id="passage-count")
        with Horizontal(id="passages-body"):
            yield PassageList(self.xqg.library, id="passage-list")
            yield PassageView(id="passage-view")
        yield Static(NO_PASSAGES, id="passages-empty", classes="notice")
        yield Footer()

    def on_mount(self) -> None:
        """Read the collections, then the first listing."""
        self.query_one("#collection").display = False
        self.query_one("#passages-empty").display = False
        self.query_one(PassageList).focus()
        self._read_collections()

    @work(thread=True, exclusive=True, group="collections")
    def _read_collections(self) -> None:
        library = self.xqg.library
        languages = library.read(browse.generation_languages)
        self.app.call_from_thread(self._offer_languages, languages)
        self.post_message(CollectionsLoaded(library.read(browse.collections_with_counts)))

    def _offer_languages(self, languages: list[str]) -> None:
        """The languages of the generated queries, for the language filter."""
        chooser = self.query_one("#generation-language", Select)
        with chooser.prevent(Select.Changed):
            chooser.set_options(
                [("all languages", ALL_LANGUAGES)]
                + [(literal(code, one_line=True), code) for code in languages]
            )
            chooser.value = ALL_LANGUAGES

    def on_collections_loaded(self, message: CollectionsLoaded) -> None:
        """Offer the collections; an empty database gets a message instead of a list."""
        self._collections = [c for c in message.collections if c.passages] or message.collections
        if not any(c.passages for c in message.collections):
            self.query_one("#passages-body").display = False
            self.query_one("#passages-empty").display = True
            self.query_one("#passage-count", Static).update("0 passages")
            return
        chooser = self.query_one("#collection", Select)
        with chooser.prevent(Select.Changed):
            chooser.set_options(
                (literal(f"{c.name} ({c.passages:,})", one_line=True), c.id)
                for c in self._collections
            )
            chooser.value = self._collections[0].id
        chooser.display = len(self._collections) > 1
        self._collection_id = self._collections[0].id
        self._read_listing(self._collection_id, self.query_one("#filter", Input).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another collection, filter target or language was chosen."""
        if event.select.id == "collection" and isinstance(event.value, int):
            self._collection_id = event.value
        elif event.select.id == "filter-in":
            self._in_generations = event.value == "generations"
        elif event.select.id == "generation-language":
            self._language = None if event.value == ALL_LANGUAGES else str(event.value)
            self._reshow_passage()
        else:
            return
        if self._collection_id is not None:
            self._read_listing(self._collection_id, self.query_one("#filter", Input).value)

    def _reshow_passage(self) -> None:
        """Show the highlighted passage again (with the generated queries of the language)."""
        line = self.query_one(PassageList).highlighted
        if line is not None:
            self._read_passage(line.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        if event.input.id == "filter" and self._collection_id is not None:
            self._read_listing(self._collection_id, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter goes to the list."""
        if event.input.id == "filter":
            self.action_focus_list()

    @work(thread=True, exclusive=True, group="listing")
    def _read_listing(self, collection_id: int, text: str, passage_id: int | None = None) -> None:
        library = self.xqg.library
        listing = library.read(
            browse.list_passages,
            collection_id,
            text,
            in_generations=self._in_generations,
            language=self._language,
        )
        cursor = 0
        if passage_id is not None:
            cursor = library.read(browse.passage_position, listing, passage_id) or 0
        self.post_message(ListingLoaded(listing, cursor))

    def on_listing_loaded(self, message: ListingLoaded) -> None:
        """Show a new listing and how many passages it holds."""
        listing = message.listing
        self.query_one(PassageList).show(listing, message.cursor)
        self.query_one("#passage-count", Static).update(
            literal(_count_text(listing, self._collections), one_line=True)
        )
        if not listing.total:
            self.query_one(PassageView).clear("No passage matches the filter")

    def on_passage_highlighted(self, message: PassageHighlighted) -> None:
        """Read the passage under the cursor."""
        self._read_passage(message.passage_id)

    @work(thread=True, exclusive=True, group="passage")
    def _read_passage(self, passage_id: int) -> None:
        library = self.xqg.library
        passage = library.read(browse.get_passage, passage_id)
        if passage is not None:
            groups = library.read(browse.passage_generations, passage_id)
            self.post_message(PassageLoaded(passage, groups))

    def on_passage_loaded(self, message: PassageLoaded) -> None:
        """Show the passage that was read, unless the cursor has left it meanwhile (a
        worker replaced by a newer one still reports)."""
        line = self.query_one(PassageList).highlighted
        if line is not None and line.id == message.passage.id:
            groups = message.generations
            if self._language is not None:
                groups = [
                    PassageGenerations(
                        g.run_id,
                        g.run_name,
                        {k: v for k, v in g.by_language.items() if k == self._language},
                    )
                    for g in groups
                ]
            self.query_one(PassageView).show(message.passage, groups)

    def open_passage(self, passage_id: int) -> None:
        """Select a passage (from another screen), clearing the filter."""
        self._find_passage(passage_id)

    @work(thread=True, exclusive=True, group="jump")
    def _find_passage(self, passage_id: int) -> None:
        passage = self.xqg.library.read(browse.get_passage, passage_id)
        if passage is None:
            self.app.call_from_thread(self._not_found, f"No passage with id {passage_id}")
            return
        self.app.call_from_thread(self._reveal, passage)

    def _not_found(self, message: str) -> None:
        """Say what was not found; the message quotes what was typed, so it is not markup."""
        self.notify(visible(message, one_line=True), severity="error", markup=False)

    def _reveal(self, passage: Passage) -> None:
        """Show a passage in an unfiltered list of its collection."""
        self._collection_id = passage.collection_id
        chooser = self.query_one("#collection", Select)
        with chooser.prevent(Select.Changed):
            if any(c.id == passage.collection_id for c in self._collections):
                chooser.value = passage.collection_id
        field = self.query_one("#filter", Input)
        with field.prevent(Input.Changed):
            field.value = ""
        self._read_listing(passage.collection_id, "", passage.id)
        self.query_one(PassageList).focus()

    def action_focus_filter(self) -> None:
        """Type a filter."""
        self.query_one("#filter", Input).focus()

    def action_focus_list(self) -> None:
        """Back to the list."""
        self.query_one(PassageList).focus()

    def action_generation_run(self, step: int) -> None:
        """Show the previous or next generation run of the passage."""
        self.query_one(PassageView).step_run(step)

    def action_next_collection(self) -> None:
        """Switch to the next collection."""
        ids = [c.id for c in self._collections]
        if len(ids) > 1 and self._collection_id in ids:
            following = ids[(ids.index(self._collection_id) + 1) % len(ids)]
            self.query_one("#collection", Select).value = following

    def action_jump(self) -> None:
        """Ask for a docid and go to that passage."""
        self.app.push_screen(JumpScreen(), self._jump)

    def _jump(self, docid: str | None) -> None:
        if docid and self._collection_id is not None:
            self._find_docid(self._collection_id, docid)

    @work(thread=True, exclusive=True, group="jump")
    def _find_docid(self, collection_id: int, docid: str) -> None:
        passage = self.xqg.library.read(browse.passage_by_docid, collection_id, docid)
        if passage is None:
            self.app.call_from_thread(self._not_found, f"No passage with docid {docid!r} here")
            return
        self.app.call_from_thread(self._reveal, passage)


def _count_text(listing: PassageListing, collections: list[CollectionInfo]) -> str:
    everything = next((c.passages for c in collections if c.id == listing.collection_id), 0)
    if listing.match is None:
        return f"{listing.total:,} passages"
    matched = f"{listing.total:,} of {everything:,} match"
    if listing.in_generations and listing.unindexed:
        names = ", ".join(listing.unindexed)
        first = generations.FTS_HINT.format(run=listing.unindexed[0])
        return f"{matched} (not searched, no word index yet: {names}; build it: {first})"
    return matched
