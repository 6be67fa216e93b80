"""The attacker's search with tiny deterministic encoders: hand-worked best moves, the
budget, and the model calls it spends."""

from __future__ import annotations

import math
import string
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.robustness.adversarial import Settings, Target, attack
from pipelines.robustness.moves import clusters, expand, start, words

LETTERS = "abcdefgh"


class Letters:
    """A bag-of-letters encoder (dimension 8: counts of a..h) that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.array([[t.count(c) for c in LETTERS] for t in texts], dtype=np.float32)


VOCABULARY = ("das", "haus", "ist", "la", "maison", "est", "the", "house", "is")


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """One dimension per word of VOCABULARY."""
    return np.array([[t.split().count(w) for w in VOCABULARY] for t in texts], dtype=np.float32)


def one_hot(*hot: str, alphabet: Sequence[str] = LETTERS) -> list[float]:
    return [float(x in hot) for x in alphabet]


def letters_target(encoder: Letters) -> Target:
    # passage 10 is all 'a', passage 20 all 'b': a query's margin is (#a - #b).
    return Target(encoder, np.array([one_hot("a"), one_hot("b")], np.float32), np.array([10, 20]))


def test_greedy_takes_the_best_single_edit_worked_by_hand() -> None:
    """'ab' against passages 'a' (relevant, key 10) and 'b': margin #a - #b = 0, rank 1 (the
    tie goes to the lower key). The eight single edits and their margins: delete 0 'b' -1,
    delete 1 'a' +1, swap 'ba' 0, substitute 0 'bb' -2, substitute 1 'aa' +2, insert 'aab'
    +1, 'bab' -1, 'abb' -1 (insert a at 1 is 'aab' again). The best is 'bb'."""
    encoder = Letters()
    state = start("char", "ab")
    assert sorted(s.text for s in expand("char", state)) == sorted(
        ["b", "a", "ba", "bb", "aa", "aab", "bab", "aab", "abb"]
    )
    found = attack(letters_target(encoder), "ab", 10, Settings("char", budget=1, goal=1))
    assert found.state.text == "bb"
    assert [m.describe() for m in found.state.moves] == ["substitute 0 -> 'b'"]
    assert (found.clean.margin, found.clean.rank) == (0.0, 1)
    assert (found.scored.margin, found.scored.rank, found.scored.score) == (-2.0, 2, 0.0)


def test_model_calls_are_counted_per_batch_of_candidates() -> None:
    """1 call for the clean query, then the 8 distinct candidates in batches of 3: 3 calls."""
    encoder = Letters()
    target = letters_target(encoder)
    found = attack(target, "ab", 10, Settings("char", budget=1, goal=1, batch=3))
    assert (found.calls, found.encoded) == (4, 9)
    assert (encoder.calls, encoder.texts) == (4, 9)
    again = attack(target, "ab", 10, Settings("char", budget=1, goal=1, batch=3))
    assert (again.calls, target.calls) == (4, 8)  # per query, and in total


def test_code_mixing_takes_the_aligned_word_that_hurts_most() -> None:
    """German 'das haus ist' with its French and English translations; passage 0 (relevant)
    holds haus, house and ist, passage 1 la and maison. Words align on the diagonal (three
    words each). Margins of the single swaps: das->la 1, das->the 2, haus->maison 0,
    haus->house 2, ist->est 1, ist->is 1: haus->maison is best. Then, from margin 0, das->la,
    ist->est and ist->is all reach -1; the first in order (das->la) wins, and the relevant
    passage leaves rank 1, so the search stops with budget left."""
    rel = [float(w in ("haus", "house", "ist")) for w in VOCABULARY]
    other = [float(w in ("la", "maison")) for w in VOCABULARY]
    target = Target(bag_of_words, np.array([rel, other], np.float32), np.array([1, 2]))
    donors = {"fr": "la maison est", "en": "the house is"}
    one = attack(target, "das haus ist", 1, Settings("code-mix", budget=1, goal=1), donors=donors)
    assert one.state.text == "das maison ist"
    assert [m.describe() for m in one.state.moves] == ["code-mix 1 -> 'maison' (fr)"]
    three = attack(target, "das haus ist", 1, Settings("code-mix", budget=3, goal=1), donors=donors)
    assert three.state.text == "la maison ist"
    assert (three.scored.margin, three.scored.rank) == (-1.0, 2)
    # 1 clean call, then 6 candidates, then 4 (the changed word is not offered again)
    assert (three.calls, three.encoded) == (3, 11)


def test_a_query_the_target_cannot_be_moved_on_stops_without_edits() -> None:
    """'aa' is at margin +2 and its only letter is 'a': the candidates are 'a' (delete, +1)
    and 'aaa' (insert, +3), so 'a' is taken; from 'a' nothing is left (a word's only
    cluster is never deleted, and 'aa' was seen), so the search stops with budget left."""
    encoder = Letters()
    found = attack(letters_target(encoder), "aa", 10, Settings("char", budget=3, goal=1))
    assert found.state.text == "a"
    assert found.scored.margin == 1.0
    assert len(found.state.moves) == 1
    assert found.calls == 2


@st.composite
def queries(draw: st.DrawFn) -> str:
    alphabet = st.sampled_from([*LETTERS[:4], "é", "ก", "่", " ", "中"])
    return draw(st.text(alphabet, min_size=1, max_size=12)).strip() or "a"


@settings(max_examples=60, deadline=None)
@given(text=queries(), budget=st.integers(1, 4), beam=st.integers(1, 3))
def test_character_attacks_never_exceed_their_budget(text: str, budget: int, beam: int) -> None:
    """Whatever the text and search width: at most ``budget`` moves, and the adversarial
    text lies within ``budget`` cluster edits of the query (a swap counts one)."""
    encoder = Letters()
    found = attack(
        letters_target(encoder), text, 10, Settings("char", budget=budget, beam=beam, goal=1)
    )
    assert len(found.state.moves) <= budget
    assert edit_distance(clusters(text), clusters(found.state.text)) <= len(found.state.moves)
    assert found.calls == encoder.calls


@settings(max_examples=40, deadline=None)
@given(
    chosen=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6),
    budget=st.integers(1, 3),
    window=st.integers(0, 2),
)
def test_code_mixing_never_changes_more_words_than_its_budget(
    chosen: list[str], budget: int, window: int
) -> None:
    rel = [float(w in chosen[:1]) for w in VOCABULARY]
    other = [float(w in ("la", "maison", "the")) for w in VOCABULARY]
    target = Target(bag_of_words, np.array([rel, other], np.float32), np.array([1, 2]))
    text = " ".join(chosen)
    found = attack(
        target,
        text,
        1,
        Settings("code-mix", budget=budget, goal=1, window=window),
        donors={"fr": "la maison est belle", "en": "the house"},
    )
    before, after = words(text)[0], words(found.state.text)[0]
    assert len(after) == len(before)
    assert sum(a != b for a, b in zip(before, after, strict=True)) <= budget


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Optimal string alignment distance (insert, delete, substitute, adjacent swap)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_edit_distance_counts_a_swap_once() -> None:
    assert edit_distance("ab", "ba") == 1
    assert edit_distance("abc", "ac") == 1
    assert edit_distance(string.ascii_lowercase[:3], "xyz") == 3
    assert math.isclose(edit_distance("", "ab"), 2)
