"""R@kt: hand-worked cases, and the fast path against the official evaluation loop.

The official ``eval_xor_retrieve.py`` re-tokenises every retrieved passage for every
question; :class:`TokenCache` tokenises each passage once. The second half of this file
re-implements the official loop and checks that both give the same hits, question by
question, on real XOR-TyDi dev questions ranked over real XQuAD English paragraphs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from benchmarks.official_xor_retrieve import official_evaluate_top_k_hit
from pipelines.errors import StepError
from pipelines.metrics.r_at_kt import (
    TokenCache,
    Tokenize,
    english_word_tokenize,
    r_at_kt,
    r_at_kt_values,
    span_answers,
)

LANGUAGES = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
KTS = (100, 2000, 5000)


@pytest.fixture(scope="module")
def tokenize() -> Tokenize:
    """NLTK's real word_tokenize, with the Punkt data of the shared folder."""
    return english_word_tokenize()


def hit(tokenize: Tokenize, texts: list[str], answers: list[str], kt: int) -> float | None:
    return r_at_kt([tokenize(text) for text in texts], answers, kt)


# --- hand-worked cases -------------------------------------------------------------------

PARIS = "The capital of France is Paris."  # The capital of France is Paris .  (7 tokens)


def test_word_tokenize_splits_punctuation(tokenize: Tokenize) -> None:
    assert tokenize(PARIS) == ["The", "capital", "of", "France", "is", "Paris", "."]


def test_answer_just_inside_the_first_kt_tokens_is_a_hit(tokenize: Tokenize) -> None:
    # "Paris" is token 6: kept with kt=6, cut with kt=5.
    assert hit(tokenize, [PARIS], ["Paris"], 6) == 1.0
    assert hit(tokenize, [PARIS], ["Paris"], 5) == 0.0


def test_an_answer_is_matched_against_tokens_joined_by_spaces(tokenize: Tokenize) -> None:
    # The raw text contains "Paris." but the window is "... is Paris ." after tokenising.
    assert hit(tokenize, [PARIS], ["Paris."], 1000) == 0.0
    assert hit(tokenize, [PARIS], ["Paris ."], 7) == 1.0
    assert hit(tokenize, [PARIS], ["Paris ."], 6) == 0.0
    # Line breaks and runs of spaces become single spaces.
    assert hit(tokenize, ["Paris\n\n  France"], ["Paris France"], 1000) == 1.0
    # A real XOR-TyDi answer that never matches tokenised text: "%" is split off.
    assert hit(tokenize, ["Prices rose 2.8% in May."], ["2.8%"], 1000) == 0.0
    assert hit(tokenize, ["Prices rose 2.8% in May."], ["2.8"], 1000) == 1.0


def test_tokens_of_later_passages_fill_the_window_up_to_kt(tokenize: Tokenize) -> None:
    first = "He was born in New"  # 5 tokens
    second = "York City in 1950."  # York City in 1950 .
    # An answer that spans the boundary of two passages: joined with a single space.
    assert hit(tokenize, [first, second], ["New York"], 6) == 1.0
    assert hit(tokenize, [first, second], ["New York"], 5) == 0.0
    assert hit(tokenize, [first, second], ["NewYork"], 1000) == 0.0
    # kt=7 keeps "York City" from the second passage, but not "in".
    assert hit(tokenize, [first, second], ["York City"], 7) == 1.0
    assert hit(tokenize, [first, second], ["City in"], 7) == 0.0
    assert hit(tokenize, [first, second], ["City in"], 8) == 1.0
    # A passage that ends exactly at kt: the next passage adds nothing.
    assert hit(tokenize, [PARIS, "Berlin is in Germany."], ["Berlin"], 7) == 0.0
    assert hit(tokenize, [PARIS, "Berlin is in Germany."], ["Berlin"], 8) == 1.0


