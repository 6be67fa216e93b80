"""Messages of the app: small dataclasses that workers and screens post.

Workers report their results with these (``post_message`` is thread-safe); screens ask the
app to open another screen with :class:`OpenPassage`, :class:`OpenQuery` and
:class:`SwitchScreen`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # heavy modules (numpy, scipy) load when first needed, not at startup
    from pipelines.evaluate import EvaluationReport
    from pipelines.robustness.evaluate import RobustnessReport
    from pipelines.robustness.examples import Example
    from store.browse import (
        CollectionInfo,
        EvaluatedRun,
        IndexRun,
        Passage,
        PassageGenerations,
        PassageLine,
        PassageListing,
        QueryDelta,
        RunOverview,
    )
    from store.records import Run
    from xqg_tui.app.rankings import SearchOutcome

# --- navigation -----------------------------------------------------------------------------


@dataclass
class SwitchScreen(Message):
    """Show the screen called ``name`` (passages, search, compare, runs)."""

    name: str


@dataclass
class OpenPassage(Message):
    """Show a passage on the Passages screen."""

    passage_id: int


@dataclass
class OpenQuery(Message):
    """Search a query on the Search screen with the given indexes."""

    text: str
    language: str
    index_run_ids: tuple[int, ...]


# --- passages -------------------------------------------------------------------------------


@dataclass
class CollectionsLoaded(Message):
    """The collections of the database, with passage counts."""

    collections: list[CollectionInfo]


@dataclass
class ListingLoaded(Message):
    """A passage listing was counted; ``cursor`` is the position to select."""

    listing: PassageListing
    cursor: int = 0


@dataclass
class PageLoaded(Message):
    """One page of a passage listing was read."""

    listing: PassageListing
    page: int
    lines: list[PassageLine]


@dataclass
class PassageHighlighted(Message):
    """The cursor of a passage list rests on a passage."""

    passage_id: int


@dataclass
class PassageLoaded(Message):
    """A passage and its generated queries were read."""

    passage: Passage
    generations: list[PassageGenerations]


# --- search ---------------------------------------------------------------------------------


@dataclass
class IndexesLoaded(Message):
    """The indexes that can be searched."""

    indexes: list[IndexRun]
    languages: list[str]


@dataclass
class SearchStatus(Message):
    """Progress of a search worker (loading a model, searching)."""

    text: str


@dataclass
class SearchFinished(Message):
    """A search worker finished."""

    outcome: SearchOutcome


@dataclass
class SearchFailed(Message):
    """A search worker failed; ``error`` says why."""

    error: str


@dataclass
class SearchRendered(Message):
    """Search results are on screen; ``total_ms`` is the round trip from Enter."""

    outcome: SearchOutcome
    total_ms: float


# --- compare --------------------------------------------------------------------------------


@dataclass
class CompareChoicesLoaded(Message):
    """The evaluated search runs, their common measures, and the newest comparison."""

    runs: list[EvaluatedRun]
    measures: list[str]
    latest: tuple[int, list[int]] | None
    # test, correction and alpha of the newest evaluation, which the marks follow
    statistics: dict[str, Any]


@dataclass
class ReportLoaded(Message):
    """An evaluation report for the chosen runs and measure was built."""

    report: EvaluationReport
    measure: str


@dataclass
class DeltasLoaded(Message):
    """The queries a system helped and hurt most in one language."""

    language: str
    system: str
    helped: list[QueryDelta]
    hurt: list[QueryDelta]


# --- runs -----------------------------------------------------------------------------------


@dataclass
class RobustnessRunsLoaded(Message):
    """The finished robustness evaluations, oldest first."""

    runs: list[Run]


@dataclass
class RobustnessLoaded(Message):
    """The report of one robustness evaluation was built, with the adversarial examples of
    each model-aware attack."""

    report: RobustnessReport
    examples: dict[str, list[Example]] = field(default_factory=dict)


@dataclass
class RunsLoaded(Message):
    """Every run record, read again."""

    runs: list[RunOverview]
