"""The faster word_tokenize returns NLTK's tokens exactly, on every text of the shared data."""

from __future__ import annotations

import nltk
import pytest

from pipelines.metrics.r_at_kt import TokenCache, Tokenize, english_word_tokenize
from pipelines.metrics.word_tokenize import fast_word_tokenize


@pytest.fixture(scope="module")
def fast() -> Tokenize:
    return fast_word_tokenize()


def test_equal_to_nltk_on_all_shared_data(shared_texts: list[str], fast: Tokenize) -> None:
    tokenize = english_word_tokenize()
    assert fast is not tokenize
    assert [text for text in shared_texts if fast(text) != tokenize(text)] == []


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # Python's re does not count the Devanagari vowel sign before the apostrophe as a
        # word character, NLTK's regex engine does: the text goes to NLTK's own rules.
        ("बूट ला'अल रेट्टी (La'al Ratty)", ["बूट", "ला'अल", "रेट्टी", "(", "La'al", "Ratty", ")"]),
        # An ASCII separator: whitespace to re, not to regex.
        ("He left.\x1f", ["He", "left", "."]),
        (
            'He said "I cannot go." Then he left.',
            ["He", "said", "``", "I", "can", "not", "go", ".", "''", "Then", "he", "left", "."],
        ),
    ],
)
def test_disputed_characters_fall_back_to_nltk(
    fast: Tokenize, text: str, tokens: list[str]
) -> None:
    assert nltk.word_tokenize(text) == tokens
    assert fast(text) == tokens


def test_token_cache_uses_the_fast_tokenizer_only_for_nltk_word_tokenize() -> None:
    assert TokenCache({}).tokenize is not nltk.word_tokenize
    assert TokenCache({}, nltk.word_tokenize).skips
    assert not TokenCache({}, str.split).skips
    assert TokenCache({}, str.split).tokenize is str.split