def test_match_is_a_case_sensitive_substring(tokenize: Tokenize) -> None:
    assert hit(tokenize, [PARIS], ["paris"], 1000) == 0.0
    assert hit(tokenize, [PARIS], ["PARIS"], 1000) == 0.0
    assert hit(tokenize, [PARIS], ["ari"], 1000) == 1.0  # substring, not whole tokens
    assert hit(tokenize, [PARIS], ["France is"], 1000) == 1.0


def test_yes_no_answers_are_not_spans(tokenize: Tokenize) -> None:
    text = ["Yes, the answer is yes and no one disagrees."]
    assert hit(tokenize, text, ["yes"], 1000) is None
    assert hit(tokenize, text, ["no", "yes", "no"], 1000) is None
    # Mixed with a span: only the span counts, although "yes" is in the text.
    assert hit(tokenize, text, ["yes", "Paris"], 1000) == 0.0
    assert hit(tokenize, text, ["yes", "one"], 1000) == 1.0
    # The official rule compares exactly: "Yes" is a span answer.
    assert span_answers(["Yes", "yes", "NO", "no"]) == ["Yes", "NO"]
    assert hit(tokenize, text, ["Yes"], 1000) == 1.0


def test_no_answers_is_none_and_no_passages_is_a_miss(tokenize: Tokenize) -> None:
    assert hit(tokenize, [PARIS], [], 1000) is None
    assert r_at_kt([], ["Paris"], 2000) == 0.0


def test_token_cache_tokenises_only_the_passages_the_window_reaches(
    tokenize: Tokenize,
) -> None:
    calls: list[str] = []

    def counting(text: str) -> list[str]:
        calls.append(text)
        return tokenize(text)

    texts = {11: PARIS, 12: "Berlin is in Germany.", 13: "Rome is in Italy."}
    cache = TokenCache(texts, counting)
    assert r_at_kt((cache[p] for p in (11, 12, 13)), ["Berlin"], 7) == 0.0
    assert calls == [PARIS]  # 7 tokens reached kt: passages 12 and 13 were never needed
    assert r_at_kt((cache[p] for p in (11, 12, 13)), ["Berlin"], 9) == 1.0
    assert r_at_kt((cache[p] for p in (12, 11)), ["Paris"], 100) == 1.0
    assert calls == [PARIS, "Berlin is in Germany."]  # each passage tokenised once
    assert cache[13] == ["Rome", "is", "in", "Italy", "."]


def test_all_budgets_at_once_read_prefixes_of_one_window(tokenize: Tokenize) -> None:
    texts = {1: "He was born in New", 2: "York City in 1950.", 3: PARIS}
    ranked = {10: [1, 2, 3], 11: [3, 1], 12: [2], 13: [1]}
    answers = {10: ["New York"], 11: ["Paris ."], 12: ["yes"], 14: ["Oslo"]}
    done: list[int] = []
    values = r_at_kt_values(ranked, answers, TokenCache(texts, tokenize), [5, 6, 7], done.append)
    # 10: "New York" spans tokens 5-6. 11: "Paris ." is tokens 6-7. 12: yes-only, skipped.
    # 13: no answers, skipped; 14 has answers but no ranking, so it is not evaluated.
    assert values == {5: {10: 0.0, 11: 0.0}, 6: {10: 1.0, 11: 0.0}, 7: {10: 1.0, 11: 1.0}}
    assert done == [1, 1, 1, 1]
    assert r_at_kt_values({}, {}, TokenCache({}, tokenize), [2000]) == {2000: {}}


# --- missing Punkt data ------------------------------------------------------------------


def test_missing_punkt_offline_names_nltk_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nltk
    import nltk.downloader

    empty = tmp_path / "nltk_data"
    empty.mkdir()
    monkeypatch.setenv("NLTK_DATA", str(empty))
    monkeypatch.setattr(nltk.data, "path", [str(empty)])
    # Point the downloader at a closed local port so the attempt fails at once, online
    # or not, and could not write anywhere but the empty folder.
    downloader = nltk.downloader._downloader
    monkeypatch.setattr(downloader, "_url", "http://127.0.0.1:9/index.xml")
    monkeypatch.setattr(downloader, "_index", None)
    monkeypatch.setattr(downloader, "_download_dir", str(empty))
    with pytest.raises(LookupError):
        nltk.data.find("tokenizers/punkt_tab/english/")
    with pytest.raises(StepError, match="NLTK_DATA") as raised:
        english_word_tokenize()
    assert "punkt_tab" in str(raised.value)
    assert not any(empty.iterdir())


