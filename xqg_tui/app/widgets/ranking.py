"""One index's ranking on the Search screen: rank, rank change, score and the passage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from xqg_tui.literal import literal, visible

if TYPE_CHECKING:
    from xqg_tui.app.rankings import Hit, Ranking

RANK_WIDTH = 6
FIXED_COLUMNS = RANK_WIDTH + 6  # cell padding on both sides of two columns, and the scrollbar
ANSWER_STYLE = "bold black on yellow"


class RankingColumn(Vertical):
    """A titled table of one ranking; Enter (or a click) on a row opens its passage.

    A new search with the same indexes refills the table in place (mounting widgets anew
    would cost more than the search itself).
    """

    def __init__(self, ranking: Ranking, answers: tuple[str, ...], width: int) -> None:
        super().__init__(classes="ranking")
        self.ranking = ranking
        self._answers = answers
        self._text_width = max(16, width - FIXED_COLUMNS)

    def compose(self) -> ComposeResult:
        """The index name and its table."""
        yield Label(classes="ranking-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, classes="ranking-table")

    def on_mount(self) -> None:
        """Columns: rank and change over score in one narrow column, then the passage."""
        table = self.query_one(DataTable)
        table.add_column(Text("#  Δ"), key="rank", width=RANK_WIDTH)
        table.add_column("passage", key="passage", width=self._text_width)
        self.show(self.ranking, self._answers)

    def show(self, ranking: Ranking, answers: tuple[str, ...]) -> None:
        """Fill the title and the rows."""
        self.ranking = ranking
        self._answers = answers
        role = " (baseline)" if ranking.is_baseline else ""
        title = Text.assemble(
            literal(ranking.name, "bold", one_line=True), role, no_wrap=True, overflow="ellipsis"
        )
        self.query_one(".ranking-title", Label).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for hit in ranking.hits:
            change = rank_change(hit, ranking.is_baseline or not ranking.compared)
            rank = Text.assemble(f"{hit.rank:>2} ", change, "\n", (f"{hit.score:.3f}", "dim"))
            table.add_row(
                rank,
                passage_cell(hit, answers, self._text_width),
                height=2,
                key=str(hit.passage_id),
            )


def rank_change(hit: Hit, is_baseline: bool) -> Text:
    """▲ n when the passage moved up against the baseline, ▼ n down, = same, new if it
    was below the baseline's search depth; nothing in the baseline (or without one)."""
    if is_baseline:
        return Text("")
    if hit.baseline_rank is None:
        return Text("new", style="bold green")
    moved = hit.baseline_rank - hit.rank
    if moved > 0:
        return Text(f"▲{moved}", style="green")
    if moved < 0:
        return Text(f"▼{-moved}", style="red")
    return Text("=", style="dim")


def passage_cell(hit: Hit, answers: tuple[str, ...], width: int) -> Text:
    """Two lines: a ✓ for a relevant passage, docid and title; then the text around the
    first answer string, with every answer string highlighted."""
    mark = Text("✓ ", style="bold green") if hit.relevant else Text("")
    head = Text.assemble(
        mark,
        literal(hit.docid, "bold", one_line=True),
        " ",
        literal(hit.title, "italic", one_line=True),
    )
    head.truncate(width, overflow="ellipsis")
    return Text.assemble(head, "\n", snippet(hit.text, answers, width))


def snippet(text: str, answers: tuple[str, ...], width: int) -> Text:
    """``width`` characters of ``text`` around the first answer (case-sensitive, as R@kt)."""
    flat = visible(" ".join(text.split()), one_line=True)
    found = [(flat.find(answer), answer) for answer in answers if answer and answer in flat]
    start = 0
    if found:
        first, answer = min(found)
        start = max(0, min(first - (width - len(answer)) // 3, len(flat) - width))
    window = ("…" if start else "") + flat[start : start + width]
    piece = Text(window, style="dim" if not found else "")
    for answer in answers:
        if answer:
            piece.highlight_words([answer], style=ANSWER_STYLE, case_sensitive=True)
    piece.truncate(width, overflow="ellipsis")
    return piece
