"""The official XOR-TyDi R@kt loop (``evaluate_top_k_hit`` of eval_xor_retrieve.py, from
the XOR-TyDi repository), kept as the reference that the fast path is checked against, by
the tests (identical per question) and by ``make bench-eval`` (speed). One copy, here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Tokenize = Callable[[str], list[str]]


def official_evaluate_top_k_hit(
    results: list[dict[str, Any]],
    gt_answers: dict[str, list[str]],
    max_token_num: int,
    word_tokenize: Tokenize,
    per_question: dict[str, bool] | None = None,
) -> dict[str, dict[str, int]]:
    """``evaluate_top_k_hit`` of eval_xor_retrieve.py, line for line.

    Only ``per_question`` is added: it records each counted question's hit.
    """
    per_lang: dict[str, dict[str, int]] = {}
    for item in results:
        q_id = item["id"]
        lang = item["lang"]
        per_lang.setdefault(lang, {"count": 0, "hit": 0})
        ctxs = item["ctxs"]

        if q_id not in gt_answers:
            continue

        answers = gt_answers[q_id]

        span_answers = []
        # Skip yes/no examples during XOR-Retrieve evaluations
        for answer in answers:
            if answer not in ["yes", "no"]:
                span_answers.append(answer)
        if len(span_answers) == 0:
            continue

        per_lang[lang]["count"] += 1

        concat_string_tokens = []
        for ctx_text in ctxs:
            tokenized_text = word_tokenize(ctx_text)
            concat_string_tokens += tokenized_text
            if len(concat_string_tokens) >= max_token_num:
                break
        concat_string_tokens = concat_string_tokens[:max_token_num]
        concat_string = " ".join(concat_string_tokens)
        hit = False
        for answer in span_answers:
            if answer in concat_string:
                hit = True
        if per_question is not None:
            per_question[q_id] = hit
        if hit is True:
            per_lang[lang]["hit"] += 1

    final_results = {lang: result for lang, result in per_lang.items() if result["count"] > 0}
    return final_results
