"""R@kt of XOR-Retrieve, exactly as the official ``eval_xor_retrieve.py`` defines it.

For a question: take the retrieved passages' text (not title) in rank order, tokenise each
with NLTK ``word_tokenize``, concatenate, keep the first ``kt`` tokens, join them with single
spaces, and count a hit if any answer (``yes``/``no`` excluded) is a case-sensitive
substring. Questions whose only answers are yes/no (or that have none) are skipped.

The official loop re-tokenises every passage for every question; here each passage is
tokenised at most once (:class:`TokenCache`), and only where its tokens can change a
question's value (:mod:`pipelines.metrics.kt_windows`): the speed changes, not the numbers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping, Sequence

from pipelines.errors import StepError
from pipelines.metrics.kt_windows import canonical_words, query_hits, sequential_hits, token_bounds
from pipelines.metrics.word_tokenize import fast_word_tokenize

Tokenize = Callable[[str], list[str]]
NON_SPAN_ANSWERS = frozenset({"yes", "no"})
# NLTK releases whose word_tokenize rules kt_windows was checked against.
CHECKED_NLTK = ("3.10.",)


def span_answers(answers: Iterable[str]) -> list[str]:
    """The answers that count for R@kt (yes/no are not spans)."""
    return [answer for answer in answers if answer not in NON_SPAN_ANSWERS]


def r_at_kt(
    ranked_tokens: Iterable[Sequence[str]], answers: Iterable[str], kt: int
) -> float | None:
    """1.0 for a hit, 0.0 for a miss, None when the question has no span answer.

    Args:
        ranked_tokens: token lists of the retrieved passages, best first.
        answers: the question's answer strings.
        kt: how many tokens to keep (2000 for R@2kt, 5000 for R@5kt).
    """
    spans = span_answers(answers)
    if not spans:
        return None
    tokens: list[str] = []
    for passage_tokens in ranked_tokens:
        tokens.extend(passage_tokens)
        if len(tokens) >= kt:
            break
    window = " ".join(tokens[:kt])
    return 1.0 if any(answer in window for answer in spans) else 0.0


def r_at_kt_values(
    ranked: Mapping[int, Sequence[int]],
    answers: Mapping[int, Sequence[str]],
    tokens_of: TokenCache,
    budgets: Sequence[int],
    advance: Callable[[int], None] | None = None,
) -> dict[int, dict[int, float]]:
    """Budget -> {query id: 1.0 or 0.0} for every ranked query that has a span answer.

    Each query is decided by :func:`query_hits`, which tokenises only the passages whose
    tokens can change the answer; the values are exactly the official loop's.

    Args:
        ranked: query id -> retrieved passage ids, best first.
        answers: query id -> its answer strings.
        tokens_of: the passages' tokens (each passage tokenised at most once).
        budgets: token budgets, e.g. (2000, 5000).
        advance: called with 1 after each query (progress).
    """
    found: dict[int, dict[int, float]] = {budget: {} for budget in budgets}
    for query_id, passage_ids in ranked.items():
        spans = span_answers(answers.get(query_id, ()))
        if spans and budgets:
            hits = (query_hits if tokens_of.skips else sequential_hits)(
                passage_ids, spans, budgets, tokens_of
            )
            for budget, value in hits.items():
                found[budget][query_id] = value
        if advance is not None:
            advance(1)
    return found


class TokenCache:
    """Passage id -> its ``word_tokenize`` tokens, computed once per passage, with the
    canonical text and token bounds that let :func:`query_hits` skip most passages."""

    def __init__(self, texts: dict[int, str], tokenize: Tokenize | None = None) -> None:
        self.texts = texts
        self.tokenize = tokenize or english_word_tokenize()
        self.tokens: dict[int, list[str]] = {}
        self.canonicals: dict[int, str] = {}
        self.words: dict[int, int] = {}
        self.counts: dict[int, tuple[int, int]] = {}
        # The skipping rests on facts about NLTK's rules, checked for these versions;
        # any other tokenizer is read passage by passage, as the official loop does.
        self.skips = _is_checked_word_tokenize(self.tokenize)
        if self.skips:  # the same tokens from the same rules, by a faster engine
            self.tokenize = fast_word_tokenize()

    def __getitem__(self, passage_id: int) -> list[str]:
        found = self.tokens.get(passage_id)
        if found is None:
            found = self.tokens[passage_id] = self.tokenize(self.texts[passage_id])
        return found

    def canonical(self, passage_id: int) -> str:
        """The passage's :func:`~pipelines.metrics.kt_windows.canonical` text."""
        found = self.canonicals.get(passage_id)
        if found is None:
            words = canonical_words(self.texts[passage_id])
            found = self.canonicals[passage_id] = "".join(words)
            self.words[passage_id] = len(words)
        return found

    def least(self, passage_id: int) -> int:
        """At most the passage's token count: its whitespace-separated words."""
        tokens = self.tokens.get(passage_id)
        if tokens is not None:
            return len(tokens)
        if passage_id not in self.words:
            self.canonical(passage_id)
        return self.words[passage_id]

    def bounds(self, passage_id: int) -> tuple[int, int]:
        """(least, most) tokens of the passage; its exact count once tokenised."""
        tokens = self.tokens.get(passage_id)
        if tokens is not None:
            return len(tokens), len(tokens)
        found = self.counts.get(passage_id)
        if found is None:
            found = self.counts[passage_id] = token_bounds(self.texts[passage_id])
        return found


def _is_checked_word_tokenize(tokenize: Tokenize) -> bool:
    import nltk

    return tokenize is nltk.word_tokenize and nltk.__version__.startswith(CHECKED_NLTK)


def english_word_tokenize() -> Tokenize:
    """NLTK's ``word_tokenize`` with its Punkt data, downloaded once if missing and online."""
    import nltk

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        _download_punkt(nltk)
    tokenize: Tokenize = nltk.word_tokenize
    return tokenize


def _download_punkt(nltk: object) -> None:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    try:
        ok = nltk.download("punkt_tab", quiet=True, raise_on_error=False)  # type: ignore[attr-defined]
    except Exception:  # any network failure means the same to the user
        ok = False
    finally:
        socket.setdefaulttimeout(previous)
    if not ok:
        raise StepError(
            "NLTK's Punkt data (punkt_tab) is missing and could not be "
            "downloaded; R@kt needs it. Set NLTK_DATA to a folder holding "
            "tokenizers/punkt_tab (e.g. ../shared/data/nltk_data), or run "
            "python -m nltk.downloader punkt_tab when online"
        )
