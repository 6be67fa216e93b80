"""A virtualised passage list: only the rows on screen are rendered, pages are read on demand.

The list knows how many passages a listing holds (one count in SQL) and reads pages of
:data:`PAGE` rows in thread workers as they scroll into view; rows not read yet show as
"…" for the moment it takes. Memory stays flat however large the collection is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from xqg_tui.app.messages import PageLoaded, PassageHighlighted
from xqg_tui.literal import literal

if TYPE_CHECKING:
    from store.browse import PassageLine, PassageListing
    from xqg_tui.app.library import Library

PAGE = 100
DOCID_WIDTH = 18


class PassageList(ScrollView, can_focus=True):
    """Passages of one listing, one per line: docid, title and the start of the text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First passage", show=False),
        Binding("end", "last", "Last passage", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "passage-list--cursor",
        "passage-list--docid",
        "passage-list--title",
        "passage-list--preview",
    }

    cursor: reactive[int] = reactive(0, init=False, always_update=True)

    def __init__(self, library: Library, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._library = library
        self._listing: PassageListing | None = None
        self._pages: dict[int, list[PassageLine]] = {}
        self._pending: set[int] = set()
        self._announced: int | None = None

    @property
    def total(self) -> int:
        """Passages in the current listing."""
        return 0 if self._listing is None else self._listing.total

    @property
    def highlighted(self) -> PassageLine | None:
        """The passage under the cursor, once its page is read."""
        return self._line(self.cursor)

    @property
    def loaded_pages(self) -> int:
        """Pages held in memory (never the whole table)."""
        return len(self._pages)

    def show(self, listing: PassageListing, cursor: int = 0) -> None:
        """Replace the listing; put the cursor on position ``cursor``."""
        self._listing = listing
        self._pages.clear()
        self._pending.clear()
        self._announced = None
        self.virtual_size = Size(self.scrollable_content_region.width, listing.total)
        self.cursor = max(0, min(cursor, listing.total - 1))
        self.scroll_to(y=max(0, self.cursor - self.size.height // 3), animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """Render the row at screen line ``y``."""
        width = self.scrollable_content_region.width
        position = self.scroll_offset.y + y
        if position >= self.total:
            return Strip.blank(width, self.rich_style)
        line = self._line(position)
        text = self._row_text(line) if line is not None else Text("…", style="dim")
        text.truncate(width, overflow="ellipsis", pad=True)
        if position == self.cursor:
            text.stylize(self.get_component_rich_style("passage-list--cursor"))
        return Strip(list(text.render(self.app.console)), width)

    def _row_text(self, line: PassageLine) -> Text:
        docid = (
            line.docid if len(line.docid) <= DOCID_WIDTH else line.docid[: DOCID_WIDTH - 1] + "…"
        )
        return Text.assemble(
            literal(docid.ljust(DOCID_WIDTH), self._style("docid"), one_line=True),
            " ",
            literal(line.title, self._style("title"), one_line=True),
            "  ",
            literal(line.preview, self._style("preview"), one_line=True),
            style=self.rich_style,  # the gaps between the parts get the list's colours
            no_wrap=True,
            end="",
        )

    def _style(self, part: str) -> Style:
        return self.get_component_rich_style(f"passage-list--{part}")

    def _line(self, position: int) -> PassageLine | None:
        if self._listing is None or not 0 <= position < self._listing.total:
            return None
        page, row = divmod(position, PAGE)
        lines = self._pages.get(page)
        if lines is None:
            self._request(page)
            return None
        return lines[row] if row < len(lines) else None

    def _request(self, page: int) -> None:
        if page not in self._pending and self._listing is not None:
            self._pending.add(page)
            self._read_page(self._listing, page)

    @work(thread=True, group="passage-pages")
    def _read_page(self, listing: PassageListing, page: int) -> None:
        from store.browse import passage_page

        lines = self._library.read(passage_page, listing, page * PAGE, PAGE)
        self.post_message(PageLoaded(listing, page, lines))

    def on_page_loaded(self, message: PageLoaded) -> None:
        """Keep a page that arrived for the current listing and draw it."""
        message.stop()
        if message.listing is not self._listing:
            return
        self._pages[message.page] = message.lines
        self._pending.discard(message.page)
        self.refresh()
        self._announce()

    def watch_cursor(self, cursor: int) -> None:
        """Keep the cursor on screen and say which passage it rests on."""
        height = self.scrollable_content_region.height
        if cursor < self.scroll_offset.y:
            self.scroll_to(y=cursor, animate=False)
        elif height and cursor >= self.scroll_offset.y + height:
            self.scroll_to(y=cursor - height + 1, animate=False)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        line = self.highlighted
        if line is not None and line.id != self._announced:
            self._announced = line.id
            self.post_message(PassageHighlighted(line.id))

    def on_resize(self, event: events.Resize) -> None:
        """Rows are as wide as the list."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.total)

    def on_click(self, event: events.Click) -> None:
        """Put the cursor on the clicked row."""
        offset = event.get_content_offset(self)
        if offset is not None and self.scroll_offset.y + offset.y < self.total:
            self.cursor = self.scroll_offset.y + offset.y

    def action_cursor(self, step: int) -> None:
        """Move the cursor by ``step`` rows."""
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        """Move the cursor by one screenful."""
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        """Go to the first passage."""
        self.action_cursor(-self.total)

    def action_last(self) -> None:
        """Go to the last passage."""
        self.action_cursor(self.total)
