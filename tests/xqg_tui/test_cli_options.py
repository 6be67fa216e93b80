"""Habits users bring to the command line: --version, documented defaults, whole run names,
JSON output, plain progress lines in a pipe, no folders made by a typo in --db."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Dump
from xqg_tui.cli import build_parser, main, meaningful_default


def _options(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser, argparse.Action]]:
    """Every argument of every (sub)command, with the command's words and parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, sub in action.choices.items():
                yield from _options(sub, (*path, word))
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield " ".join(path) or "xqg", parser, action


OPTIONS = list(_options(build_parser()))


def test_the_walk_reaches_every_command() -> None:
    commands = {command for command, _, _ in OPTIONS}
    assert {"index", "generate model", "robustness evaluate", "train encoder", "runs"} <= commands
    assert len(OPTIONS) > 150


@pytest.mark.parametrize(
    ("command", "parser", "action"),
    OPTIONS,
    ids=[f"{c}:{a.option_strings[0] if a.option_strings else a.dest}" for c, _, a in OPTIONS],
)
def test_every_option_has_help_that_states_its_default(
    command: str, parser: argparse.ArgumentParser, action: argparse.Action
) -> None:
    text = parser._get_formatter()._expand_help(action) if action.help else ""
    assert text.strip(), f"xqg {command} {action.option_strings or action.dest}: no help"
    if meaningful_default(action):
        assert str(action.default) in text, f"default {action.default!r} not in {text!r}"


def _help(*words: str) -> str:
    """The help page of ``xqg words...`` on one line."""
    done = subprocess.run(
        [sys.executable, "-m", "xqg_tui.cli", *words, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    return " ".join(done.stdout.split())


def test_defaults_are_added_where_the_help_does_not_state_them_in_words() -> None:
    page = _help("evaluate")
    # The default of --kt depends on the collection: said in words, so not added.
    assert (
        "--kt KT R@kt token budgets (default 100,500,2000,5000 when the collection has "
        "answer strings, else none; '' for none)"
    ) in page
    assert "--measures MEASURES ir-measures names, comma-separated (see docs/evaluation.md)" in page
    assert "(default: MRR@10,nDCG@10,Recall@1,Recall@10,Recall@100)" in page
    # Written in words already: not stated twice.
    assert "paired test that decides the marks (default: t, the paper's) --correction" in page
    assert "--db DB database file (default: $XQG_DB or ./xqg.db) --name" in page
    assert "--depth DEPTH passages ranked per query (default: 100)" in _help("search")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"xqg {version('xqg')}\n"


def _xqg(*words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``xqg words...`` in a child process, standard output and error piped (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "xqg_tui.cli", *words],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


# Longer than the column rich gave it in 100 columns; other commands need it whole.
LONG_NAME = "heldout-stand-ins-de-es-from-xquad-dev-seed13"


@pytest.fixture(scope="module")
def stand_ins(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the small XQuAD and a heldout generation run whose name is long."""
    db = tmp_path_factory.mktemp("runs") / "xqg.db"
    assert main(["ingest", "xquad", str(small_xquad), "--db", str(db)]) == 0
    heldout = ["generate", "heldout", "--collection", "xquad", "--name", LONG_NAME]
    assert main([*heldout, "--db", str(db)]) == 0
    return db


def test_runs_show_whole_names_and_collections_in_a_small_terminal(stand_ins: Path) -> None:
    done = _xqg("runs", "--db", str(stand_ins), env={"COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    assert LONG_NAME in done.stdout
    row = next(line for line in done.stdout.splitlines() if "heldout-stand-ins" in line)
    assert "xquad" in row.split("heldout-stand-ins")[1] and "done" in row


def test_runs_as_json(stand_ins: Path) -> None:
    done = _xqg("runs", "--db", str(stand_ins), "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [(r["id"], r["kind"], r["collection"], r["status"]) for r in listed] == [
        (1, "ingest", "xquad", "done"),
        (2, "generate", "xquad", "done"),
    ]
    assert listed[1]["name"] == LONG_NAME
    # 40 paragraphs; one German and one Spanish question of each stands in.
    assert listed[1]["summary"]["generations"] == 80
    none = _xqg("runs", "--db", str(stand_ins), "--json", "--kind", "index")
    assert json.loads(none.stdout) == []


def test_progress_in_a_pipe_is_whole_plain_lines(small_xquad: Path, tmp_path: Path) -> None:
    db = tmp_path / "xqg.db"
    assert main(["ingest", "xquad", str(small_xquad), "--db", str(db)]) == 0
    done = _xqg("generate", "heldout", "--collection", "xquad", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "━" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines, "no progress at all"
    assert all(len(line) < 300 for line in lines)
    assert lines[0] == "writing stand-in generations: 0/80"
    assert lines[-1].startswith("writing stand-in generations: done, 80/80 (100%), ")
    assert lines[-1].endswith(" s")


def test_db_in_a_missing_folder_is_refused_and_no_folder_is_made(
    small_xquad: Path, tmp_path: Path
) -> None:
    db = tmp_path / "no" / "such" / "dir" / "x.db"
    for words in (("ingest", "xquad", str(small_xquad)), ("runs",)):
        done = _xqg(*words, "--db", str(db))
        assert done.returncode == 2
        assert f"the folder {db.parent} does not exist" in done.stderr
    assert not (tmp_path / "no").exists()


def test_demo_makes_the_folder_of_its_database(tmp_path: Path) -> None:
    from xqg_tui.commands import context

    args = argparse.Namespace(db=str(tmp_path / "demo" / "xqg.db"))
    with context.open_store(args, create=True, make_folder=True):
        pass
    assert (tmp_path / "demo" / "xqg.db").is_file()


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("index", "--encoder", "hf:/no/such/folder"), "hf:/no/such/folder: no such folder"),
        (("generate", "model", "--model", "hf:/no/such/folder"), "/no/such/folder: no such folder"),
        (("index", "--encoder", "hf:org/encoder"), "is unreachable (offline?)"),
        (("generate", "model", "--model", "org/generator"), "is unreachable (offline?)"),
    ],
)
def test_bad_or_unreachable_models_exit_2_before_any_run(
    stand_ins: Path, words: tuple[str, ...], message: str, dump_db: Dump
) -> None:
    before = dump_db(stand_ins)
    done = _xqg(
        *words,
        "--collection",
        "xquad",
        "--db",
        str(stand_ins),
        env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "", "HF_HOME": "/nonexistent"},
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert dump_db(stand_ins) == before


def test_on_a_terminal_the_counting_bar_shows_both_counts_rates_and_times() -> None:
    from io import StringIO

    from xqg_tui.console import LiteralConsole, TerminalProgress

    screen = StringIO()
    terminal = LiteralConsole(file=screen, force_terminal=True, color_system=None, width=120)
    with TerminalProgress(terminal).counting_task("passages", 40, "queries") as advance:
        for _ in range(4):
            advance(10, 90)
    bar = " ".join(screen.getvalue().split())
    pattern = r"passages ━+ 40/40 [\d,.]+/s 360 queries [\d,.]+/s \d+:\d\d:\d\d eta \d+:\d\d:\d\d"
    assert re.search(pattern, bar)
