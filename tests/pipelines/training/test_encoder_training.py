"""Training a tiny real BERT on real XQuAD pairs: the loss falls, the saved folder loads and
indexes, generations add pairs, bad input leaves nothing behind (resuming: test_trainer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from pipelines.encoders.base import EncoderConfig, load_encoder
from pipelines.errors import InputError
from pipelines.evaluate import per_query_values
from pipelines.generations import generate_heldout
from pipelines.index import build_index
from pipelines.search import search
from pipelines.training import EncoderTraining, train_encoder
from pipelines.training.data import load_training_data
from store import Store, collections, generations, runs
from store.errors import NotFoundError
from tests.conftest import Dump
from tests.pipelines.training.conftest import COLLECTION, StopAfter

FAST = {
    "negatives_from": "base",
    "negatives": 2,
    "batch_size": 4,
    "query_max_length": 16,
    "passage_max_length": 48,
    "learning_rate": 2e-3,
    "dev_fraction": 0.2,
    "device": "cpu",
    "eval_batch_size": 128,
}


def job(model: Path, **options: Any) -> EncoderTraining:
    """A small training job on the tiny model (options override FAST)."""
    return EncoderTraining(model=str(model), collection=COLLECTION, **{**FAST, **options})


def losses(run: Any) -> list[float]:
    return [point["loss"] for point in run.summary["curves"]["loss"]]


def test_loss_falls_and_the_run_records_everything(xquad_store: Store, tiny_model: Path) -> None:
    run = train_encoder(xquad_store, job(tiny_model, max_steps=40), name="ft")
    curve = losses(run)
    assert len(curve) == 40 == run.summary["steps"]
    assert np.mean(curve[-10:]) < np.mean(curve[:10]) - 0.3

    stored = runs.get_run(xquad_store, "ft")
    assert stored.kind == "train" and stored.status == "done"
    assert stored.params["learning_rate"] == 2e-3
    assert stored.params["negatives"] == 2 and stored.params["seed"] == 42
    assert stored.params["negatives_from"] == "base"
    assert stored.params["model"] == str(tiny_model.resolve())
    versions = xquad_store.rows("SELECT versions FROM runs WHERE id = ?", (stored.id,))[0]
    assert '"torch"' in versions["versions"] and '"transformers"' in versions["versions"]
    assert [(role, parent.name) for role, parent in runs.parent_runs(xquad_store, stored.id)] == [
        ("negatives", "base")
    ]
    summary = stored.summary
    negatives = {"per_query": 2, "mined": True, "mean_pool": 30.0, "short_pools": 0}
    assert summary["negatives"] == negatives
    assert summary["data"]["pairs"] == summary["data"]["pairs_by_source"]["query"]
    assert set(summary["data"]["pairs_by_language"]) == {"de", "en", "es"}
    dev = summary["curves"]["dev"]
    assert [point["step"] for point in dev] == [0, 40]
    assert summary["dev_before"] == dev[0] and summary["dev_after"] == dev[1]
    assert set(dev[1]["by_language"]) == {"de", "en", "es"}
    model_dir = Path(summary["model_dir"])
    assert model_dir == xquad_store.path.with_suffix(".models") / "ft" / "model"
    assert {"config.json", "model.safetensors", "tokenizer.json", "training.json"} <= {
        p.name for p in model_dir.iterdir()
    }


def test_dev_measures_equal_the_index_search_evaluate_pipeline(
    xquad_store: Store, tiny_model: Path
) -> None:
    # One text a batch on both sides: a vector then never depends on which texts share its
    # batch (padding and matrix shapes change the float summation order, and the tiny model's
    # near-ties would flip on the last bit), so the two paths must agree exactly.
    training = job(tiny_model, max_steps=6, eval_batch_size=1)
    run = train_encoder(xquad_store, training, name="ft")
    config = EncoderConfig.from_identity(run.summary["encoder"], {"batch_size": 1, "device": "cpu"})
    index_run = build_index(xquad_store, COLLECTION, config, name="trained")
    search_run = search(xquad_store, index_run.name, depth=100, name="s-trained")
    values = per_query_values(xquad_store, search_run, ["MRR@10"])["MRR@10"]
    found = collections.get_collection(xquad_store, COLLECTION)
    dev = load_training_data(xquad_store, found.id, training).dev
    for language, measured in run.summary["dev_after"]["by_language"].items():
        ids = [q.id for q in dev if q.language == language]
        assert measured["MRR@10"] == pytest.approx(np.mean([values[i] for i in ids]), abs=1e-9)


def test_saved_folder_loads_with_from_pretrained(xquad_store: Store, tiny_model: Path) -> None:
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    run = train_encoder(xquad_store, job(tiny_model, max_steps=3, dev_fraction=0.0), name="ft")
    folder = Path(run.summary["model_dir"])
    model, info = AutoModel.from_pretrained(folder, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    trained = load_file(str(folder / "model.safetensors"))
    original = load_file(str(tiny_model / "model.safetensors"))
    changed = [name for name in trained if not torch.equal(trained[name], original[name])]
    assert "encoder.layer.0.attention.self.query.weight" in changed
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, trained[name]), name
    encoder = load_encoder(EncoderConfig.from_identity(run.summary["encoder"], {"device": "cpu"}))
    inputs = tokenizer(["Wo fand der Super Bowl 50 statt?"], return_tensors="pt")
    with torch.inference_mode():
        expected = model.eval()(**inputs).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(
        encoder.encode_queries(["Wo fand der Super Bowl 50 statt?"]), expected, atol=1e-5
    )
    assert run.summary["dev_after"] is None


def test_frozen_embeddings_stay_and_the_rest_learns(xquad_store: Store, tiny_model: Path) -> None:
    from safetensors.torch import load_file

    frozen = job(tiny_model, max_steps=3, dev_fraction=0.0, freeze_embeddings=True)
    run = train_encoder(xquad_store, frozen, name="frozen")
    trained = load_file(str(Path(run.summary["model_dir"]) / "model.safetensors"))
    original = load_file(str(tiny_model / "model.safetensors"))
    changed = {name for name in trained if not torch.equal(trained[name], original[name])}
    assert "embeddings.word_embeddings.weight" not in changed
    assert "embeddings.position_embeddings.weight" in changed
    assert "encoder.layer.0.attention.self.query.weight" in changed
    assert run.params["freeze_embeddings"] is True
    # The option is part of a run's identity only when set: older runs keep theirs.
    assert "freeze_embeddings" not in job(tiny_model).identity()


def test_with_generations_adds_their_queries_as_pairs(xquad_store: Store, tiny_model: Path) -> None:
    stand_ins = generate_heldout(xquad_store, COLLECTION, k=1, languages=["de", "es"], seed=3)
    made = generations.get_generations(xquad_store, stand_ins.id)
    # One question id per paragraph, in two languages, but for those that read exactly as a
    # question still evaluated on their paragraph (XQuAD repeats a few questions).
    assert len(made) == 2 * 40 - stand_ins.summary["dropped_as_evaluated_text"] > 2 * 40 - 4

    plain = train_encoder(xquad_store, job(tiny_model, max_steps=1), name="plain")
    with_xqg = train_encoder(
        xquad_store, job(tiny_model, max_steps=1, with_generations=stand_ins.name), name="xqg"
    )
    base, extra = plain.summary["data"], with_xqg.summary["data"]
    assert extra["pairs_by_source"] == {"generation": len(made), "query": base["pairs"]}
    assert extra["pairs"] == base["pairs"] + len(made)
    # The stand-ins are real questions: they and their translations leave the dev set.
    held_out = generations.held_out_query_ids(xquad_store, [stand_ins.id])
    found = collections.get_collection(xquad_store, COLLECTION)
    dev = load_training_data(xquad_store, found.id, job(tiny_model)).dev
    assert extra["dev_queries"] == len([q for q in dev if q.id not in held_out])
    assert extra["dev_queries"] < base["dev_queries"]
    roles = [(role, r.name) for role, r in runs.parent_runs(xquad_store, with_xqg.id)]
    assert roles == [("negatives", "base"), ("generations", stand_ins.name)]


def test_only_some_generation_languages(xquad_store: Store, tiny_model: Path) -> None:
    stand_ins = generate_heldout(xquad_store, COLLECTION, k=1, languages=["de", "es"], seed=3)
    run = train_encoder(
        xquad_store,
        job(
            tiny_model,
            max_steps=1,
            dev_fraction=0.0,
            with_generations=stand_ins.name,
            generation_languages=["es"],
        ),
        name="xqg-es",
    )
    spanish = stand_ins.summary["per_language"]["es"]
    assert spanish > 37 and run.summary["data"]["pairs_by_source"]["generation"] == spanish


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"languages": ["fi"]}, InputError, "no training pairs"),
        ({"negatives_from": "no-such-run"}, NotFoundError, "no run 'no-such-run'"),
        ({"with_generations": "base"}, NotFoundError, "expected kind generate"),
        ({"dev_split": "dev"}, InputError, "no query has split 'dev'"),
        ({"precision": "fp16"}, InputError, "needs a GPU"),
        ({"negatives": 40}, InputError, "lower --negatives"),
    ],
)
def test_bad_input_leaves_nothing_behind(
    xquad_store: Store,
    tiny_model: Path,
    dump_db: Dump,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    before = dump_db(xquad_store.path)
    with pytest.raises(error, match=message):
        train_encoder(xquad_store, job(tiny_model, max_steps=1, **options), name="bad")
    assert dump_db(xquad_store.path) == before
    assert not (xquad_store.path.with_suffix(".models") / "bad").exists()


def test_checkpoints_of_other_parameters_are_refused(
    xquad_store: Store, tiny_model: Path, tmp_path: Path
) -> None:
    output = str(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        train_encoder(
            xquad_store,
            job(tiny_model, max_steps=4, save_every=1, output=output),
            name="one",
            progress=StopAfter(2),
        )
    with pytest.raises(InputError, match="checkpoints of a training with other parameters"):
        train_encoder(xquad_store, job(tiny_model, max_steps=4, seed=1, output=output), name="two")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": "e5-small"}, "xqg models import-e5-small"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
        ({"dev_fraction": 1.0}, "--dev-fraction must be in"),
        ({"pooling": "max"}, "--pooling must be one of cls, mean"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], message: str) -> None:
    settings = {"model": "some/model", "collection": "c", **options}
    with pytest.raises(InputError, match=message):
        EncoderTraining(**settings)


def test_command_line_trains_and_reports(
    xquad_store: Store,
    tiny_model: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from xqg_tui.cli import main

    monkeypatch.setenv("COLUMNS", "4000")  # no wrapping of the printed command
    db = str(xquad_store.path)
    common = [
        "train",
        "encoder",
        "--db",
        db,
        "--collection",
        COLLECTION,
        "--model",
        str(tiny_model),
    ]
    fast = [
        "--negatives-from",
        "base",
        "--negatives",
        "2",
        "--batch-size",
        "4",
        "--passage-max-length",
        "48",
        "--max-steps",
        "2",
        "--device",
        "cpu",
    ]
    assert main([*common, *fast, "--name", "cli", "--langs", "de,es", "--dev-langs", "en"]) == 0
    printed = capsys.readouterr().out
    assert "dev MRR@10 (step 2)" in printed
    model_dir = xquad_store.path.with_suffix(".models").resolve() / "cli" / "model"
    assert f"xqg index --collection {COLLECTION} --encoder hf:{model_dir} --pooling cls" in printed
    run = runs.get_run(xquad_store, "cli")
    assert set(run.summary["data"]["pairs_by_language"]) == {"de", "es"}
    assert set(run.summary["dev_after"]["by_language"]) == {"en"}

    assert main([*common, *fast, "--name", "bad", "--langs", "fi"]) == 2
    assert "no training pairs" in capsys.readouterr().err
    assert main([*common, "--negatives", "-1"]) == 2
    assert "--negatives must be 0 or more" in capsys.readouterr().err


def test_mean_pooling_cosine_with_temperature_and_accumulation_learn_too(
    xquad_store: Store, tiny_model: Path
) -> None:
    """The e5 recipe (mean pooling, cosine / temperature) with two micro-batches a step."""
    training = job(
        tiny_model,
        max_steps=40,
        pooling="mean",
        similarity="cos",
        temperature=0.05,
        accumulation=2,
        dev_fraction=0.0,
    )
    run = train_encoder(xquad_store, training, name="e5-recipe")
    curve = losses(run)
    assert len(curve) == 40
    assert np.mean(curve[-10:]) < np.mean(curve[:10]) - 0.1
    params = runs.get_run(xquad_store, "e5-recipe").params
    assert (params["pooling"], params["similarity"], params["temperature"]) == ("mean", "cos", 0.05)
    assert params["accumulation"] == 2
    assert run.summary["encoder"]["pooling"] == "mean"