def test_punkt_is_found_again_after_the_offline_test(tokenize: Tokenize) -> None:
    assert english_word_tokenize()("Oslo.") == ["Oslo", "."]


# --- the official loop, re-implemented ---------------------------------------------------


# --- real questions, real paragraphs, synthetic rankings ---------------------------------

PER_LANGUAGE = 18  # questions with an answer in some paragraph, per language
OTHERS = 8  # further random questions per language
DEPTHS = (1, 3, 8, 20, 45, 240)
ANSWER_POSITIONS = (0, 0, 0, 1, 2, 4, 9, 14, 22, 30, 60)
RAW_ONLY = (["2.8%"], ["5%"], ["United Kingdom."])


def _questions(shared_data: Path) -> list[dict[str, Any]]:
    path = shared_data / "xor-tydi" / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _paragraphs(shared_data: Path) -> list[str]:
    with (shared_data / "xquad" / "xquad.en.json").open(encoding="utf-8") as handle:
        data = json.load(handle)
    return [p["context"] for article in data["data"] for p in article["paragraphs"]]


def _answer_paragraphs(question: dict[str, Any], paragraphs: list[str]) -> list[int]:
    spans = [a for a in question["answers"] if a not in ("yes", "no")]
    return [i for i, text in enumerate(paragraphs) if any(a in text for a in spans)]


def _sample(
    questions: list[dict[str, Any]], paragraphs: list[str], rng: random.Random
) -> Iterator[dict[str, Any]]:
    for language in LANGUAGES:
        in_language = [q for q in questions if q["lang"] == language]
        with_paragraph = [q for q in in_language if _answer_paragraphs(q, paragraphs)]
        chosen = rng.sample(with_paragraph, PER_LANGUAGE)
        ids = {q["id"] for q in chosen}
        rest = [q for q in in_language if q["id"] not in ids]
        chosen += rng.sample(rest, OTHERS)
        # Always include the rare kinds: yes/no only, yes/no mixed with a span that some
        # paragraph holds, and answers that a raw paragraph holds but tokenised text never
        # can ("2.8%" becomes "2.8 %").
        yes_no = [q for q in rest if not span_answers(q["answers"])]
        mixed = [
            q
            for q in rest
            if 0 < len(span_answers(q["answers"])) < len(q["answers"])
            and _answer_paragraphs(q, paragraphs)
        ]
        raw_only = [q for q in rest if q["answers"] in RAW_ONLY]
        ids = {q["id"] for q in chosen}
        chosen += [q for q in yes_no[:2] + mixed[:2] + raw_only if q["id"] not in ids]
        yield from chosen


def _ranking(
    question: dict[str, Any], paragraphs: list[str], rng: random.Random, number: int
) -> list[int]:
    depth = DEPTHS[number % len(DEPTHS)]
    order = list(range(len(paragraphs)))
    rng.shuffle(order)
    answer_paragraphs = _answer_paragraphs(question, paragraphs)
    if answer_paragraphs:
        chosen = rng.choice(answer_paragraphs)
        order.remove(chosen)
        order.insert(ANSWER_POSITIONS[number % len(ANSWER_POSITIONS)], chosen)
    return order[:depth]


@pytest.fixture(scope="module")
def xor_setup(shared_data: Path) -> tuple[list[str], list[dict[str, Any]], dict[str, list[int]]]:
    paragraphs = _paragraphs(shared_data)
    rng = random.Random(20240611)
    sample = list(_sample(_questions(shared_data), paragraphs, rng))
    rankings = {q["id"]: _ranking(q, paragraphs, rng, number) for number, q in enumerate(sample)}
    return paragraphs, sample, rankings


