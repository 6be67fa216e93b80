"""The training loop both tasks share (torch): device, schedule, steps, checkpoints, resume.

A task (:class:`pipelines.training.loop.EncoderTrainer`,
:class:`pipelines.training.generator_loop.GeneratorTrainer`) says how to load its model,
what the loss of a micro-batch is, how to evaluate on its dev set and what its model folder
and summary hold; :class:`Trainer` does the rest once for both: the device and precision,
AdamW with linear warm-up and decay, gradient accumulation and clipping, bf16/fp16
autocast (fp16 with loss scaling), the loss and learning-rate curve, dev evaluations,
checkpoints (:mod:`pipelines.training.checkpoint`) and resuming from the last one.

Everything random is seeded so that a resumed run continues exactly where it stopped: the
epoch order comes from ``(seed, epoch)`` (a task seeds its own draws from ``(seed, epoch,
example)``), and dropout from torch's generator, whose state is checkpointed.
"""

from __future__ import annotations

import json
import math
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch

from pipelines.errors import InputError
from pipelines.progress import Advance, Progress
from pipelines.training import checkpoint as checkpoints
from pipelines.training.checkpoint import TrainerState
from pipelines.training.config import TrainingJob
from pipelines.training.folders import write_model_folder

Job = TypeVar("Job", bound=TrainingJob)


