"""The generator task on the shared :class:`~pipelines.training.trainer.Trainer` (torch).

Teacher-forced cross-entropy of the question given the prompt (padding ignored); the dev
figure is the token-weighted eval loss, and the checkpoint with the lowest one is never
pruned and becomes the output model.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import torch

from pipelines.errors import InputError
from pipelines.progress import Progress
from pipelines.training.config import GeneratorTraining
from pipelines.training.data import GenerationExample
from pipelines.training.trainer import Trainer


class GeneratorTrainer(Trainer[GeneratorTraining]):
    """Seq2seq training of a query generator on (prompt, question) examples."""

    def __init__(
        self,
        job: GeneratorTraining,
        params: dict[str, Any],
        train: list[GenerationExample],
        dev: list[GenerationExample],
        output: Path,
        progress: Progress,
    ) -> None:
        super().__init__(job, params, output, progress, examples=len(train), dev=bool(dev))
        self.train_examples = train
        self.dev = dev
        self.eval_every = job.eval_every

    def load_model(self, source: str) -> tuple[Any, Any]:
        """An encoder-decoder model and its tokenizer."""
        return _load(source, self.job)

    def loss(self, micro: list[int]) -> torch.Tensor:
        """Mean token cross-entropy of these examples' questions."""
        return self._loss([self.train_examples[i] for i in micro])[0]

    def _loss(self, examples: list[GenerationExample]) -> tuple[torch.Tensor, int]:
        """(mean token cross-entropy of the targets, number of target tokens)."""
        inputs = self.tokenizer(
            [e.prompt for e in examples],
            padding=True,
            truncation=True,
            max_length=self.job.max_input_length,
            return_tensors="pt",
        ).to(self.device)
        targets = self.tokenizer(
            text_target=[e.target for e in examples],
            padding=True,
            truncation=True,
            max_length=self.job.max_target_length,
            return_tensors="pt",
        ).to(self.device)
        labels = targets["input_ids"].masked_fill(targets["attention_mask"] == 0, -100)
        output = self.model(**inputs, labels=labels)
        return output.loss, int((labels != -100).sum())

    def evaluate(self) -> dict[str, Any]:
        """Token-weighted mean cross-entropy over the dev examples."""
        self.model.eval()
        total, tokens = 0.0, 0
        try:
            with torch.inference_mode(), self.autocast():
                size = self.job.eval_batch_size
                for start in range(0, len(self.dev), size):
                    loss, count = self._loss(self.dev[start : start + size])
                    total += float(loss) * count
                    tokens += count
        finally:
            self.model.train()
        return {"eval_loss": total / tokens}

    def _best(self) -> dict[str, Any] | None:
        evaluations = self.state.history["dev"]
        return min(evaluations, key=lambda e: (e["eval_loss"], e["step"])) if evaluations else None

    def chosen_step(self) -> int:
        """The step with the lowest eval loss (the last one without a dev set)."""
        best = self._best()
        # Before training (step 0) there is no checkpoint: the start model is the best only
        # if no step improved on it, and then the last checkpoint is as good a choice.
        return self.state.step if best is None or best["step"] == 0 else int(best["step"])

    def describe(self, step: int) -> dict[str, Any]:
        """The prompt the folder was trained with, and the chosen step."""
        return {
            "template": self.job.template,
            "max_input_length": self.job.max_input_length,
            "chosen_step": step,
        }

    def report(self, step: int) -> dict[str, Any]:
        """The chosen step, the eval losses and the counts of examples."""
        best = self._best()
        evaluations = self.state.history["dev"]
        languages = Counter(e.language for e in self.train_examples)
        return {
            "chosen_step": step,
            "best_eval_loss": None if best is None else best["eval_loss"],
            "eval_loss_before": evaluations[0]["eval_loss"] if evaluations else None,
            "data": {
                "examples": len(self.train_examples),
                "examples_by_language": dict(sorted(languages.items())),
                "dev_examples": len(self.dev),
            },
        }


def _load(source: str, job: GeneratorTraining) -> tuple[Any, Any]:
    """(tokenizer, model) of an encoder-decoder folder or id; safetensors only.

    Raises:
        InputError: not loadable, or not an encoder-decoder model (a bad ``--model``).
    """
    from safetensors import SafetensorError
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    advice = "give a seq2seq (encoder-decoder) folder with safetensors weights and a tokenizer"
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=job.trust_remote_code)
        if not getattr(config, "is_encoder_decoder", False):
            raise InputError(f"{source!r} is a {config.model_type} model, not seq2seq; {advice}")
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=job.trust_remote_code)
        model = AutoModelForSeq2SeqLM.from_pretrained(
            source, use_safetensors=True, trust_remote_code=job.trust_remote_code
        )
    except (OSError, ValueError, SafetensorError) as error:
        raise InputError(f"cannot load generator {source!r}: {error}; {advice}") from error
    return tokenizer, model
