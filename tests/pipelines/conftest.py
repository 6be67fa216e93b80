"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.db import Store
from store.records import Run
from tests.pipelines.evaluation_data import evaluated_store


@pytest.fixture
def evaluated(store: Store, shared_data: Path, tmp_path: Path) -> tuple[Store, dict[str, Run], int]:
    """The evaluation collection ingested into ``store`` and its two hand-ranked search runs."""
    return evaluated_store(store, shared_data, tmp_path)
