"""``xqg tui``: a database that cannot be opened gets a message and exit code 2, no app."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from store import open_store
from xqg_tui.cli import main


def test_a_missing_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.db"
    assert main(["tui", "--db", str(missing)]) == 2
    assert "no such database" in capsys.readouterr().err
    assert not missing.exists()


def test_an_empty_file_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["tui", "--db", str(empty)]) == 2
    assert "an empty file, not an xqg database" in capsys.readouterr().err
    assert empty.stat().st_size == 0


def test_another_programs_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    assert main(["tui", "--db", str(foreign)]) == 2
    assert "another program" in capsys.readouterr().err


def test_a_text_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello, this is not SQLite\n" * 100)
    assert main(["tui", "--db", str(text)]) == 2
    assert "not an SQLite database" in capsys.readouterr().err


def test_a_newer_schema_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newer = tmp_path / "newer.db"
    open_store(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    assert main(["tui", "--db", str(newer)]) == 2
    assert "newer than this xqg knows" in capsys.readouterr().err


def test_the_command_line_does_not_load_textual_until_asked() -> None:
    code = (
        "import sys; from xqg_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False"
    assert "tui" in done.stdout
