"""One question's R@kt hits with as little tokenisation as the answer allows.

The official loop tokenises every retrieved passage up to the budget. Most of those tokens
cannot change the outcome, and two facts about NLTK's ``word_tokenize`` (checked against
its rules, and on every passage of the shared data by the tests) say which:

1. It only inserts whitespace and rewrites a ``"`` as two backquotes or two apostrophes.
   So a passage's :func:`canonical` text (quotes unified, whitespace removed) equals that
   of its tokens joined by spaces, and an answer can only occur in a window where its
   canonical text occurs in the passages' canonical text.
2. It splits a whitespace-separated word only next to punctuation it knows (or inside a
   contraction such as ``cannot``), so :func:`token_bounds` brackets a passage's token
   count without tokenising it.

:func:`query_hits` therefore tokenises only the passages that hold an answer's canonical
text, finds the first real occurrence, and places it against each budget with the
bounds of the passages before it; only when a bound cannot decide are those passages
tokenised too. The values are the official loop's, question by question.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Protocol

_QUOTES = str.maketrans({'"': "''", "`": "'"})
# Every character next to which word_tokenize's rules (Treebank and Punkt) may split.
_SPLITTERS = r".,:;@#$%&?!'\"`«»“”‘’„*()\[\]{}<>\-\u2012-\u2015"
_PIECES = re.compile(rf"[{_SPLITTERS}]|[^{_SPLITTERS}\s]+")
# Splits away from a splitter: do|n't, and MacIntyre's contractions (can|not, 't|is ...).
_INNER = re.compile(
    r"n't|\b(?:can(?=not\b)|d(?='ye\b)|gim(?=me\b)|gon(?=na\b)|got(?=ta\b)|lem(?=me\b)"
    r"|more(?='n\b)|wan(?=na\s))|'t(?=is\b|was\b)",
    re.IGNORECASE,
)


class Passages(Protocol):
    """What :func:`query_hits` reads of the passages (a ``TokenCache``)."""

    def __getitem__(self, passage_id: int) -> list[str]: ...

    def canonical(self, passage_id: int) -> str: ...

    def bounds(self, passage_id: int) -> tuple[int, int]: ...

    def least(self, passage_id: int) -> int: ...


def canonical(text: str) -> str:
    """``text`` with quote marks unified (``"`` as two apostrophes, a backquote as one)
    and whitespace removed. The map keeps substrings: an answer in a window has its
    canonical text in the window's."""
    return "".join(canonical_words(text))


def canonical_words(text: str) -> list[str]:
    """The whitespace-separated words of ``text`` with quote marks unified: joined, its
    :func:`canonical` text; counted, the fewest tokens ``word_tokenize`` makes of it."""
    return text.translate(_QUOTES).split()


def token_bounds(text: str) -> tuple[int, int]:
    """(least, most) tokens ``word_tokenize`` can make of ``text``: its whitespace-separated
    words, and those words cut next to every splitter character and at every contraction."""
    return len(text.split()), len(_PIECES.findall(text)) + 2 * len(_INNER.findall(text))


def query_hits(
    passage_ids: Sequence[int], spans: Sequence[str], budgets: Sequence[int], passages: Passages
) -> dict[int, float]:
    """Budget -> 1.0 if a span answer lies in the first ``budget`` tokens, else 0.0.

    Args:
        passage_ids: the retrieved passages, best first.
        spans: the question's span answers (at least one).
        budgets: token budgets, e.g. (2000, 5000).
        passages: tokens, canonical text and token bounds per passage.
    """
    if any(answer != answer.strip() or not answer for answer in spans):
        # Whitespace at an answer's edge can match the space that joins two passages.
        return sequential_hits(passage_ids, spans, budgets, passages)
    first = _first_occurrence(passage_ids, spans, max(budgets), passages)
    if first is None:
        return {budget: 0.0 for budget in budgets}
    rank, offset = first
    before = passage_ids[:rank]
    return {budget: _placed(before, offset, budget, passages) for budget in budgets}


def _placed(before: Sequence[int], offset: int, budget: int, passages: Passages) -> float:
    """1.0 if an occurrence ending ``offset`` tokens after the passages ``before`` lies
    within ``budget`` tokens. Bounds decide; where they straddle the budget, passages
    are tokenised (tightening both bounds) until they do."""
    counts = [passages.bounds(p) for p in before]
    least = sum(low for low, _ in counts) + offset
    most = sum(high for _, high in counts) + offset
    for passage_id, (low, high) in zip(before, counts, strict=True):
        if most <= budget or least > budget:
            break
        if low != high:
            exact = len(passages[passage_id])
            least, most = least - low + exact, most - high + exact
    return 1.0 if most <= budget else 0.0


def _first_occurrence(
    passage_ids: Sequence[int], spans: Sequence[str], largest: int, passages: Passages
) -> tuple[int, int] | None:
    """(rank of a run's first passage, tokens into the run) at which the first answer
    occurrence ends, or None when no answer occurs within ``largest`` tokens' reach."""
    least = 0
    position = 0
    for start, end in _runs(passage_ids, spans, largest, passages):
        least += sum(passages.least(p) for p in passage_ids[position:start])
        if least >= largest:
            return None
        tokens = [token for p in passage_ids[start : end + 1] for token in passages[p]]
        offset = _first_end(tokens, spans)
        if offset is not None:
            return start, offset
        least += len(tokens)
        position = end + 1
    return None


def _runs(
    passage_ids: Sequence[int], spans: Sequence[str], largest: int, passages: Passages
) -> list[tuple[int, int]]:
    """Maximal runs (first rank, last rank) of passages that an answer's canonical text
    touches, up to the passage where ``largest`` tokens are surely reached; an answer
    occurrence never leaves its run."""
    texts, least = [], 0
    for passage_id in passage_ids:
        texts.append(passages.canonical(passage_id))
        least += passages.least(passage_id)
        if least >= largest:
            break
    starts = [0]
    for text in texts:
        starts.append(starts[-1] + len(text))
    joined = "".join(texts)
    covered = [False] * len(texts)
    for key in {canonical(answer) for answer in spans}:
        at = joined.find(key)
        while at >= 0:
            first = _rank_at(starts, at)
            last = _rank_at(starts, at + len(key) - 1)
            for rank in range(first, last + 1):
                covered[rank] = True
            at = joined.find(key, at + 1)
    runs: list[tuple[int, int]] = []
    for rank, touched in enumerate(covered):
        if touched and runs and runs[-1][1] == rank - 1:
            runs[-1] = (runs[-1][0], rank)
        elif touched:
            runs.append((rank, rank))
    return runs


def _rank_at(starts: list[int], position: int) -> int:
    return bisect.bisect_right(starts, position) - 1


def _first_end(tokens: list[str], spans: Sequence[str]) -> int | None:
    """The least n such that an answer is in the first n tokens joined, or None."""
    if not _holds(tokens, len(tokens), spans):
        return None
    low, high = 1, len(tokens)
    while low < high:
        middle = (low + high) // 2
        if _holds(tokens, middle, spans):
            high = middle
        else:
            low = middle + 1
    return low


def _holds(tokens: list[str], end: int, spans: Sequence[str]) -> bool:
    window = " ".join(tokens[:end])
    return any(answer in window for answer in spans)


def sequential_hits(
    passage_ids: Sequence[int], spans: Sequence[str], budgets: Sequence[int], passages: Passages
) -> dict[int, float]:
    """The plain reading: concatenate tokens up to the largest budget, cut each window."""
    largest = max(budgets)
    tokens: list[str] = []
    for passage_id in passage_ids:
        tokens.extend(passages[passage_id])
        if len(tokens) >= largest:
            break
    return {budget: 1.0 if _holds(tokens, budget, spans) else 0.0 for budget in budgets}
