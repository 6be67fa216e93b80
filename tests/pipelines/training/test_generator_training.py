"""Fine-tuning a tiny real T5 to write XQuAD questions: the loss falls, the best checkpoint by
eval loss is kept, and the folder plugs into the generate step as it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from pipelines.errors import InputError
from pipelines.generations.prompts import DEFAULT_TEMPLATE, format_prompt
from pipelines.training import GeneratorTraining, train_generator
from pipelines.training.generator import generation_examples
from store import Store, collections, generations, runs
from store.records import Run
from tests.conftest import Dump
from tests.pipelines.training.conftest import COLLECTION


def job(model: Path, **options: Any) -> GeneratorTraining:
    settings = {
        "batch_size": 8,
        "learning_rate": 1e-2,
        "max_input_length": 64,
        "max_target_length": 24,
        "dev_fraction": 0.2,
        "device": "cpu",
        **options,
    }
    return GeneratorTraining(model=str(model), collection=COLLECTION, **settings)


def test_examples_use_the_generation_prompt(xquad_store: Store, tiny_t5: Path) -> None:
    found = collections.get_collection(xquad_store, COLLECTION)
    train, dev = generation_examples(xquad_store, found.id, job(tiny_t5, languages=["de"]))
    assert {e.language for e in train} == {"de"}
    assert {e.language for e in dev} == {"de", "en", "es"}
    first = train[0]
    assert first.prompt.startswith("Generate a German question for this passage: ")
    queries = {q.text: q for q in collections.get_queries(xquad_store, found.id)}
    query = queries[first.target]
    (passage_id,) = collections.qrels_for(xquad_store, [query.id])[query.id]
    title, text = next(
        (t, x)
        for batch in collections.iter_passages(xquad_store, found.id)
        for pid, t, x in batch
        if pid == passage_id
    )
    assert first.prompt == format_prompt(DEFAULT_TEMPLATE, "de", title, text)


def test_loss_falls_and_the_best_checkpoint_is_kept(xquad_store: Store, tiny_t5: Path) -> None:
    from safetensors.torch import load_file

    training = job(tiny_t5, max_steps=30, eval_every=10, keep_checkpoints=1)
    run = train_generator(xquad_store, training, name="gen-ft")
    summary = run.summary
    curve = [point["loss"] for point in summary["curves"]["loss"]]
    assert len(curve) == 30
    assert np.mean(curve[-6:]) < np.mean(curve[:6]) - 0.5
    evaluations = summary["curves"]["dev"]
    assert [e["step"] for e in evaluations] == [0, 10, 20, 30]
    losses = {e["step"]: e["eval_loss"] for e in evaluations}
    assert losses[30] < losses[0] - 0.5
    best = min((step for step in losses if step), key=lambda step: losses[step])
    assert summary["chosen_step"] == best and summary["best_eval_loss"] == losses[best]
    chosen = Path(summary["checkpoints"]) / f"step-{best:06d}"
    model = load_file(str(Path(summary["model_dir"]) / "model.safetensors"))
    kept = load_file(str(chosen / "model.safetensors"))
    assert all(torch.equal(model[name], kept[name]) for name in kept)

    stored = runs.get_run(xquad_store, "gen-ft")
    assert stored.kind == "train" and stored.params["task"] == "generator"
    assert stored.params["template"] == DEFAULT_TEMPLATE and stored.params["seed"] == 313
    assert summary["data"]["examples"] == sum(summary["data"]["examples_by_language"].values())
    described = json.loads((Path(summary["model_dir"]) / "training.json").read_text("utf-8"))
    assert described["template"] == DEFAULT_TEMPLATE and described["chosen_step"] == best


def generate_with(store: Store, trained: Run, name: str, **options: Any) -> Run:
    """One German query per passage from a trained folder, on the CPU."""
    from pipelines.generations.model import generate_queries

    settings = {"languages": ["de"], "per_language": 1, "device": "cpu", "threads": 1, **options}
    return generate_queries(
        store, COLLECTION, model=trained.summary["model_dir"], name=name, **settings
    )


def test_the_folder_plugs_into_the_generate_step(xquad_store: Store, tiny_t5: Path) -> None:
    run = train_generator(xquad_store, job(tiny_t5, max_steps=4, dev_fraction=0.0), name="g")
    assert run.summary["chosen_step"] == 4 and run.summary["best_eval_loss"] is None
    generated = generate_with(xquad_store, run, "from-trained", max_new_tokens=8, guards=False)
    assert generated.status == "done"
    assert generated.params["model"].endswith("/g/model")
    assert len(generations.get_generations(xquad_store, generated.id)) == 40


def test_bad_input_leaves_nothing_behind(
    xquad_store: Store, tiny_t5: Path, tiny_model: Path, dump_db: Dump
) -> None:
    before = dump_db(xquad_store.path)
    with pytest.raises(InputError, match="not seq2seq"):
        train_generator(xquad_store, job(tiny_model, max_steps=1), name="bad")
    with pytest.raises(InputError, match="no training examples"):
        train_generator(xquad_store, job(tiny_t5, languages=["fi"]), name="bad")
    assert dump_db(xquad_store.path) == before
    assert not (xquad_store.path.with_suffix(".models") / "bad").exists()
    with pytest.raises(InputError, match="must use"):
        job(tiny_t5, template="Generate a {lang} question")


def test_a_custom_template_goes_with_the_trained_folder(xquad_store: Store, tiny_t5: Path) -> None:
    template = "Write a {lang} question about {title}: {passage}"
    training = job(tiny_t5, max_steps=2, dev_fraction=0.0, template=template)
    run = train_generator(xquad_store, training, name="custom")
    generated = generate_with(xquad_store, run, "custom-gen", max_new_tokens=4)
    assert generated.params["template"] == template  # prompted as it was trained
