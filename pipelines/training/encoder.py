"""The ``train`` step: contrastive fine-tuning of a Hugging Face encoder, as a run record.

Tevatron's recipe: tied encoders, 1 positive + n hard negatives per query, in-batch
negatives (every passage of the micro-batch), cross-entropy over dot products (or cosines
with a temperature), AdamW with linear warm-up and decay, gradient clipping, gradient
accumulation over micro-batches (in-batch negatives stay within a micro-batch),
fp16/bf16 autocast on GPU. A passage that is a positive of a query is never that query's
negative, even when it arrives as another query's positive or negative.

Outputs go to ``--output`` (default ``<db>.models/<run name>``): ``checkpoints/step-N``
while training, ``model/`` at the end (the folder ``hf:`` encoders load), with
``training.json`` describing how to encode with it. A run interrupted or failed after a
checkpoint resumes from it when rerun under the same ``--name`` with the same parameters.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from pipelines.errors import InputError, shorten
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.training.config import EncoderTraining, TrainingJob
from pipelines.training.data import TrainingData, load_training_data
from store import collections, generations, runs
from store.db import Store
from store.records import Collection, Run


def train_encoder(
    store: Store, job: EncoderTraining, *, name: str | None = None, progress: Progress = SILENT
) -> Run:
    """Fine-tune ``job.model`` on a collection's (query, positive) pairs; returns the run.

    The run's summary holds the loss curve, the dev measures after every epoch (and before
    training), the counts of training pairs and the trained model folder.
    """
    from pipelines.training.loop import resolve_device

    resolve_device(job)
    found = collections.get_collection(store, job.collection)
    generation_run = _generation_run(store, job, found)
    index_run = _index_run(store, job, found)
    held_out_by = _held_out_runs(store, job, generation_run)
    params = {
        **job.identity(),
        "collection": found.name,
        "with_generations": None if generation_run is None else generation_run.name,
        "negatives_from": None if index_run is None else index_run.name,
        "exclude_heldout": sorted(run.name for run in held_out_by),
    }
    parents = [("negatives", index_run.id)] if index_run is not None else []
    if generation_run is not None:
        parents.append(("generations", generation_run.id))
    taken = {parent_id for _, parent_id in parents}
    parents += [("held_out_by", run.id) for run in held_out_by if run.id not in taken]

    def body(run: Run) -> dict[str, Any]:
        held_out = generations.held_out_query_ids(store, [r.id for r in held_out_by])
        data = load_training_data(
            store, found.id, job, generation_run=generation_run, held_out=held_out
        )
        output = output_folder(store, job, run.name)
        from pipelines.training.loop import Trainer

        trainer = Trainer(store, job, params, found.id, data, output, progress)
        trainer.prepare(run.id, index_run, generation_run)
        return trainer.train()

    return run_step(
        store,
        "train",
        params,
        body,
        name=name,
        default_name=f"train-{found.name}",
        parents=parents,
        collection_id=found.id,
        progress=progress,
    )


def _generation_run(store: Store, job: EncoderTraining, found: Collection) -> Run | None:
    if job.with_generations is None:
        return None
    run = require_done(runs.get_run(store, job.with_generations, kind="generate"))
    if run.collection_id != found.id:
        raise InputError(
            f"generation run {run.name!r} belongs to another collection, not {found.name!r}"
        )
    return run


def _index_run(store: Store, job: EncoderTraining, found: Collection) -> Run | None:
    if job.negatives_from is None:
        return None
    run = require_done(runs.get_run(store, job.negatives_from))
    if run.kind not in ("index", "augment"):
        raise InputError(
            f"run {run.name!r} is a {run.kind} run; --negatives-from needs an index run"
        )
    if run.collection_id != found.id:
        raise InputError(f"index {run.name!r} belongs to another collection, not {found.name!r}")
    return run


def _held_out_runs(store: Store, job: EncoderTraining, generation_run: Run | None) -> list[Run]:
    chosen = {
        run.id: run
        for run in (runs.get_run(store, ref, kind="generate") for ref in job.exclude_heldout)
    }
    if generation_run is not None and generation_run.params.get("source") == "heldout":
        chosen[generation_run.id] = generation_run
    return [chosen[key] for key in sorted(chosen)]


def output_folder(store: Store, job: TrainingJob, run_name: str) -> Path:
    """Where a training writes: ``--output`` or ``<db>.models/<run name>`` (absolute).

    A run name becomes one folder inside ``<db>.models/``: a name that would lead outside
    it (``/abs``, ``../x``, ``a/b``) is refused; ``--output`` is where a user chooses freely.

    Raises:
        InputError: the name leads outside ``<db>.models/``, or the folder already holds a
            finished model.
    """
    models = store.path.with_suffix(".models").resolve()
    output = Path(job.output).resolve() if job.output else (models / run_name).resolve()
    if not job.output and (output.parent != models or run_name in ("", ".", "..")):
        raise InputError(
            f"run name {shorten(run_name)!r} cannot name a folder inside {models}: "
            "use a name without '/' or '..', or choose the folder with --output"
        )
    if (output / "model").exists():
        raise InputError(
            f"{output / 'model'} already holds a trained model; choose another --output or --name"
        )
    return output


def linear_schedule(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor before optimizer step ``step`` (0-based): linear warm-up over
    ``warmup`` steps, then linear decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def total_steps(job: TrainingJob, pairs: int) -> tuple[int, int]:
    """(optimizer steps per epoch, optimizer steps in all)."""
    per_epoch = math.ceil(math.ceil(pairs / job.batch_size) / job.accumulation)
    total = per_epoch * job.epochs
    return per_epoch, total if job.max_steps is None else min(total, job.max_steps)


def write_model_folder(output: Path, checkpoint: Path, description: dict[str, Any]) -> Path:
    """Copy the final weights to ``output/model`` (atomically) with ``training.json``."""
    final = output / "model"
    partial = output / ".model.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(
        checkpoint,
        partial,
        ignore=shutil.ignore_patterns("optimizer.*", "rng.*", "trainer_state.json"),
    )
    (partial / "training.json").write_text(json.dumps(description, indent=2), "utf-8")
    os.replace(partial, final)
    return final


def elapsed(started: float) -> float:
    """Seconds since ``started`` (perf counter), rounded for a summary."""
    return round(time.perf_counter() - started, 2)


__all__ = ["TrainingData", "train_encoder"]
