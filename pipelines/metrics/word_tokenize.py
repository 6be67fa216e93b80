"""NLTK's ``word_tokenize``, the same rules run by Python's own regular-expression engine.

NLTK 3.10 wraps each of its Treebank rules in a time-limited pattern of the third-party
``regex`` engine (a guard against catastrophic backtracking); on R@kt's passages that
wrapper costs more than the matching. :func:`fast_word_tokenize` reads NLTK's own rules
(patterns and replacements, in NLTK's order) and compiles them with :mod:`re`; sentence
splitting is NLTK's Punkt itself. The tests check that it returns exactly what
``nltk.word_tokenize`` returns on every text of the shared data; where a rule does not
compile with :mod:`re`, :func:`fast_word_tokenize` returns ``nltk.word_tokenize`` itself,
and a text holding a character that the two engines class differently (``\\w``: combining
marks of Indic scripts, say; ``\\s``: the ASCII separators) goes to NLTK's own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

Tokenize = Callable[[str], list[str]]


@functools.cache
def fast_word_tokenize() -> Tokenize:
    """A function equal to ``nltk.word_tokenize`` (English), or that function itself."""
    import nltk
    from nltk.tokenize import _get_punkt_tokenizer

    words = nltk.tokenize._treebank_word_tokenizer
    try:
        before = [_plain(rule) for rule in _rules_before_padding(words)]
        after = [_plain(rule) for rule in _rules_after_padding(words)]
    except (re.error, AttributeError, TypeError, ValueError):
        fallback: Tokenize = nltk.word_tokenize
        return fallback
    sentences = _punkt_by_re(_get_punkt_tokenizer("english")).tokenize
    disputed = _Disputed()
    slow: Tokenize = nltk.word_tokenize

    def tokenize(text: str) -> list[str]:
        if disputed.holds(text):
            return slow(text)
        tokens: list[str] = []
        for sentence in sentences(text):
            for pattern, replacement in before:
                sentence = pattern.sub(replacement, sentence)
            sentence = " " + sentence + " "
            for pattern, replacement in after:
                sentence = pattern.sub(replacement, sentence)
            tokens += sentence.split()
        return tokens

    return tokenize


class _Disputed:
    """Which characters ``re`` and ``regex`` put on different sides of ``\\w``, ``\\s`` or
    ``\\d``: asked of both engines once per distinct character met."""

    CLASSES = (r"\w", r"\s", r"\d")

    def __init__(self) -> None:
        import regex  # type: ignore[import-untyped]

        self.theirs = [regex.compile(c) for c in self.CLASSES]
        self.ours = [re.compile(c) for c in self.CLASSES]
        self.known: dict[str, bool] = {}
        ascii_disputed = "".join(c for c in map(chr, range(128)) if self._ask(c))
        self.ascii = re.compile(f"[{re.escape(ascii_disputed)}]" if ascii_disputed else "(?!)")

    def holds(self, text: str) -> bool:
        """Whether ``text`` has a character that the two engines class differently."""
        if text.isascii():
            return self.ascii.search(text) is not None
        known = self.known
        for character in set(text):
            found = known.get(character)
            if found is None:
                found = known[character] = self._ask(character)
            if found:
                return True
        return False

    def _ask(self, character: str) -> bool:
        return any(
            bool(mine.match(character)) != bool(theirs.match(character))
            for mine, theirs in zip(self.ours, self.theirs, strict=True)
        )


def _punkt_by_re(shared: Any) -> Any:
    """A copy of NLTK's English Punkt tokenizer (same parameters) whose two text-wide
    patterns (sentence-end contexts, words) run by :mod:`re`; NLTK's own when they do not
    compile."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    punkt = PunktSentenceTokenizer(shared._params, lang_vars=type(shared._lang_vars)())
    variables = punkt._lang_vars
    try:
        contexts = _plain((variables.period_context_re(), ""))[0]
        words = _plain((variables._word_tokenizer_re(), ""))[0]
    except (re.error, AttributeError, TypeError):
        return shared
    variables._re_period_context, variables._re_word_tokenizer = contexts, words
    return punkt


def _rules_before_padding(words: Any) -> list[tuple[Any, str]]:
    """NLTKWordTokenizer.tokenize's rules before it pads the sentence with spaces."""
    return [
        *words.STARTING_QUOTES,
        *words.PUNCTUATION,
        words.PARENS_BRACKETS,
        words.DOUBLE_DASHES,
    ]


def _rules_after_padding(words: Any) -> list[tuple[Any, str]]:
    """The ending-quote rules, then the contractions (both replaced by `` \\1 \\2 ``)."""
    contractions = [*words.CONTRACTIONS2, *words.CONTRACTIONS3]
    return [*words.ENDING_QUOTES, *((pattern, r" \1 \2 ") for pattern in contractions)]


def _plain(rule: tuple[Any, str]) -> tuple[re.Pattern[str], str]:
    """A rule's pattern compiled by :mod:`re`, with its replacement."""
    pattern, replacement = rule
    compiled = getattr(pattern, "_rx", pattern)  # NLTK's time-limited wrapper, or re
    flags = compiled.flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE)
    if not isinstance(replacement, str):
        raise TypeError("a replacement that is not a string")
    return re.compile(compiled.pattern, re.RegexFlag(flags)), replacement
