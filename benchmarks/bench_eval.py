"""R@kt speed: the fast path against the official eval_xor_retrieve.py loop, same numbers.

Two settings, both on the first 2,000 real XOR-TyDi dev questions (500 with ``--quick``),
each question with a seeded ranking of depth 100:

1. Passages do not recur (the headline): every ranked slot is its own passage of real
   English text (5 XNLI sentences, about 100 tokens), with the answer-bearing XQuAD
   paragraph, when one exists, at a random rank. This is an 18M-passage corpus, where
   different questions retrieve different passages.
2. Passages recur: the rankings are over the 240 XQuAD English paragraphs, so 240
   paragraphs serve 200,000 ranked slots.

The official loop re-tokenises every retrieved passage for every question and budget
(R@2kt, then R@5kt). The fast path (:mod:`pipelines.metrics.kt_windows`) tokenises only
the passages whose tokens can change a question's value, each at most once. Both start
cold (nothing tokenised: the first evaluation); the warm line re-evaluates with the
tokens of the first evaluation in memory (a second run over the same passages in one
process; nothing is kept between evaluations). The benchmark checks that every
question's hit and every language's percentage are identical, and exits 1 if they are
not or a cold speed-up misses 20x.

Run: ``make bench-eval`` (or ``python benchmarks/bench_eval.py --data ../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.official_xor_retrieve import official_evaluate_top_k_hit  # noqa: E402
from benchmarks.table import Row, add_arguments, seconds, write_rows  # noqa: E402

QUESTIONS, QUICK, DEPTH, BUDGETS, SEED, TARGET = 2000, 500, 100, (2000, 5000), 20240611, 20.0


def load(data: Path, count: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The first ``count`` XOR-TyDi dev questions and the XQuAD English paragraphs."""
    path = data / "xor-tydi" / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    with path.open(encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle][:count]
    with (data / "xquad" / "xquad.en.json").open(encoding="utf-8") as handle:
        articles = json.load(handle)["data"]
    paragraphs = [p["context"] for article in articles for p in article["paragraphs"]]
    return questions, paragraphs


def rankings(questions: list[dict[str, Any]], paragraphs: list[str]) -> dict[str, list[int]]:
    """A seeded ranking of depth 100 per question, an answer paragraph at a random rank."""
    rng = random.Random(SEED)
    ranked = {}
    for question in questions:
        spans = [a for a in question["answers"] if a not in ("yes", "no")]
        holding = [i for i, text in enumerate(paragraphs) if any(a in text for a in spans)]
        order = rng.sample(range(len(paragraphs)), len(paragraphs))
        if holding:
            chosen = rng.choice(holding)
            order.remove(chosen)
            order.insert(rng.randrange(DEPTH), chosen)
        ranked[question["id"]] = order[:DEPTH]
    return ranked


def distinct_rankings(
    questions: list[dict[str, Any]], paragraphs: list[str], sentences: list[str]
) -> tuple[list[str], dict[str, list[int]]]:
    """A ranking of depth 100 per question in which (almost) no passage recurs: each
    passage is 5 seeded English XNLI sentences (about 100 tokens), with the answer-bearing
    XQuAD paragraph, when one exists, at a random rank. Returns (texts, rankings)."""
    rng = random.Random(SEED + 1)
    texts = list(paragraphs)
    ranked = {}
    for question in questions:
        spans = [a for a in question["answers"] if a not in ("yes", "no")]
        holding = [i for i, text in enumerate(paragraphs) if any(a in text for a in spans)]
        order = list(range(len(texts), len(texts) + DEPTH))
        texts += [" ".join(rng.sample(sentences, 5)) for _ in range(DEPTH)]
        if holding:
            order[rng.randrange(DEPTH)] = rng.choice(holding)
        ranked[question["id"]] = order
    return texts, ranked


def english_sentences(data: Path) -> list[str]:
    """The distinct English premises and hypotheses of XNLI dev."""
    found: dict[str, None] = {}
    with (data / "xnli" / "xnli.dev.tsv").open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            row = dict(zip(header, line.rstrip("\n").split("\t"), strict=False))
            if row.get("language") == "en":
                found[row["sentence1"]] = None
                found[row["sentence2"]] = None
    return list(found)


