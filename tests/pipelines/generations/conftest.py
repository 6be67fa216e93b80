"""Fixtures for model-based generation: a tiny real mT5 and the first 40 XQuAD paragraphs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import ingest, read_xquad
from store import Store, open_store
from store.generations import get_generations
from tests.pipelines.generations.tiny_mt5 import build_tiny_mt5

# Small and quick, yet every mechanism is exercised: 40 passages in 10 batches of 4,
# three languages (one of them absent from the tokenizer's training text), 3 samples each.
SETTINGS: dict[str, Any] = {
    "languages": ["ar", "de", "ja"],
    "per_language": 3,
    "max_new_tokens": 6,
    "max_input_length": 48,
    "batch_size": 4,
    "seed": 7,
    # One thread: on a machine shared with other test runs, more threads wait on each other.
    "threads": 1,
}
PASSAGES = 40


@pytest.fixture(scope="session")
def tiny_model(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny mT5 (tokenizer trained on real XQuAD text, random weights)."""
    return build_tiny_mt5(tmp_path_factory.mktemp("models") / "tiny-mt5", shared_data / "xquad")


@pytest.fixture(scope="session")
def xquad_template(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the 40 English XQuAD paragraphs, copied by ``xquad_db``."""
    path = tmp_path_factory.mktemp("xquad-db") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(small_xquad, ["en"]))
    return path


@pytest.fixture
def xquad_db(xquad_template: Path, db_path: Path) -> Path:
    """A fresh copy of the 40-passage database."""
    shutil.copy(xquad_template, db_path)
    return db_path


@pytest.fixture
def xquad_store(xquad_db: Path) -> Any:
    """The 40-passage database, open."""
    with open_store(xquad_db) as store:
        yield store


def generated_rows(store: Store, run_id: int) -> list[tuple[int, str, int, str]]:
    """(passage id, language, position, text) of a run, in order."""
    return [(g.passage_id, g.language, g.position, g.text) for g in get_generations(store, run_id)]
