"""The training loop behind :func:`pipelines.training.encoder.train_encoder` (torch).

Everything random is seeded so that a resumed run continues exactly where it stopped: the
epoch order comes from ``(seed, epoch)``, each query's positive and negatives from
``(seed, epoch, pair)``, and dropout from torch's generator, whose state is checkpointed.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipelines.encoders.hf import load_pretrained
from pipelines.errors import InputError
from pipelines.progress import Advance, Progress
from pipelines.training import checkpoint as checkpoints
from pipelines.training.checkpoint import TrainerState
from pipelines.training.config import DEV_MEASURES, EncoderTraining, TrainingJob
from pipelines.training.data import TrainingData, TrainingPair
from pipelines.training.dev import evaluate_dev
from pipelines.training.encoder import elapsed, linear_schedule, total_steps, write_model_folder
from pipelines.training.model import BiEncoder, contrastive_loss
from pipelines.training.negatives import NegativePools, mine_hard_negatives
from store import collections
from store.db import Store
from store.records import Run


class Trainer:
    """One training job: data, model, optimizer and where it stands."""

    def __init__(
        self,
        store: Store,
        job: EncoderTraining,
        params: dict[str, Any],
        collection_id: int,
        data: TrainingData,
        output: Path,
        progress: Progress,
    ) -> None:
        self.store = store
        self.job = job
        self.params = json.loads(json.dumps(params, sort_keys=True))
        self.collection_id = collection_id
        self.data = data
        self.output = output
        self.progress = progress
        self.pools: NegativePools = {}
        self.passages: dict[int, tuple[str, str]] = {}
        self.passage_ids = np.zeros(0, dtype=np.int64)
        self.saved: Path | None = None
        self.resumed_from: int | None = None

    def prepare(self, run_id: int, index_run: Run | None, generation_run: Run | None) -> None:
        """Check the job, mine negatives, load texts, model and optimizer (or a checkpoint)."""
        self.device, self.precision = resolve_device(self.job)
        found = checkpoints.latest_checkpoint(self.output / "checkpoints")
        state = None if found is None else checkpoints.read_state(found)
        if state is not None and state.params != self.params:
            raise InputError(
                f"{self.output} holds checkpoints of a training with other parameters; "
                "choose another --output or --name (or rerun with the same parameters)"
            )
        if index_run is not None:
            self.pools = mine_hard_negatives(
                self.store,
                index_run,
                self.data.pairs,
                self.job.negative_depth,
                run_id=run_id,
                generation_run=generation_run,
                progress=self.progress,
            )
        self._load_passages()
        self._load_model(found, state)

    def _load_passages(self) -> None:
        """Ids of all passages (for random negatives) and the texts training can draw."""
        needed = {p for pair in self.data.pairs for p in pair.positives}
        needed |= {p for pool in self.pools.values() for p in pool}
        everything = any(
            len(self.pools.get((pair.source, pair.key), ())) < self.job.negatives
            for pair in self.data.pairs
        )
        ids: list[int] = []
        for batch in collections.iter_passages(self.store, self.collection_id):
            for passage_id, title, text in batch:
                ids.append(passage_id)
                if everything or passage_id in needed:
                    self.passages[passage_id] = (title, text)
        self.passage_ids = np.asarray(ids, dtype=np.int64)
        if len(ids) < 1 + self.job.negatives:
            raise InputError(
                f"the collection has {len(ids)} passages; 1 positive + {self.job.negatives} "
                "negatives per query need more (lower --negatives)"
            )

    def _load_model(self, found: Path | None, state: TrainerState | None) -> None:
        source = str(found) if found is not None else self.job.model_source
        tokenizer, model = load_pretrained(source, trust_remote_code=self.job.trust_remote_code)
        model.to(self.device).train()
        self.encoder = BiEncoder(model, tokenizer, self.job.encoder_config(source))
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=self.job.learning_rate, weight_decay=self.job.weight_decay
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
        per_epoch, total = total_steps(self.job, len(self.data.pairs))
        warmup = int(total * self.job.warmup_ratio)
        if self.resumed_from is None and self.data.dev:
            self._evaluate()
        with self.progress.task("training (optimizer steps)", total) as advance:
            advance(self.state.step)
            while self.state.step < total and self.state.epoch < self.job.epochs:
                self._epoch(total, warmup, advance)
        dev = self.state.history["dev"]
        if self.data.dev and (not dev or dev[-1]["step"] != self.state.step):
            self._evaluate()
        saved = self.saved
        if saved is None or saved.name != f"step-{self.state.step:06d}":
            saved = self._save()
        return self._summary(saved, per_epoch, total, elapsed(started))

    def _epoch(self, total: int, warmup: int, advance: Advance) -> None:
        batches = self._batches(self.state.epoch)
        accumulation = self.job.accumulation
        for start in range(self.state.micro_batch, len(batches), accumulation):
            group = batches[start : start + accumulation]
            loss, rate = self._step(group, total, warmup)
            self.state.step += 1
            self.state.micro_batch = start + len(group)
            self.state.history["loss"].append(
                {"step": self.state.step, "epoch": self.state.epoch, "loss": loss, "lr": rate}
            )
            if self.job.save_every and self.state.step % self.job.save_every == 0:
                self._save()
            advance(1)
            if self.state.step >= total:
                break
        if self.state.micro_batch >= len(batches):
            self.state.epoch += 1
            self.state.micro_batch = 0
            if self.data.dev:
                self._evaluate()
            self._save()

    def _batches(self, epoch: int) -> list[list[int]]:
        order = np.random.default_rng([self.job.seed, epoch]).permutation(len(self.data.pairs))
        size = self.job.batch_size
        return [order[i : i + size].tolist() for i in range(0, len(order), size)]

    def _step(self, group: list[list[int]], total: int, warmup: int) -> tuple[float, float]:
        """One optimizer step over ``group`` micro-batches; (mean loss, learning rate)."""
        rate = self.job.learning_rate * linear_schedule(self.state.step, total, warmup)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = rate
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for micro in group:
            with self._autocast():
                loss = self._loss(micro) / len(group)
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            loss_sum += float(loss.detach())
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.encoder.model.parameters(), self.job.max_grad_norm)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return loss_sum, rate

    def _loss(self, micro: list[int]) -> torch.Tensor:
        pairs = [self.data.pairs[i] for i in micro]
        chosen = [self._group(i, pair) for i, pair in zip(micro, pairs, strict=True)]
        ids = [p for group in chosen for p in group]
        size = 1 + self.job.negatives
        queries = self.encoder.queries([pair.query for pair in pairs])
        passages = self.encoder.passages(
            [self.passages[p][0] for p in ids], [self.passages[p][1] for p in ids]
        )
        return contrastive_loss(
            queries,
            passages,
            size,
            cosine=self.job.similarity == "cos",
            temperature=self.job.scale,
            mask=false_negatives(pairs, ids, size).to(queries.device),
        )

    def _group(self, index: int, pair: TrainingPair) -> list[int]:
        """[positive, negatives...] for one pair in the current epoch."""
        rng = np.random.default_rng([self.job.seed, self.state.epoch, index])
        positive = pair.positives[int(rng.integers(len(pair.positives)))]
        pool = self.pools.get((pair.source, pair.key), [])
        wanted = self.job.negatives
        if len(pool) >= wanted:
            return [positive, *(int(p) for p in rng.choice(pool, wanted, replace=False))]
        negatives = list(pool)
        taken = set(pair.positives) | set(negatives)
        while len(negatives) < wanted:
            candidate = int(self.passage_ids[rng.integers(len(self.passage_ids))])
            if candidate not in taken:
                negatives.append(candidate)
                taken.add(candidate)
        return [positive, *negatives]

    def _autocast(self) -> AbstractContextManager[Any]:
        if self.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def _evaluate(self) -> None:
        result = evaluate_dev(
            self.encoder,
            self.store,
            self.collection_id,
            self.data.dev,
            self.data.dev_qrels,
            DEV_MEASURES,
            autocast=self._autocast(),
        )
        self.state.history["dev"].append(
            {"epoch": self.state.epoch, "step": self.state.step, **result}
        )

    def _save(self) -> Path:
        self.state.scaler = None if self.scaler is None else self.scaler.state_dict()
        folder = self.output / "checkpoints"
        self.saved = checkpoints.save_checkpoint(
            folder, self.encoder.model, self.encoder.tokenizer, self.optimizer, self.state
        )
        checkpoints.prune_checkpoints(folder, self.job.keep_checkpoints)
        return self.saved

    def _summary(self, saved: Path, per_epoch: int, total: int, seconds: float) -> dict[str, Any]:
        final = self.output / "model"
        encoder = self.job.encoder_config(str(final)).identity()
        write_model_folder(self.output, saved, {"params": self.params, "encoder": encoder})
        dev = self.state.history["dev"]
        pools = [len(pool) for pool in self.pools.values()]
        return {
            "model_dir": str(final),
            "checkpoints": str(self.output / "checkpoints"),
            "encoder": encoder,
            "steps": self.state.step,
            "total_steps": total,
            "steps_per_epoch": per_epoch,
            "epochs_completed": self.state.epoch,
            "resumed_from_step": self.resumed_from,
            "device": str(self.device),
            "precision": self.precision,
            "data": self.data.counts,
            "negatives": {
                "per_query": self.job.negatives,
                "mined": bool(self.pools),
                "mean_pool": round(float(np.mean(pools)), 2) if pools else 0.0,
                "short_pools": sum(1 for n in pools if n < self.job.negatives),
            },
            "dev_before": dev[0] if dev and dev[0]["step"] == 0 else None,
            "dev_after": dev[-1] if dev else None,
            "curves": self.state.history,
            "train_seconds": seconds,
        }


def false_negatives(pairs: list[TrainingPair], ids: list[int], size: int) -> torch.Tensor:
    """Mask of (query, passage) scores to ignore: a passage that is one of the query's
    positives but not its target (another query's positive or negative, or a duplicate)."""
    return torch.tensor(
        [
            [
                column != row * size and passage in pair.positives
                for column, passage in enumerate(ids)
            ]
            for row, pair in enumerate(pairs)
        ],
        dtype=torch.bool,
    )


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