def test_fast_path_equals_the_official_loop_on_real_xor_tydi(
    xor_setup: tuple[list[str], list[dict[str, Any]], dict[str, list[int]]],
    tokenize: Tokenize,
) -> None:
    paragraphs, sample, rankings = xor_setup
    assert len(sample) >= 7 * (PER_LANGUAGE + OTHERS)
    assert {q["lang"] for q in sample} == set(LANGUAGES)
    yes_no_only = [q for q in sample if not span_answers(q["answers"])]
    mixed = [q for q in sample if 0 < len(span_answers(q["answers"])) < len(q["answers"])]
    assert yes_no_only
    assert mixed

    results = [
        {"id": q["id"], "lang": q["lang"], "ctxs": [paragraphs[p] for p in rankings[q["id"]]]}
        for q in sample
    ]
    gt_answers = {q["id"]: q["answers"] for q in sample}
    cache = TokenCache(dict(enumerate(paragraphs)), tokenize)
    # The evaluate step's path: one concatenation per question serves every budget.
    number = {q["id"]: i for i, q in enumerate(sample)}
    all_budgets = r_at_kt_values(
        {number[q]: ranked for q, ranked in rankings.items()},
        {number[q]: answers for q, answers in gt_answers.items()},
        cache,
        KTS,
    )
    fast: dict[int, dict[str, float | None]] = {}
    for kt in KTS:
        official: dict[str, bool] = {}
        per_lang = official_evaluate_top_k_hit(results, gt_answers, kt, tokenize, official)
        assert {sample[i]["id"]: v for i, v in all_budgets[kt].items()} == {
            q: 1.0 if h else 0.0 for q, h in official.items()
        }
        fast[kt] = {
            q["id"]: r_at_kt((cache[p] for p in rankings[q["id"]]), q["answers"], kt)
            for q in sample
        }
        # Question by question: the same hits, and None exactly where the official skips.
        assert {q: v for q, v in fast[kt].items() if v is not None} == {
            q: 1.0 if h else 0.0 for q, h in official.items()
        }
        assert {q for q, v in fast[kt].items() if v is None} == {q["id"] for q in yes_no_only}
        # Per language: the official percentages, and their macro average.
        percent = {}
        for language in LANGUAGES:
            values = [
                v for q in sample if q["lang"] == language and (v := fast[kt][q["id"]]) is not None
            ]
            assert len(values) == per_lang[language]["count"]
            assert sum(values) == per_lang[language]["hit"]
            percent[language] = 100 * mean(values)
            official_percent = per_lang[language]["hit"] / per_lang[language]["count"] * 100
            assert percent[language] == pytest.approx(official_percent, rel=1e-12)
        hits = sum(1 for v in fast[kt].values() if v == 1.0)
        misses = sum(1 for v in fast[kt].values() if v == 0.0)
        assert hits >= 20, (kt, hits)
        assert misses >= 20, (kt, misses)
        assert 0 < mean(percent.values()) < 100

    # A longer window only adds hits, and the cut matters at every budget.
    counted = [q for q in fast[100] if fast[100][q] is not None]
    for small, large in ((100, 2000), (2000, 5000)):
        assert all(fast[small][q] <= fast[large][q] for q in counted)  # type: ignore[operator]
        assert any(fast[small][q] == 0.0 and fast[large][q] == 1.0 for q in counted)


def test_the_sample_holds_answers_that_only_raw_text_contains(
    xor_setup: tuple[list[str], list[dict[str, Any]], dict[str, list[int]]],
    tokenize: Tokenize,
) -> None:
    # "2.8%" is in an XQuAD paragraph, but "2.8 %" is what the metric sees: never a hit.
    paragraphs, sample, _ = xor_setup
    raw_only = [q for q in sample if q["answers"] in RAW_ONLY]
    assert len(raw_only) == 3
    for question in raw_only:
        holding = _answer_paragraphs(question, paragraphs)
        assert holding
        texts = [paragraphs[p] for p in holding]
        assert hit(tokenize, texts, question["answers"], 5000) == 0.0
