"""The moves of a model-aware attack: every way to change a query by one edit.

Two families, one per attack (the budget counts edits of one kind):

- ``code-mix`` (after Adversarial Polyglots, Tan & Joty 2021): replace one word of the query
  by the word aligned with it in a translation of the same XNLI sentence into another
  language. The query is cut into words as the random perturbations cut it (spaces, or
  two-cluster pseudo-words in scripts written without spaces), and so is the donor
  sentence; word i of n aligns with donor word floor(i * (m - 1) / (n - 1) + 1/2) of m (the
  diagonal alignment of ``code-switch``: no word aligner runs offline), and with its
  neighbours up to ``window`` words away, since the diagonal is a guess. A word is replaced
  at most once, so the budget is the number of words that differ from the query.
- ``char``: one edit of a character cluster (a letter with its combining marks) inside a
  word: delete it, swap it with the next cluster of the word, substitute another cluster of
  the same script, or insert one before it. New clusters come from the query itself and
  have the script of the cluster they replace or precede, so Thai stays Thai and Hindi
  stays Devanagari. The budget is the number of edits (a swap counts one).

A state is the query as a tuple of units (words, or clusters) with the positions already
changed; :func:`expand` lists every state one move away, in a fixed order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pipelines.robustness.perturb import aligned, clusters, script, words

MoveFamily = Literal["code-mix", "char"]
# Replaced text at least this similar (difflib's ratio) is marked character by character.
TYPO_SIMILARITY = 0.75
MOVE_FAMILIES: tuple[MoveFamily, ...] = ("code-mix", "char")


@dataclass(frozen=True)
class Move:
    """One edit: its kind, where (word or cluster index), what it puts there, and (for
    code-mixing) the donor language."""

    kind: str
    position: int
    text: str = ""
    language: str = ""

    def describe(self) -> str:
        """``code-mix 3 -> 'Haus' (de)``, ``swap 5``, ``substitute 2 -> 'ก'``."""
        put = f" -> {self.text!r}" if self.text else ""
        return f"{self.kind} {self.position}{put}" + (
            f" ({self.language})" if self.language else ""
        )


@dataclass(frozen=True)
class State:
    """The query after some moves: its units, how to join them, and what was done."""

    units: tuple[str, ...]
    separator: str
    moves: tuple[Move, ...] = ()
    changed: frozenset[int] = field(default_factory=frozenset)

    @property
    def text(self) -> str:
        """The query text (words code-mixed into a spaceless sentence keep single spaces
        around them)."""
        joined = self.separator.join(self.units)
        mixed = not self.separator and any(m.kind == "code-mix" for m in self.moves)
        return " ".join(joined.split()) if mixed else joined


def start(family: MoveFamily, text: str) -> State:
    """The unchanged query as a state of one family."""
    if family == "code-mix":
        units, separator = words(text)
        return State(tuple(units), separator)
    return State(tuple(clusters(text)), "")


def expand(
    family: MoveFamily, state: State, donors: Mapping[str, str] | None = None, window: int = 0
) -> Iterator[State]:
    """Every state one move away (``donors``: language -> the same sentence, for code-mix)."""
    if family == "code-mix":
        yield from _code_mixes(state, donors or {}, window)
    else:
        yield from _char_edits(state)


def _code_mixes(state: State, donors: Mapping[str, str], window: int) -> Iterator[State]:
    cut = {language: words(text)[0] for language, text in sorted(donors.items())}
    for i, unit in enumerate(state.units):
        if i in state.changed or not unit.strip():
            continue
        for language, donor in cut.items():
            centre = aligned(i, len(state.units), len(donor))
            for j in range(max(centre - window, 0), min(centre + window, len(donor) - 1) + 1):
                word = donor[j].strip()
                if not word or word == unit.strip():
                    continue
                # A spaced word inside a spaceless sentence keeps spaces around it.
                put = word if state.separator else f" {word} "
                yield _apply(state, Move("code-mix", i, word, language), i, put)


def _apply(state: State, move: Move, position: int, put: str) -> State:
    units = list(state.units)
    units[position] = put
    return State(tuple(units), state.separator, (*state.moves, move), state.changed | {position})


def _char_edits(state: State) -> Iterator[State]:
    units = state.units
    inventory = sorted({u for u in units if u[0].isalpha()})
    for i, unit in enumerate(units):
        if not unit[0].isalpha():
            continue
        same = [c for c in inventory if script(c[0]) == script(unit[0])]
        if _word_length(units, i) > 1:
            yield _edited(state, Move("delete", i), [*units[:i], *units[i + 1 :]])
        following = units[i + 1] if i + 1 < len(units) else ""
        if following[:1].isalpha() and following != unit:
            swapped = [*units[:i], following, unit, *units[i + 2 :]]
            yield _edited(state, Move("swap", i), swapped)
        for other in same:
            if other != unit:
                replaced = [*units[:i], other, *units[i + 1 :]]
                yield _edited(state, Move("substitute", i, other), replaced)
        for other in same:
            yield _edited(state, Move("insert", i, other), [*units[:i], other, *units[i:]])


def _edited(state: State, move: Move, units: Sequence[str]) -> State:
    return State(tuple(units), "", (*state.moves, move), state.changed)


def _word_length(units: Sequence[str], at: int) -> int:
    """Clusters in the word around ``at`` (deleting a word's only cluster is not an edit
    inside a word)."""
    left = at
    while left > 0 and not units[left - 1].isspace():
        left -= 1
    right = at
    while right + 1 < len(units) and not units[right + 1].isspace():
        right += 1
    return right - left + 1


def diff_spans(original: str, changed: str) -> tuple[list[Span], list[Span]]:
    """Character spans that differ between two texts: (spans in ``original``, spans in
    ``changed``). Words are compared first; words replaced by similar ones (a typo, an edit
    inside a spaceless sentence) have only their differing characters marked, others (a
    code-mixed word) are marked whole."""
    from difflib import SequenceMatcher

    a, b = _tokens(original), _tokens(changed)
    before: list[Span] = []
    after: list[Span] = []
    words = SequenceMatcher(None, [t for t, _ in a], [t for t, _ in b], autojunk=False)
    for tag, i1, i2, j1, j2 in words.get_opcodes():
        if tag == "equal":
            continue
        left = (a[i1][1], a[i2 - 1][1] + len(a[i2 - 1][0])) if i2 > i1 else (0, 0)
        right = (b[j1][1], b[j2 - 1][1] + len(b[j2 - 1][0])) if j2 > j1 else (0, 0)
        old, new = original[slice(*left)], changed[slice(*right)]
        inner = SequenceMatcher(None, old, new, autojunk=False)
        if tag != "replace" or inner.ratio() < TYPO_SIMILARITY:
            before += [left] if i2 > i1 else []
            after += [right] if j2 > j1 else []
            continue
        for op, k1, k2, l1, l2 in inner.get_opcodes():
            if op != "equal":
                before += [(left[0] + k1, left[0] + k2)] if k2 > k1 else []
                after += [(right[0] + l1, right[0] + l2)] if l2 > l1 else []
    return before, after


Span = tuple[int, int]


def _tokens(text: str) -> list[tuple[str, int]]:
    """Words and the runs of spaces between them, with their offsets."""
    import re

    return [(m.group(), m.start()) for m in re.finditer(r"\S+|\s+", text)]
