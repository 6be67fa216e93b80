"""Top-k sampling whose random numbers belong to the query, not to the batch.

Every sample (passage docid, language, sample number) gets a 32-bit key from the run's
seed. At each decoding step the k most likely tokens get Gumbel noise computed by hashing
(key, step, token id), and the decoder takes the arg max: by the Gumbel-max trick that is
an exact draw from the softmax over those k tokens, the distribution transformers'
``do_sample=True, top_k=k`` draws from. Because no random stream is shared, a query gets
the same random numbers in any batch, shard, resumed run or Ray worker, and a rerun with
the same seed draws the same queries.
"""

from __future__ import annotations

import hashlib
from typing import Any

MASK32 = 0xFFFFFFFF
_MUL1, _MUL2 = 0x7FEB352D, 0x846CA68B  # "lowbias32" (C. Wellons), a well-mixing 32-bit hash


def sample_keys(seed: int, docid: str, language: str, count: int) -> list[int]:
    """The keys of the ``count`` samples of one passage and language (all distinct)."""
    digest = hashlib.blake2b(f"{seed}\x1f{docid}\x1f{language}".encode(), digest_size=4)
    base = int.from_bytes(digest.digest(), "little")
    # mix32 is a bijection, so distinct sample numbers get distinct keys.
    return [mix32((base + number) & MASK32) for number in range(count)]


def mix32(value: int) -> int:
    """The 32-bit hash on a Python int (for keys)."""
    value ^= value >> 16
    value = (value * _MUL1) & MASK32
    value ^= value >> 15
    value = (value * _MUL2) & MASK32
    return value ^ (value >> 16)


def _mul32(x: Any, factor: int) -> Any:
    """(x * factor) mod 2**32 on int64 tensors without overflowing 63 bits."""
    high, low = x >> 16, x & 0xFFFF
    return ((((high * factor) & 0xFFFF) << 16) + low * factor) & MASK32


def _mix32_tensor(x: Any) -> Any:
    x = x ^ (x >> 16)
    x = _mul32(x, _MUL1)
    x = x ^ (x >> 15)
    x = _mul32(x, _MUL2)
    return x ^ (x >> 16)


def gumbel_noise(keys: Any, step: int, tokens: Any) -> Any:
    """Standard Gumbel noise for each (row key, step, token id); float64, shape of ``tokens``."""
    import torch

    mixed = _mix32_tensor(keys.unsqueeze(1) ^ mix32(step & MASK32))
    mixed = _mix32_tensor(mixed ^ _mix32_tensor(tokens))
    uniform = (mixed.to(torch.float64) + 0.5) / 2.0**32
    return -torch.log(-torch.log(uniform))


class KeyedTopKSampler:
    """A transformers logits processor: keeps the top k tokens plus keyed Gumbel noise.

    Use with greedy decoding (``do_sample=False``); the arg max is then the sample.
    """

    def __init__(self, keys: Any, top_k: int) -> None:
        self.keys = keys
        self.top_k = top_k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Scores with every token outside the top k at -inf and noise on the rest."""
        import torch

        step = int(input_ids.shape[1])
        values, tokens = scores.topk(min(self.top_k, scores.shape[-1]), dim=-1)
        noisy = values.float() + gumbel_noise(self.keys, step, tokens).float()
        out = torch.full_like(scores, float("-inf"), dtype=torch.float32)
        return out.scatter_(1, tokens, noisy)
