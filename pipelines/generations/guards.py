"""Quality guards on generated queries: what is dropped, and why it is counted.

A sampled output is dropped when it is empty, when it merely copies the model input
(the whole prompt, or a verbatim span of it at least ``MIN_COPY_CHARS`` long: a sentence
lifted from the passage, the instruction), or when it repeats an earlier sample of the
same passage and language exactly. Short spans such as a name are kept: a query may well
be one. Kept queries are numbered 0, 1, ... in sampling order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

MIN_COPY_CHARS = 20
Row = TypeVar("Row")


def renumbered(rows: Sequence[Row], owner: Callable[[Row], Hashable]) -> list[Row]:
    """The rows (NamedTuples with a ``position``), in order, numbered 0, 1, ... per owner
    (a passage and language): what the kept ones are called once a guard dropped some."""
    seen: Counter[Hashable] = Counter()
    found = []
    for row in rows:
        key = owner(row)
        found.append(cast(Any, row)._replace(position=seen[key]))  # a NamedTuple
        seen[key] += 1
    return found


@dataclass
class GuardCounts:
    """How many samples each guard dropped."""

    empty: int = 0
    copies: int = 0
    duplicates: int = 0

    def add(self, other: GuardCounts) -> None:
        """Add another count in place."""
        self.empty += other.empty
        self.copies += other.copies
        self.duplicates += other.duplicates


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def copies_input(query: str, prompt: str) -> bool:
    """True when the query is the prompt, or a long verbatim span of it (case, spaces aside)."""
    query, prompt = _normal(query), _normal(prompt)
    return query == prompt or (len(query) >= MIN_COPY_CHARS and query in prompt)


def guard_samples(
    samples: Sequence[str], prompt: str, *, enabled: bool = True
) -> tuple[list[str], GuardCounts]:
    """The samples of one passage and language that pass the guards, and what was dropped."""
    counts = GuardCounts()
    kept: list[str] = []
    for sample in samples:
        query = sample.strip()
        if not enabled:
            kept.append(query)
        elif not query:
            counts.empty += 1
        elif copies_input(query, prompt):
            counts.copies += 1
        elif query in kept:
            counts.duplicates += 1
        else:
            kept.append(query)
    return kept, counts
