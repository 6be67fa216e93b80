"""The facts that let R@kt skip tokenisation, on every text of the shared data, and
hand-worked questions where the token bounds decide, straddle, or cannot apply.

The end-to-end equality with the official loop is in test_r_at_kt.py (real XOR-TyDi
questions over XQuAD paragraphs) and in ``make bench-eval`` (2,000 questions, both the
recurring and the non-recurring setting).
"""

from __future__ import annotations

import pytest

from pipelines.metrics.kt_windows import canonical, query_hits, token_bounds
from pipelines.metrics.r_at_kt import TokenCache, Tokenize, english_word_tokenize, r_at_kt


@pytest.fixture(scope="module")
def tokenize() -> Tokenize:
    return english_word_tokenize()


def test_canonical_text_and_token_bounds_hold_on_all_shared_data(
    shared_texts: list[str], tokenize: Tokenize
) -> None:
    broken = []
    for text in shared_texts:
        tokens = tokenize(text)
        least, most = token_bounds(text)
        if canonical(" ".join(tokens)) != canonical(text) or not least <= len(tokens) <= most:
            broken.append(text)
    assert broken == []


@pytest.mark.parametrize(
    ("text", "tokens", "bounds"),
    [
        ("The capital of France is Paris.", 7, (6, 7)),
        # He said `` I can not go . '' (8 pieces, 2 more for a contraction)
        ('He said "I cannot go."', 9, (5, 10)),
        # Do n't stop , U.S. troops ! (11 pieces, 2 more for n't)
        ("Don't stop, U.S. troops!", 7, (4, 13)),
        ("", 0, (0, 0)),
    ],
)
def test_token_bounds_bracket_the_count(
    tokenize: Tokenize, text: str, tokens: int, bounds: tuple[int, int]
) -> None:
    assert len(tokenize(text)) == tokens
    assert token_bounds(text) == bounds


def test_canonical_unifies_quotes_and_drops_whitespace(tokenize: Tokenize) -> None:
    text = 'She said "go" and `left`.'
    assert " ".join(tokenize(text)) == "She said `` go '' and ` left ` ."
    assert canonical(text) == canonical(" ".join(tokenize(text))) == "Shesaid''go''and'left'."


PASSAGES = {
    1: "He was born in New",
    2: "York City in 1950.",
    3: "The capital of France is Paris.",
    4: 'He said "I cannot go." Then he left for Rome, U.S. style!',
    5: "Nothing to see here at all, friends.",
}


def _all_ways(
    tokenize: Tokenize, ranked: list[int], spans: list[str], budgets: list[int]
) -> dict[int, float]:
    """query_hits, after checking it against the official reading and a reading that
    tokenises everything, with a cache that counts what it tokenised."""
    cache = TokenCache(dict(PASSAGES), tokenize)
    assert cache.skips
    fast = query_hits(ranked, spans, budgets, cache)
    expected = {b: r_at_kt([tokenize(PASSAGES[p]) for p in ranked], spans, b) for b in budgets}
    assert fast == expected
    return fast


def test_answers_across_passages_and_budgets(tokenize: Tokenize) -> None:
    # "New York" spans passages 1 and 2: tokens 5-6 of the window.
    assert _all_ways(tokenize, [1, 2, 3], ["New York"], [5, 6, 100]) == {5: 0, 6: 1, 100: 1}
    # "can not" exists only tokenised; "cannot" only raw (never a hit).
    assert _all_ways(tokenize, [5, 4], ["can not"], [8, 14, 15]) == {8: 0, 14: 0, 15: 1}
    assert _all_ways(tokenize, [5, 4], ["cannot"], [100]) == {100: 0}
    # A quoted answer in tokenised form, and one the tokeniser rewrote away.
    assert _all_ways(tokenize, [4], ["`` I"], [3, 4]) == {3: 0, 4: 1}
    assert _all_ways(tokenize, [4], ['"I'], [100]) == {100: 0}
    # An answer at a passage edge with whitespace: matched against the joining space.
    assert _all_ways(tokenize, [1, 2], [" York"], [5, 6]) == {5: 0, 6: 1}


def test_bounds_decide_without_tokenising_the_passages_before(tokenize: Tokenize) -> None:
    calls: list[str] = []

    def counting(text: str) -> list[str]:
        calls.append(text)
        return tokenize(text)

    cache = TokenCache(dict(PASSAGES), tokenize)
    cache.tokenize = counting
    # "Paris" is token 6 of passage 3, after passage 5 (7 to 9 tokens: 9) and passage 1
    # (5 words, no splitter: exactly 5): it ends at token 18 to 20 (20).
    assert query_hits([5, 1, 3], ["Paris"], [17, 20], cache) == {17: 0.0, 20: 1.0}
    assert calls == [PASSAGES[3]]
    # At 19 the bounds straddle the budget: passage 5 is counted, and decides.
    assert query_hits([5, 1, 3], ["Paris"], [19], cache) == {19: 0.0}
    assert calls == [PASSAGES[3], PASSAGES[5]]
    assert r_at_kt([tokenize(PASSAGES[p]) for p in (5, 1, 3)], ["Paris"], 19) == 0.0
    # No canonical occurrence anywhere: a miss with nothing tokenised.
    calls.clear()
    assert query_hits([5, 1, 2, 4], ["Berlin"], [2000], cache) == {2000: 0.0}
    assert calls == []
