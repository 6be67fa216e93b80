"""The Ray Data engine on a local Ray instance (CPU) writes the single-process rows.

Ray 2.x no longer has ``local_mode``; a single-node instance started by the test is the
local set-up (a few seconds to start, which is why this module is kept to one run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipelines.generations import generate_queries
from store import Store
from tests.pipelines.generations.conftest import SETTINGS, generated_rows

# Ray Data warns about its own deprecated settings when it ships its context to workers.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_ray_engine_equals_the_single_process_run(
    xquad_store: Store, tiny_model: Path, local_ray: Any
) -> None:
    model = str(tiny_model)
    local = generate_queries(xquad_store, "xquad", model=model, name="local", **SETTINGS)
    on_ray = generate_queries(
        xquad_store, "xquad", model=model, name="ray", engine="ray", actors=1, **SETTINGS
    )
    assert on_ray.status == "done"
    assert generated_rows(xquad_store, on_ray.id) == generated_rows(xquad_store, local.id)
    assert on_ray.summary["devices"] == ["ray cpu float32 x1"]
    assert on_ray.summary["batches"] == 10
