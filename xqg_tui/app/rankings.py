"""What a search on the Search screen found: plain records, no heavy imports.

The engine (:mod:`xqg_tui.app.engine`) fills them in a worker; the screen draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.browse import KnownQuery


@dataclass(frozen=True)
class Hit:
    """One ranked passage; ``baseline_rank`` is its rank in the baseline ranking (None:
    below the baseline's search depth)."""

    rank: int
    passage_id: int
    score: float
    docid: str
    title: str
    text: str
    baseline_rank: int | None
    relevant: bool


@dataclass(frozen=True)
class Ranking:
    """The top passages of one index; ``compared`` says whether a baseline was searched
    too (without one, there is no rank change to show)."""

    run_id: int
    name: str
    is_baseline: bool
    hits: list[Hit]
    compared: bool = True


@dataclass(frozen=True)
class SearchOutcome:
    """What one search found, and how long each part took (milliseconds)."""

    text: str
    language: str
    known: list[KnownQuery]
    rankings: list[Ranking]
    encode_ms: float
    search_ms: float
    read_ms: float