def compare(
    questions: list[dict[str, Any]], texts: list[str], ranked: dict[str, list[int]]
) -> tuple[float, float, float, bool]:
    """Both paths on one set of rankings: (official s, fast cold s, fast warm s, identical)."""
    from pipelines.metrics.r_at_kt import TokenCache, english_word_tokenize

    tokenize = english_word_tokenize()
    tokenize("Warm up the Punkt parameters.")
    started = time.perf_counter()
    official: dict[int, dict[str, dict[str, int]]] = {}
    hits: dict[int, dict[str, bool]] = {}
    results = [
        {"id": q["id"], "lang": q["lang"], "ctxs": [texts[p] for p in ranked[q["id"]]]}
        for q in questions
    ]
    answers = {q["id"]: q["answers"] for q in questions}
    for budget in BUDGETS:
        hits[budget] = {}
        official[budget] = official_evaluate_top_k_hit(
            results, answers, budget, tokenize, hits[budget]
        )
    official_s = time.perf_counter() - started

    started = time.perf_counter()
    cache = TokenCache(dict(enumerate(texts)), tokenize)
    fast, _ = _fast(questions, ranked, cache)
    cold_s = time.perf_counter() - started  # with the cache's set-up
    again, warm_s = _fast(questions, ranked, cache)
    identical = fast == again and _same(questions, fast, hits, official)
    for budget in BUDGETS:
        print(
            f"  R@{budget // 1000}kt per language (official): "
            + ", ".join(
                f"{language} {100 * c['hit'] / c['count']:.2f}"
                for language, c in sorted(official[budget].items())
            )
        )
    print(f"  official loop (re-tokenise per question and budget): {official_s:8.2f} s")
    print(f"  fast path, cold (first evaluation, nothing tokenised): {cold_s:8.2f} s")
    print(f"  fast path, warm (the same passages' tokens in memory): {warm_s:8.2f} s")
    print(f"  identical per-question hits and per-language scores: {'yes' if identical else 'NO'}")
    return official_s, cold_s, warm_s, identical


def _fast(
    questions: list[dict[str, Any]], ranked: dict[str, list[int]], cache: Any
) -> tuple[dict[int, dict[int, float]], float]:
    from pipelines.metrics.r_at_kt import r_at_kt_values

    by_id = {q["id"]: i for i, q in enumerate(questions)}
    started = time.perf_counter()
    values = r_at_kt_values(
        {by_id[q]: p for q, p in ranked.items()},
        {by_id[q["id"]]: q["answers"] for q in questions},
        cache,
        BUDGETS,
    )
    return values, time.perf_counter() - started


def _same(
    questions: list[dict[str, Any]],
    fast: dict[int, dict[int, float]],
    hits: dict[int, dict[str, bool]],
    official: dict[int, dict[str, dict[str, int]]],
) -> bool:
    """Every question's hit and every language's (count, hits) equal the official loop's."""
    identical = True
    for budget in BUDGETS:
        mine = {questions[i]["id"]: v == 1.0 for i, v in fast[budget].items()}
        identical &= mine == hits[budget]
        for language, counts in sorted(official[budget].items()):
            values = [v for i, v in fast[budget].items() if questions[i]["lang"] == language]
            identical &= (len(values), int(sum(values))) == (counts["count"], counts["hit"])
    return identical


def main() -> int:
    """Time both paths in both settings, compare every number, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    add_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("NLTK_DATA", str(args.data / "nltk_data"))

    questions, paragraphs = load(args.data, QUICK if args.quick else QUESTIONS)
    budgets = ", ".join(map(str, BUDGETS))
    texts, ranked = distinct_rankings(questions, paragraphs, english_sentences(args.data))
    print(
        f"1. {len(questions)} XOR-TyDi dev questions x depth {DEPTH} over {len(texts):,} "
        f"passages that (almost) never recur, as in an 18M-passage corpus; budgets {budgets}"
    )
    distinct = compare(questions, texts, ranked)
    print(
        f"2. the same questions x depth {DEPTH} over the {len(paragraphs)} XQuAD paragraphs "
        "(passages recur)"
    )
    recurring = compare(questions, paragraphs, rankings(questions, paragraphs))
    rows: list[Row] = []
    met = True
    for label, (official_s, cold_s, warm_s, same) in (
        ("R@kt, passages do not recur", distinct),
        ("R@kt, passages recur", recurring),
    ):
        cold, warm = official_s / cold_s, official_s / warm_s
        met &= same and cold >= TARGET
        print(
            f"{label}: {cold:.1f}x cold, {warm:.1f}x warm "
            f"(target >= {TARGET:g}x cold: {'met' if cold >= TARGET else 'NOT met'})"
        )
        for state, took, ratio in (("cold", cold_s, cold), ("warm", warm_s, warm)):
            rows.append(
                Row(
                    benchmark=f"{label} ({state}, {len(questions)} questions)",
                    xqg=seconds(took),
                    alternative=f"{seconds(official_s)} (official loop)",
                    ratio=round(ratio, 1),
                    identical="yes" if same else "NO",
                )
            )
    write_rows(args.rows, rows)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
