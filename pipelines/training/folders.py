"""Where a training writes: ``--output`` (default ``<db>.models/<run name>``) with
``checkpoints/step-N`` while training, and ``model/``, made from a checkpoint, at the end.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from pipelines.errors import InputError, shorten
from pipelines.training.config import TrainingJob
from store.db import Store


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
