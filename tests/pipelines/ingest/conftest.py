"""Fixtures for the ingest tests: the real CLI, plain SQL, and the bad-input contract."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import ingest, read_xor_tydi, read_xquad
from store import open_store
from tests.pipelines.ingest.datafiles import Cli, ExpectBadInput, Sql
from xqg_tui.cli import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run ``xqg ARGS...`` in this process; returns (exit code, stdout, stderr).

    A wide COLUMNS keeps rich from wrapping output at the width of whatever terminal runs the
    tests, so that a whole error message can be compared.
    """
    monkeypatch.setenv("COLUMNS", "4000")

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def sql(db_path: Path) -> Sql:
    """Plain SQL against the test database (a fresh connection per call)."""

    def query(statement: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute(statement, tuple(params)).fetchall()
        finally:
            conn.close()

    return query


@pytest.fixture(scope="session")
def populated_template(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database already holding real data: XQuAD en+de and the XOR-TyDi dev questions."""
    path = tmp_path_factory.mktemp("template") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(shared_data / "xquad", ["en", "de"]))
        ingest(store, read_xor_tydi(shared_data / "xor-tydi/xor_dev_retrieve_eng_span_v1_1.jsonl"))
    return path


@pytest.fixture(params=["no database yet", "database with data"])
def expect_bad_input(
    request: pytest.FixtureRequest,
    cli: Cli,
    db_path: Path,
    dump_db: Callable[[Path], list[tuple[str, list[tuple[object, ...]]]]],
) -> ExpectBadInput:
    """Check the bad-input contract against a missing and against a populated database.

    ``check(args, message)`` runs ``xqg ARGS --db DB`` and asserts exit code 2, exactly
    ``error: MESSAGE`` on stderr, and a database left as it was (a database that did not
    exist must still not exist, or hold no rows); it returns the exit code.
    """
    if request.param == "database with data":
        template: Path = request.getfixturevalue("populated_template")
        shutil.copyfile(template, db_path)

    def check(args: list[str], message: str) -> int:
        existed = db_path.exists()
        before = dump_db(db_path)
        code, _, err = cli(*args, "--db", db_path)
        assert err == f"error: {message}\n"
        assert code == 2
        if existed:
            assert dump_db(db_path) == before
        else:
            assert not db_path.exists() or all(not rows for _, rows in dump_db(db_path))
        return code

    return check
