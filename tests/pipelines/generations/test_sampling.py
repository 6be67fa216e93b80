"""Keyed top-k sampling: exact top-k draws whose randomness belongs to each query."""

from __future__ import annotations

import math
import random

import pytest
import torch

from pipelines.generations.sampling import (
    MASK32,
    KeyedTopKSampler,
    _mul32,
    gumbel_noise,
    mix32,
    sample_keys,
)


def test_tensor_hash_arithmetic_equals_exact_32_bit_arithmetic() -> None:
    values = [0, 1, 0xFFFF, 0x10000, MASK32, *random.Random(3).sample(range(MASK32), 200)]
    for factor in (0x7FEB352D, 0x846CA68B):
        got = _mul32(torch.tensor(values, dtype=torch.int64), factor).tolist()
        assert got == [(v * factor) & MASK32 for v in values]


def test_keys_are_distinct_per_sample_and_fixed_by_seed_docid_and_language() -> None:
    keys = sample_keys(313, "Oslo#0", "ar", 50)
    assert len(set(keys)) == 50 and all(0 <= k <= MASK32 for k in keys)
    assert sample_keys(313, "Oslo#0", "ar", 5) == keys[:5]
    others = [sample_keys(314, "Oslo#0", "ar", 5), sample_keys(313, "Oslo#1", "ar", 5)]
    others.append(sample_keys(313, "Oslo#0", "fi", 5))
    assert all(set(other).isdisjoint(keys) for other in others)
    assert mix32(0) == 0 and mix32(1) != 1


def test_noise_of_a_row_does_not_depend_on_the_other_rows() -> None:
    keys = torch.tensor(sample_keys(1, "d", "ja", 4))
    tokens = torch.tensor([[5, 9, 2]] * 4)
    alone = gumbel_noise(keys[2:3], 7, tokens[2:3])
    together = gumbel_noise(keys, 7, tokens)
    assert torch.equal(together[2:3], alone)
    assert not torch.equal(gumbel_noise(keys, 8, tokens), together)  # the step matters


def test_samples_follow_the_softmax_over_the_top_k_tokens() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0, 3.0, -5.0]])
    top = [5, 0, 1, 2]  # top_k = 4
    draws = 20_000
    keys = torch.tensor(sample_keys(0, "p", "de", draws))
    scores = KeyedTopKSampler(keys, top_k=4)(torch.zeros(draws, 3), logits.expand(draws, -1))
    chosen = scores.argmax(dim=-1)
    counts = torch.bincount(chosen, minlength=7).tolist()
    assert sum(counts[t] for t in top) == draws  # nothing outside the top k
    probabilities = torch.softmax(logits[0, top], dim=0).tolist()
    chi_square = sum(
        (counts[t] - draws * p) ** 2 / (draws * p) for t, p in zip(top, probabilities, strict=True)
    )
    assert chi_square < 16.3  # 3 degrees of freedom, p = 0.001
    assert math.isinf(scores[0, 6].item()) and scores[0, 6].item() < 0


@pytest.mark.parametrize("k", [1, 3])
def test_top_1_is_greedy_and_ties_break_on_noise(k: int) -> None:
    logits = torch.tensor([[0.0, 4.0, 1.0, 4.0 - 20.0 * (k == 1)]])
    keys = torch.tensor(sample_keys(5, "p", "ko", 300))
    chosen = KeyedTopKSampler(keys, top_k=k)(torch.zeros(300, 2), logits.expand(300, -1)).argmax(-1)
    assert set(chosen.tolist()) == ({1} if k == 1 else {1, 2, 3})
