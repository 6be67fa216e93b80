"""Checkpoints that resume a training run exactly, without pickle.

A checkpoint is a folder ``step-NNNNNN`` holding the model and tokenizer
(``save_pretrained``: config.json, model.safetensors, tokenizer files), the optimizer's
tensors in ``optimizer.safetensors`` with its hyper-parameters in ``optimizer.json``, the
random-number states in ``rng.safetensors`` and ``trainer_state.json`` (step, epoch,
position in the epoch, curves, loss-scaler state, the run's parameters). Each is written
under a ``.partial`` name and renamed when complete, so a crash never leaves a half
checkpoint that resuming would trust.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "trainer_state.json"
PATTERN = re.compile(r"^step-(\d+)$")


@dataclass
class TrainerState:
    """Where training stands: counts, curves and what it was asked to do."""

    step: int
    epoch: int
    micro_batch: int
    params: dict[str, Any]
    history: dict[str, list[dict[str, Any]]]
    scaler: dict[str, Any] | None = None


def save_checkpoint(
    folder: Path, model: Any, tokenizer: Any, optimizer: torch.optim.Optimizer, state: TrainerState
) -> Path:
    """Write ``folder/step-NNNNNN`` atomically; returns its path."""
    from safetensors.torch import save_file

    final = folder / f"step-{state.step:06d}"
    partial = folder / f".step-{state.step:06d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        save_model(partial, model, tokenizer)
        tensors, groups = _flatten_optimizer(optimizer.state_dict())
        save_file(tensors, str(partial / "optimizer.safetensors"))
        (partial / "optimizer.json").write_text(json.dumps(groups), "utf-8")
        save_file(_rng_states(), str(partial / "rng.safetensors"))
        (partial / STATE_FILE).write_text(json.dumps(state.__dict__, indent=2), "utf-8")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def save_model(folder: Path, model: Any, tokenizer: Any) -> None:
    """The model (safetensors) and its tokenizer, loadable with ``from_pretrained``."""
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def latest_checkpoint(folder: Path) -> Path | None:
    """The complete checkpoint with the highest step, if any."""
    if not folder.is_dir():
        return None
    found = [
        (int(match.group(1)), path)
        for path in folder.iterdir()
        if (match := PATTERN.match(path.name)) and (path / STATE_FILE).exists()
    ]
    return max(found)[1] if found else None


def read_state(checkpoint: Path) -> TrainerState:
    """The trainer state of a checkpoint."""
    return TrainerState(**json.loads((checkpoint / STATE_FILE).read_text("utf-8")))


def restore_optimizer(checkpoint: Path, optimizer: torch.optim.Optimizer) -> None:
    """Load the optimizer's tensors and hyper-parameters saved with a checkpoint."""
    from safetensors.torch import load_file

    tensors = load_file(str(checkpoint / "optimizer.safetensors"))
    groups = json.loads((checkpoint / "optimizer.json").read_text("utf-8"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = tensor
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def restore_rng(checkpoint: Path) -> None:
    """Put torch's random-number generators back where the checkpoint left them."""
    from safetensors.torch import load_file

    states = load_file(str(checkpoint / "rng.safetensors"))
    torch.set_rng_state(states["cpu"])
    devices = sorted(int(key.removeprefix("cuda.")) for key in states if key != "cpu")
    cuda = [states[f"cuda.{device}"] for device in devices]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


def prune_checkpoints(folder: Path, keep: int, protect: Collection[int] = ()) -> None:
    """Delete all but the ``keep`` newest checkpoints and those of the ``protect`` steps."""
    found = sorted(
        (int(match.group(1)), path)
        for path in folder.iterdir()
        if (match := PATTERN.match(path.name))
    )
    for step, path in found[:-keep]:
        if step not in protect:
            shutil.rmtree(path)


def _flatten_optimizer(
    state_dict: dict[str, Any],
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    tensors = {
        f"state.{index}.{name}": value.detach().contiguous().cpu()
        for index, values in state_dict["state"].items()
        for name, value in values.items()
    }
    return tensors, state_dict["param_groups"]


def _rng_states() -> dict[str, torch.Tensor]:
    states = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        states.update({f"cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return states
