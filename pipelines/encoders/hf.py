"""Any Hugging Face encoder through transformers: CLS or mean pooling, safetensors only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from pipelines.encoders.base import EncoderConfig, passage_inputs
from pipelines.encoders.fused import FusedBert, supports_fused
from pipelines.errors import StepError
from pipelines.progress import Advance

# Texts tokenised and sorted by token count together: enough for batches of near-equal
# lengths, few enough that the padded token ids stay small in memory.
SORT_WINDOW = 4096


class HFEncoder:
    """A transformers encoder (tied: one model for queries and passages)."""

    def __init__(self, config: EncoderConfig, *, loaded: tuple[Any, Any] | None = None) -> None:
        """Load the model a config names; or, with ``loaded=(tokenizer, model)``, encode with
        a model already in memory (used as it is: its device, dtype and mode are the
        caller's, e.g. a model being trained; a float32 CPU model in eval mode, outside
        autocast, takes the fused forward with its current weights, as an index would)."""
        import torch

        self.config = config
        self.fused: Any = None
        self.autocast = False
        if loaded is not None:
            self.tokenizer, self.model = loaded
            first = next(self.model.parameters())
            self.device = first.device
            self.dim = int(self.model.config.hidden_size)
            if (
                first.dtype == torch.float32
                and not self.model.training
                and not torch.is_autocast_enabled(self.device.type)
                and supports_fused(self.model, self.device)
            ):
                self.fused = FusedBert(self.model, torch.float32)
            return
        self.device = _device(config.device, torch)
        self.tokenizer, model = load_pretrained(
            config.name.removeprefix("hf:"), trust_remote_code=config.trust_remote_code
        )
        bf16 = config.resolved_precision() == "bf16"
        on_cuda = self.device.type == "cuda"
        dtype = torch.bfloat16 if bf16 and on_cuda else torch.float32
        self.model = model.to(device=self.device, dtype=dtype).eval()
        self.dim = int(model.config.hidden_size)
        if supports_fused(self.model, self.device):
            self.fused = FusedBert(self.model, torch.bfloat16 if bf16 else torch.float32)
        # Other models on the CPU: bfloat16 through autocast (weights stay float32).
        self.autocast = bf16 and not on_cuda and self.fused is None

    def encode_queries(self, texts: Sequence[str], advance: Advance | None = None) -> np.ndarray:
        """Query vectors (query prefix, query max length)."""
        inputs = [self.config.query_prefix + text for text in texts]
        return self._encode(inputs, self.config.query_max_length, advance)

    def encode_passages(
        self, titles: Sequence[str], texts: Sequence[str], advance: Advance | None = None
    ) -> np.ndarray:
        """Passage vectors (passage prefix, passage max length)."""
        inputs = [
            self.config.passage_prefix + text for text in passage_inputs(self.config, titles, texts)
        ]
        return self._encode(inputs, self.config.passage_max_length, advance)

    def _encode(self, texts: list[str], max_length: int, advance: Advance | None) -> np.ndarray:
        import contextlib

        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16)
            if self.autocast
            else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            for start in range(0, len(texts), SORT_WINDOW):
                window = texts[start : start + SORT_WINDOW]
                for chosen, batch in self._batches(window, max_length):
                    out[start + chosen] = self._vectors(batch)
                    if advance is not None:
                        advance(len(chosen))
        return out

    def _batches(self, texts: list[str], max_length: int) -> Iterator[tuple[Any, dict[str, Any]]]:
        """(positions, inputs) of batches of texts of similar token counts, each cut to its
        longest text: the texts are tokenised once, then sorted by token count."""
        import torch

        tokens = self.tokenizer(
            texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        lengths = tokens["attention_mask"].sum(dim=1)
        order = torch.argsort(lengths, stable=True)
        left = self.tokenizer.padding_side == "left"
        for start in range(0, len(texts), self.config.batch_size):
            chosen = order[start : start + self.config.batch_size]
            width = int(lengths[chosen].max())
            cut = slice(-width, None) if left else slice(0, width)
            batch = {key: value[chosen, cut].to(self.device) for key, value in tokens.items()}
            yield chosen.numpy(), batch

    def _vectors(self, batch: dict[str, Any]) -> np.ndarray:
        import torch

        if self.fused is not None:
            hidden = self.fused(**batch)
        else:
            hidden = self.model(**batch).last_hidden_state
        pooled = pool(hidden, batch["attention_mask"], self.config.pooling)
        if self.config.normalize:
            pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
        return pooled.float().cpu().numpy()


def load_pretrained(source: str, *, trust_remote_code: bool = False) -> tuple[Any, Any]:
    """(tokenizer, model) of a local folder or model id; safetensors weights only.

    Raises:
        InputError: no such folder, or an id neither cached nor reachable (offline).
        StepError: the folder or id cannot be loaded, or its tokenizer has no vocabulary.
    """
    from safetensors import SafetensorError
    from transformers import AutoModel, AutoTokenizer

    from pipelines.hub import model_source

    source = model_source(source, "encoder")
    advice = (
        "Give a local folder with config.json, model.safetensors and a tokenizer, "
        "or a model id reachable online"
    )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
        # transformers 5 builds an empty tokenizer from config.json alone when the
        # tokenizer files are missing: every word would be [UNK].
        if len(tokenizer) <= len(tokenizer.all_special_tokens):
            raise StepError(
                f"cannot load encoder {source!r}: its tokenizer has no vocabulary "
                f"(tokenizer files missing?). {advice}"
            )
        model = AutoModel.from_pretrained(
            source, use_safetensors=True, trust_remote_code=trust_remote_code
        )
    except (OSError, ValueError, SafetensorError) as error:
        raise StepError(f"cannot load encoder {source!r}: {error}. {advice}") from error
    return tokenizer, model


def pool(hidden: Any, mask: Any, pooling: str) -> Any:
    """CLS (first token) or attention-masked mean of the last hidden states."""
    if pooling == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)


def _device(choice: str, torch: Any) -> Any:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)
