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

from typing import Any

from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.training.config import EncoderTraining
from pipelines.training.data import TrainingData, load_training_data
from pipelines.training.folders import output_folder
from pipelines.training.loop import EncoderTrainer
from pipelines.training.trainer import resolve_device
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
        trainer = EncoderTrainer(
            store, found, run, job, params, data, output, progress, index_run, generation_run
        )
        trainer.prepare()
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


__all__ = ["TrainingData", "train_encoder"]
