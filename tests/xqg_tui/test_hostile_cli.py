"""Hostile text on the command line: run names, ids and error details that look like Rich
markup or hold terminal escapes are printed literally, with their controls made visible."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from rich.table import Table

from store import Store, open_store
from store.runs import fail_run, finish_run, start_run
from tests.conftest import copy_database
from tests.processes import xqg_command
from xqg_tui import console
from xqg_tui.console import LiteralConsole, marked
from xqg_tui.literal import literal, visible

RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")
NAME = "[/x][link=file:///etc/passwd]n[/link]\x1b]0;pwned\x07"
SHOWN = "[/x][link=file:///etc/passwd]n[/link]\\x1b]0;pwned\\x07"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text, [brackets]", "plain text, [brackets]"),
        ("\x1b[2Jclear", "\\x1b[2Jclear"),
        ("bell\x07 del\x7f nul\x00", "bell\\x07 del\\x7f nul\\x00"),
        ("c1 \x9b31m \x85", "c1 \\x9b31m \\x85"),
        (
            "bidi \u202eabc\u202c \u2066x\u2069 \u200f \u061c",
            "bidi \\u202eabc\\u202c \\u2066x\\u2069 \\u200f \\u061c",
        ),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
    ],
)
def test_visible_escapes_controls_and_keeps_text(text: str, expected: str) -> None:
    assert visible(text) == expected


def test_one_line_escapes_newlines_and_tabs_too() -> None:
    assert visible("a\nb\tc\rd", one_line=True) == "a\\x0ab\\x09c\\x0dd"
    assert literal("[bold]x[/]", "red").plain == "[bold]x[/]"


def _printed(*renderables: object) -> str:
    buffer = io.StringIO()
    console = LiteralConsole(file=buffer, width=200, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def test_tables_messages_and_progress_lines_are_literal(monkeypatch: pytest.MonkeyPatch) -> None:
    table = Table(title=f"runs in {NAME}")
    table.add_column("name")
    table.add_row(NAME)
    printed = _printed(table, f"note about {NAME}", marked("error:", "bold red", NAME))
    assert printed.count(SHOWN) == 4
    assert "error: " + SHOWN in printed
    assert not any(c in printed for c in RAW)
    buffer = io.StringIO()
    monkeypatch.setattr(console, "err", LiteralConsole(file=buffer, width=200, color_system=None))
    progress = console.TerminalProgress()
    with progress.task(f"encoding {NAME}", total=1) as advance:
        advance(1)
    with progress.counting_task(f"generating {NAME}", total=1, counted="queries") as advance2:
        advance2(1, 5)
    progress.note(f"WARNING: {NAME}")
    drawn = buffer.getvalue()
    assert drawn.count(SHOWN) == 3 and not any(c in drawn for c in RAW)


@pytest.fixture
def hostile_runs(store: Store) -> Path:
    """A finished and a failed run whose names and error are payloads."""
    done = start_run(store, "index", NAME, {"note": "[@click=app.quit]"})
    finish_run(store, done.id, {"detail": "\u202eevil"})
    failed = start_run(store, "search", "[/]", {})
    fail_run(store, failed.id, "\x1b[2J")
    return store.path


def _xqg(*args: str, columns: int = 400) -> subprocess.CompletedProcess[str]:
    """Run xqg; 400 columns keep whole names on one line, to compare them."""
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [*xqg_command(), *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_runs_lists_hostile_names_literally(hostile_runs: Path) -> None:
    done = _xqg("runs", "--db", str(hostile_runs))
    assert done.returncode == 0, done.stderr  # a run named "[/x]" broke `xqg runs` for good
    assert SHOWN in done.stdout and "[/]" in done.stdout
    assert "detail=\\u202eevil" in done.stdout
    assert not any(c in done.stdout + done.stderr for c in RAW)


def test_errors_quote_hostile_values_literally(hostile_runs: Path, tmp_path: Path) -> None:
    done = _xqg("export-run", "--db", str(hostile_runs), NAME, str(tmp_path / "run.trec"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and SHOWN in done.stderr
    assert not any(c in done.stdout + done.stderr for c in RAW)


HOSTILE_RUNS = {
    "demo-search-baseline": "[/]base\x1b]0;pwned\x07",
    "demo-search-xqg-sum": "[link=file:///etc/passwd]sum[/link]\u202e",
    "demo-search-xqg-mean": "[/]mean[@click=app.quit]m\x9b31m",
}
SHOWN_RUNS = [
    "[/]base\\x1b]0;pwned\\x07",
    "[link=file:///etc/passwd]sum[/link]\\u202e",
    "[/]mean[@click=app.quit]m\\x9b31m",
]


def test_compare_prints_hostile_run_names_literally_in_tables_and_chart(
    demo_db: Path, tmp_path: Path
) -> None:
    """Evaluated runs named with markup and escapes: a terminal narrower than the table splits
    it per system (measured, not parsed: ``[/]`` crashed it), and the terminal chart and its
    legend quote the names with their controls visible."""
    db = copy_database(demo_db, tmp_path / "xqg.db")
    with open_store(db) as store:
        for old, new in HOSTILE_RUNS.items():
            store.execute("UPDATE runs SET name = ? WHERE name = ?", (new, old))
    markdown = tmp_path / "report.md"
    done = _xqg(
        "compare", *HOSTILE_RUNS.values(), "--db", str(db), "--measures", "MRR@10",
        "--chart", "--markdown", str(markdown), columns=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    flat = "".join(done.stdout.split())  # undo rich's wrapping of long names
    for name in SHOWN_RUNS:
        assert "".join(name.split()) in flat
    assert "significant" in done.stdout and "\\u202e" in done.stdout
    assert not any(c in done.stdout + done.stderr for c in RAW)
    assert "[link=file:///etc/passwd]sum[/link]\u202e" in markdown.read_text("utf-8")  # data
