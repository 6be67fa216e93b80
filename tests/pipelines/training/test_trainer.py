"""The trainer both tasks share: a training killed after a checkpoint and rerun computes the
losses and learning rates of an uninterrupted one and ends with the very same weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from pipelines.training import train_encoder, train_generator
from store import Store, runs
from store.records import Run
from tests.pipelines.training.conftest import StopAfter
from tests.pipelines.training.test_encoder_training import job as encoder_job
from tests.pipelines.training.test_generator_training import job as generator_job

# task: (step, job, start model fixture, learning rate of the job)
TASKS: dict[str, tuple[Callable[..., Run], Callable[..., Any], str, float]] = {
    "encoder": (train_encoder, encoder_job, "tiny_model", 2e-3),
    "generator": (train_generator, generator_job, "tiny_t5", 1e-2),
}


def curve(run: Run, key: str) -> list[float]:
    return [point[key] for point in run.summary["curves"]["loss"]]


@pytest.mark.parametrize("task", sorted(TASKS))
def test_an_interrupted_training_resumes_to_the_same_curve_and_weights(
    xquad_store: Store, request: pytest.FixtureRequest, task: str
) -> None:
    from safetensors.torch import load_file

    train, make_job, model, rate = TASKS[task]
    training = make_job(
        request.getfixturevalue(model), max_steps=6, save_every=2, keep_checkpoints=1
    )
    straight = train(xquad_store, training, name="straight")

    with pytest.raises(KeyboardInterrupt):
        train(xquad_store, training, name="resumed", progress=StopAfter(3))
    assert runs.get_run(xquad_store, "resumed").status == "failed"
    output = xquad_store.path.with_suffix(".models") / "resumed"
    assert sorted(p.name for p in (output / "checkpoints").iterdir()) == ["step-000002"]
    assert not (output / "model").exists()

    resumed = train(xquad_store, training, name="resumed")
    assert resumed.summary["resumed_from_step"] == 2
    assert curve(resumed, "loss")[2] == curve(straight, "loss")[2]  # the step after the resume
    assert curve(resumed, "loss") == curve(straight, "loss")
    # No warm-up step in 6 (10% or 0% of them), then linear decay to 0 after step 6.
    expected = [rate * (6 - step) / 6 for step in range(6)]
    assert curve(resumed, "lr") == pytest.approx(expected, rel=1e-12)
    assert curve(straight, "lr") == curve(resumed, "lr")
    first = load_file(str(Path(straight.summary["model_dir"]) / "model.safetensors"))
    second = load_file(str(Path(resumed.summary["model_dir"]) / "model.safetensors"))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert sorted(p.name for p in (output / "checkpoints").iterdir()) == ["step-000006"]
