"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store.db import Store
from store.records import Run
from tests.pipelines.evaluation_data import evaluated_store


@pytest.fixture
def evaluated(store: Store, shared_data: Path, tmp_path: Path) -> tuple[Store, dict[str, Run], int]:
    """The evaluation collection ingested into ``store`` and its two hand-ranked search runs."""
    return evaluated_store(store, shared_data, tmp_path)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """A local Ray instance with two CPUs (the Ray engines' tests), stopped after the module.

    Ray 2.x has no ``local_mode``; a single-node instance is the local set-up (a few
    seconds to start, so a module keeps to few runs)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()
