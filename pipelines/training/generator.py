"""The ``train generator`` step: fine-tune a seq2seq query generator, as a run record.

Examples come from stored collections with multilingual questions and known passages
(XQuAD, XOR-TyDi with its corpus): for every question of the chosen languages and each
passage judged relevant for it, the input is the generate step's prompt
(:func:`pipelines.generations.prompts.format_prompt`: language name, title, passage) and
the target is the question. Dev examples come from held-out question groups (as for
encoders); the eval loss is measured before training, every ``eval_every`` steps and
after every epoch, and the checkpoint with the lowest eval loss becomes ``model/``, a
folder that ``xqg generate model --model <folder>`` loads as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.errors import InputError
from pipelines.generations.prompts import format_prompt
from pipelines.languages import LANGUAGE_NAMES
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from pipelines.training.config import GeneratorTraining
from pipelines.training.data import GenerationExample, split_queries
from pipelines.training.folders import output_folder
from pipelines.training.generator_loop import GeneratorTrainer
from pipelines.training.trainer import resolve_device
from store import collections
from store.db import Store
from store.records import Query, Run


def train_generator(
    store: Store, job: GeneratorTraining, *, name: str | None = None, progress: Progress = SILENT
) -> Run:
    """Fine-tune ``job.model`` to write questions for passages; returns the ``train`` run.

    The summary holds the loss curve, the eval losses, the best step and the model folder.
    """
    resolve_device(job)
    found = collections.get_collection(store, job.collection)
    params = {**job.identity(), "task": "generator", "collection": found.name}

    def body(run: Run) -> dict[str, Any]:
        train, dev = generation_examples(store, found.id, job)
        output = output_folder(store, job, run.name)
        trainer = GeneratorTrainer(job, params, train, dev, output, progress)
        trainer.prepare()
        return trainer.train()

    return run_step(
        store,
        "train",
        params,
        body,
        name=name,
        default_name=f"train-generator-{found.name}",
        collection_id=found.id,
        progress=progress,
    )


def generation_examples(
    store: Store, collection_id: int, job: GeneratorTraining
) -> tuple[list[GenerationExample], list[GenerationExample]]:
    """(train, dev) examples: one per (question, relevant passage)."""
    queries = [q for q in collections.get_queries(store, collection_id) if q.original_id is None]
    train, dev = split_queries(queries, job)
    unknown = sorted({q.language for q in train + dev} - set(LANGUAGE_NAMES))
    if unknown:
        raise InputError(
            f"the prompt needs an English language name; none known for {unknown} "
            "(choose --langs and --dev-langs without them)"
        )
    qrels = collections.qrels_for(store, [q.id for q in train + dev])
    wanted = {p for q in train + dev for p, rel in qrels.get(q.id, {}).items() if rel > 0}
    passages = {
        passage_id: (title, text)
        for batch in collections.iter_passages(store, collection_id)
        for passage_id, title, text in batch
        if passage_id in wanted
    }
    made = [_examples(chosen, qrels, passages, job.template) for chosen in (train, dev)]
    if not made[0]:
        raise InputError(
            "no training examples: no question of the chosen languages and splits has a "
            "relevant passage (check --langs, --train-split, --dev-split)"
        )
    return made[0], made[1]


def _examples(
    queries: Sequence[Query],
    qrels: dict[int, dict[int, int]],
    passages: dict[int, tuple[str, str]],
    template: str,
) -> list[GenerationExample]:
    return [
        GenerationExample(
            format_prompt(template, q.language, *passages[passage_id]), q.text, q.language
        )
        for q in queries
        for passage_id, relevance in sorted(qrels.get(q.id, {}).items())
        if relevance > 0
    ]