class Trainer(Generic[Job]):
    """One training job: model, optimizer and where it stands; a subclass adds the task."""

    def __init__(
        self,
        job: Job,
        params: dict[str, Any],
        output: Path,
        progress: Progress,
        *,
        examples: int,
        dev: bool,
    ) -> None:
        self.job = job
        self.params = json.loads(json.dumps(params, sort_keys=True))
        self.output = output
        self.progress = progress
        self.examples = examples
        self.has_dev = dev
        self.eval_every: int | None = None  # evaluate (and save) every this many steps too
        self.saved: Path | None = None
        self.resumed_from: int | None = None

    def load_data(self) -> None:
        """Read what the task needs beyond its examples (after the checkpoint check)."""

    def load_model(self, source: str) -> tuple[Any, Any]:
        """(tokenizer, model) from a folder or model id (the start model or a checkpoint)."""
        raise NotImplementedError

    def loss(self, micro: list[int]) -> torch.Tensor:
        """The mean loss of the examples with these indices (with gradients)."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        """The dev figures of the model as it stands (a point of the ``dev`` curve)."""
        raise NotImplementedError

    def chosen_step(self) -> int:
        """The step whose checkpoint becomes ``model/`` (never pruned): the last one."""
        return self.state.step

    def describe(self, step: int) -> dict[str, Any]:
        """What ``training.json`` holds besides the parameters."""
        return {}

    def report(self, step: int) -> dict[str, Any]:
        """The task's own fields of the run summary."""
        return {}

    def prepare(self) -> None:
        """Check the job, load the task's data, the model and optimizer (or a checkpoint)."""
        self.device, self.precision = resolve_device(self.job)
        found = checkpoints.latest_checkpoint(self.output / "checkpoints")
        state = None if found is None else checkpoints.read_state(found)
        if state is not None and state.params != self.params:
            raise InputError(
                f"{self.output} holds checkpoints of a training with other parameters; "
                "choose another --output or --name (or rerun with the same parameters)"
            )
        self.load_data()
        self.tokenizer, self.model = self.load_model(str(found or self.job.model_source))
        self.model.to(self.device).train()
        if self.job.freeze_embeddings:
            self.model.get_input_embeddings().requires_grad_(False)
        self.optimizer = torch.optim.AdamW(
            [p for p in self.model.parameters() if p.requires_grad],
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
        """Train to the end (resuming where a checkpoint left off); returns the summary."""
        started = time.perf_counter()
        per_epoch, total = total_steps(self.job, self.examples)
        warmup = int(total * self.job.warmup_ratio)
        if self.resumed_from is None and self.has_dev:
            self._evaluate()
        with self.progress.task("training (optimizer steps)", total) as advance:
            advance(self.state.step)
            while self.state.step < total and self.state.epoch < self.job.epochs:
                self._epoch(total, warmup, advance)
        dev = self.state.history["dev"]
        if self.has_dev and (not dev or dev[-1]["step"] != self.state.step):
            self._evaluate()
        if self.saved is None or self.saved.name != f"step-{self.state.step:06d}":
            self._save()
        return self._summary(per_epoch, total, round(time.perf_counter() - started, 2))

    def autocast(self) -> AbstractContextManager[Any]:
        """bf16/fp16 autocast on the training device, or nothing for fp32."""
        if self.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def _epoch(self, total: int, warmup: int, advance: Advance) -> None:
        order = np.random.default_rng([self.job.seed, self.state.epoch]).permutation(self.examples)
        size = self.job.batch_size
        batches = [order[i : i + size].tolist() for i in range(0, len(order), size)]
        accumulation = self.job.accumulation
        for start in range(self.state.micro_batch, len(batches), accumulation):
            group = batches[start : start + accumulation]
            loss, rate = self._step(group, total, warmup)
            self.state.step += 1
            self.state.micro_batch = start + len(group)
            self.state.history["loss"].append(
                {"step": self.state.step, "epoch": self.state.epoch, "loss": loss, "lr": rate}
            )
            every = self.eval_every
            if self.has_dev and every and self.state.step % every == 0:
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
            if self.has_dev:
                self._evaluate()
            self._save()

    def _step(self, group: list[list[int]], total: int, warmup: int) -> tuple[float, float]:
        """One optimizer step over ``group`` micro-batches; (mean loss, learning rate)."""
        rate = self.job.learning_rate * linear_schedule(self.state.step, total, warmup)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = rate
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for micro in group:
            with self.autocast():
                loss = self.loss(micro) / len(group)
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

    def _evaluate(self) -> None:
        point = {"epoch": self.state.epoch, "step": self.state.step}
        self.state.history["dev"].append({**point, **self.evaluate()})

    def _save(self) -> Path:
        self.state.scaler = None if self.scaler is None else self.scaler.state_dict()
        folder = self.output / "checkpoints"
        self.saved = checkpoints.save_checkpoint(
            folder, self.model, self.tokenizer, self.optimizer, self.state
        )
        checkpoints.prune_checkpoints(folder, self.job.keep_checkpoints, [self.chosen_step()])
        return self.saved

    def _summary(self, per_epoch: int, total: int, seconds: float) -> dict[str, Any]:
        step = self.chosen_step()
        checkpoint = self.output / "checkpoints" / f"step-{step:06d}"
        description = {"params": self.params, **self.describe(step)}
        return {
            "model_dir": str(write_model_folder(self.output, checkpoint, description)),
            "checkpoints": str(self.output / "checkpoints"),
            **self.report(step),
            "steps": self.state.step,
            "total_steps": total,
            "steps_per_epoch": per_epoch,
            "epochs_completed": self.state.epoch,
            "resumed_from_step": self.resumed_from,
            "device": str(self.device),
            "precision": self.precision,
            "curves": self.state.history,
            "train_seconds": seconds,
        }


def linear_schedule(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor before optimizer step ``step`` (0-based): linear warm-up over
    ``warmup`` steps, then linear decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def total_steps(job: TrainingJob, examples: int) -> tuple[int, int]:
    """(optimizer steps per epoch, optimizer steps in all)."""
    per_epoch = math.ceil(math.ceil(examples / job.batch_size) / job.accumulation)
    total = per_epoch * job.epochs
    return per_epoch, total if job.max_steps is None else min(total, job.max_steps)


def resolve_device(job: TrainingJob) -> tuple[torch.device, str]:
    """(device, precision) of a job: ``auto`` is the GPU with bf16 (fp16 where bf16 is not
    supported) when there is one, else the CPU with fp32."""
    try:
        device = torch.device(
            ("cuda" if torch.cuda.is_available() else "cpu") if job.device == "auto" else job.device
        )
    except RuntimeError as error:
        raise InputError(f"unknown --device {job.device!r}: {error}") from error
    return device, _precision(job.precision, device)


def _precision(choice: str, device: torch.device) -> str:
    if choice == "auto":
        if device.type != "cuda":
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if choice != "fp32" and device.type != "cuda":
        raise InputError(f"--precision {choice} needs a GPU (--device cuda); use fp32 on CPU")
    return choice
