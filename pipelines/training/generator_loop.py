"""The training loop behind :func:`pipelines.training.generator.train_generator` (torch).

Teacher-forced cross-entropy of the question given the prompt (padding ignored), AdamW with
the linear schedule, gradient accumulation and clipping, bf16/fp16 autocast on GPU.
Checkpoints and resume work as for encoders (:mod:`pipelines.training.checkpoint`); the
checkpoint with the lowest eval loss is never pruned and becomes the output model.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipelines.errors import InputError
from pipelines.progress import Advance, Progress
from pipelines.training import checkpoint as checkpoints
from pipelines.training.checkpoint import TrainerState
from pipelines.training.config import GeneratorTraining
from pipelines.training.encoder import elapsed, linear_schedule, total_steps, write_model_folder
from pipelines.training.generator import GenerationExample
from pipelines.training.loop import resolve_device


class GeneratorTrainer:
    """One generator training job: examples, model, optimizer and where it stands."""

    def __init__(
        self,
        job: GeneratorTraining,
        params: dict[str, Any],
        train: list[GenerationExample],
        dev: list[GenerationExample],
        output: Path,
        progress: Progress,
    ) -> None:
        self.job = job
        self.params = json.loads(json.dumps(params, sort_keys=True))
        self.examples = train
        self.dev = dev
        self.output = output
        self.progress = progress
        self.saved: Path | None = None
        self.resumed_from: int | None = None

    def prepare(self) -> None:
        """Load the model and optimizer, or the last checkpoint of this same training."""
        self.device, self.precision = resolve_device(self.job)
        found = checkpoints.latest_checkpoint(self.output / "checkpoints")
        state = None if found is None else checkpoints.read_state(found)
        if state is not None and state.params != self.params:
            raise InputError(
                f"{self.output} holds checkpoints of a training with other parameters; "
                "choose another --output or --name (or rerun with the same parameters)"
            )
        self.tokenizer, self.model = _load(str(found or self.job.model_source), self.job)
        self.model.to(self.device).train()
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=self.job.learning_rate,
            weight_decay=self.job.weight_decay,
        )
        self.scaler = torch.amp.GradScaler("cuda") if self.precision == "fp16" else None
        if found is None or state is None:
            torch.manual_seed(self.job.seed)
            self.state = TrainerState(0, 0, 0, self.params, {"loss": [], "dev": []})
            return
        checkpoints.restore_optimizer(found, self.optimizer)
        checkpoints.restore_rng(found)
        if self.scaler is not None and state.scaler:
            self.scaler.load_state_dict(state.scaler)
        self.state, self.saved, self.resumed_from = state, found, state.step

    def train(self) -> dict[str, Any]:
        """Train to the end; the best checkpoint by eval loss becomes ``output/model``."""
        started = time.perf_counter()
        _, total = total_steps(self.job, len(self.examples))
        warmup = int(total * self.job.warmup_ratio)
        if self.resumed_from is None and self.dev:
            self._evaluate()
        with self.progress.task("training (optimizer steps)", total) as advance:
            advance(self.state.step)
            while self.state.step < total and self.state.epoch < self.job.epochs:
                self._epoch(total, warmup, advance)
        evaluations = self.state.history["dev"]
        if self.dev and evaluations[-1]["step"] != self.state.step:
            self._evaluate()
        if self.saved is None or self.saved.name != f"step-{self.state.step:06d}":
            self._save()
        return self._summary(total, elapsed(started))

    def _epoch(self, total: int, warmup: int, advance: Advance) -> None:
        order = np.random.default_rng([self.job.seed, self.state.epoch]).permutation(
            len(self.examples)
        )
        size = self.job.batch_size
        batches = [order[i : i + size].tolist() for i in range(0, len(order), size)]
        for start in range(self.state.micro_batch, len(batches), self.job.accumulation):
            group = batches[start : start + self.job.accumulation]
            loss, rate = self._step(group, total, warmup)
            self.state.step += 1
            self.state.micro_batch = start + len(group)
            self.state.history["loss"].append(
                {"step": self.state.step, "epoch": self.state.epoch, "loss": loss, "lr": rate}
            )
            every = self.job.eval_every
            if self.dev and every and self.state.step % every == 0:
                self._evaluate()
                self._save()
            elif self.job.save_every and self.state.step % self.job.save_every == 0:
                self._save()
            advance(1)
            if self.state.step >= total:
                break
        if self.state.micro_batch >= len(batches):
            self.state.epoch += 1
            self.state.micro_batch = 0
            if self.dev:
                self._evaluate()
            self._save()

    def _step(self, group: list[list[int]], total: int, warmup: int) -> tuple[float, float]:
        rate = self.job.learning_rate * linear_schedule(self.state.step, total, warmup)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = rate
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for micro in group:
            with self._autocast():
                loss = self._loss([self.examples[i] for i in micro])[0] / len(group)
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            loss_sum += float(loss.detach())
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.job.max_grad_norm)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return loss_sum, rate

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

    def _evaluate(self) -> None:
        """Token-weighted mean cross-entropy over the dev examples."""
        self.model.eval()
        total, tokens = 0.0, 0
        try:
            with torch.inference_mode(), self._autocast():
                size = self.job.eval_batch_size
                for start in range(0, len(self.dev), size):
                    loss, count = self._loss(self.dev[start : start + size])
                    total += float(loss) * count
                    tokens += count
        finally:
            self.model.train()
        self.state.history["dev"].append(
            {"epoch": self.state.epoch, "step": self.state.step, "eval_loss": total / tokens}
        )

    def _autocast(self) -> AbstractContextManager[Any]:
        if self.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def _best(self) -> dict[str, Any] | None:
        evaluations = self.state.history["dev"]
        return min(evaluations, key=lambda e: (e["eval_loss"], e["step"])) if evaluations else None

    def _save(self) -> Path:
        self.state.scaler = None if self.scaler is None else self.scaler.state_dict()
        folder = self.output / "checkpoints"
        self.saved = checkpoints.save_checkpoint(
            folder, self.model, self.tokenizer, self.optimizer, self.state
        )
        best = self._best()
        protect = [] if best is None else [int(best["step"])]
        checkpoints.prune_checkpoints(folder, self.job.keep_checkpoints, protect)
        return self.saved

    def _summary(self, total: int, seconds: float) -> dict[str, Any]:
        best = self._best()
        # Before training (step 0) there is no checkpoint: the start model is the best only
        # if no step improved on it, and then the last checkpoint is as good a choice.
        step = self.state.step if best is None or best["step"] == 0 else int(best["step"])
        chosen = self.output / "checkpoints" / f"step-{step:06d}"
        description = {
            "params": self.params,
            "template": self.job.template,
            "max_input_length": self.job.max_input_length,
            "chosen_step": step,
        }
        final = write_model_folder(self.output, chosen, description)
        evaluations = self.state.history["dev"]
        return {
            "model_dir": str(final),
            "checkpoints": str(self.output / "checkpoints"),
            "chosen_step": step,
            "best_eval_loss": None if best is None else best["eval_loss"],
            "eval_loss_before": evaluations[0]["eval_loss"] if evaluations else None,
            "steps": self.state.step,
            "total_steps": total,
            "epochs_completed": self.state.epoch,
            "resumed_from_step": self.resumed_from,
            "device": str(self.device),
            "precision": self.precision,
            "curves": self.state.history,
            "train_seconds": seconds,
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
