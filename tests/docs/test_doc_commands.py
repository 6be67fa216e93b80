"""Every command shown in README.md and docs/*.md runs (or, where it cannot, parses).

How blocks are marked and what each mode checks: docs/README.md, "Every command here is
tested". Run blocks execute on reduced real data and a small demo database with the real
e5-small; parse blocks (an hour-long experiment, a GPU, a Ray cluster, a model download, an
interactive terminal) go through the real argument parser, ``make -n`` or the script's
``--help``, and the comment before each says why it is not run.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docs.conftest import doc_env, doc_folder
from tests.docs.markdown_blocks import Block, Command, read_blocks, read_commands

pytestmark = pytest.mark.slow

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGUAGES = ("bash", "sh", "shell", "zsh")
# Commands of parse blocks that nothing here can check (they need a cluster), by design.
UNCHECKED = ["ray start --head", "ray start --address HEAD_IP:6379"]
TIMEOUT = 300


def _blocks() -> list[Block]:
    return [block for path in DOCS for block in read_blocks(path)]


def test_every_shell_block_says_how_it_is_tested() -> None:
    problems = []
    for block in _blocks():
        if block.language in SHELL_LANGUAGES:
            problems.append(f"{block.where}: ```{block.language}: use ```console with $ lines")
        elif block.language == "console":
            if block.mode not in ("run", "parse"):
                problems.append(f"{block.where}: no <!-- doc-test: run|parse --> before it")
            elif block.mode == "parse" and not block.argument.startswith("("):
                problems.append(f"{block.where}: a parse block says (why) it is not run")
            elif not read_commands(block):
                problems.append(f"{block.where}: a console block without a $ command")
    assert problems == []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_run(
    path: Path, doc_data: Path, doc_demo: Path, parse_bin: Path, tmp_path: Path
) -> None:
    folder = doc_folder(doc_demo, tmp_path / "work")
    log = tmp_path / "parsed.log"
    failures: list[str] = []
    for block in read_blocks(path):
        if block.mode == "file":
            (folder / block.argument).write_text(block.text + "\n", "utf-8")
        elif block.language == "console" and block.mode in ("run", "parse"):
            for command in read_commands(block):
                failures += _check(block, command, folder, doc_data, parse_bin, log)
    assert failures == []
    unchecked = [line for line in _logged(log) if line.startswith("ray ")]
    assert unchecked == [c for c in UNCHECKED if path.name == "generation.md"]


def _check(
    block: Block, command: Command, folder: Path, data: Path, parse_bin: Path, log: Path
) -> list[str]:
    """Run one command as its block says; what went wrong, if anything."""
    parse = block.mode == "parse"
    env = doc_env(data, parse_bin if parse else None)
    env["DOC_TEST_LOG"] = str(log)
    before = len(_logged(log))
    text = command.text.replace(".venv/bin/", "")
    done = subprocess.run(
        ["bash", "-c", text],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    where = f"{block.path.name}:{command.line}: {command.text.splitlines()[0]}"
    if done.returncode != 0:
        return [f"{where}: exit {done.returncode}\n{done.stdout[-1500:]}{done.stderr[-1500:]}"]
    if parse and len(_logged(log)) == before:
        return [f"{where}: a parse block's command calls nothing the test can check"]
    printed = " ".join((done.stdout + done.stderr).split())
    missing = [line for line in command.output if " ".join(line.split()) not in printed]
    return (
        [f"{where}: did not print {missing}; it printed:\n{done.stdout[-1500:]}"] if missing else []
    )


def _logged(log: Path) -> list[str]:
    return log.read_text("utf-8").splitlines() if log.exists() else []


SQL_BLOCKS = [block for block in _blocks() if block.language == "sql"]


@pytest.mark.parametrize("block", SQL_BLOCKS, ids=lambda b: b.where)
def test_documented_sql_answers_on_the_demo_database(block: Block, doc_demo: Path) -> None:
    connection = sqlite3.connect(f"file:{doc_demo}?mode=ro", uri=True)
    try:
        rows = connection.execute(block.text).fetchall()
    finally:
        connection.close()
    assert rows, f"{block.where}: no rows on the demo database"


def test_the_convention_reads_commands_output_and_continuations(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- doc-test: parse (why) -->\n```console\n$ xqg runs \\\n    --stale\nrunning\n...\n"
        "$ make demo\n```\n",
        "utf-8",
    )
    [block] = read_blocks(page)
    commands = read_commands(block)
    assert (block.mode, block.argument, block.line) == ("parse", "(why)", 2)
    assert [(c.text, c.line, c.output) for c in commands] == [
        ("xqg runs \\\n    --stale", 3, ["running"]),
        ("make demo", 7, []),
    ]


@pytest.mark.parametrize(
    ("shown", "refused"),
    [
        ("xqg runs --no-such-flag", "unrecognized arguments: --no-such-flag"),
        ("make no-such-target", "No rule to make target"),
        ("python benchmarks/bench_tui.py --no-such-flag", "does not list ['--no-such-flag']"),
        ("cd .", "calls nothing the test can check"),
    ],
)
def test_parse_mode_refuses_what_would_not_run(
    shown: str, refused: str, doc_data: Path, parse_bin: Path, tmp_path: Path
) -> None:
    block = Block(tmp_path / "page.md", 1, "console", "parse", "(why)", f"$ {shown}")
    [failure] = _check(
        block, read_commands(block)[0], tmp_path, doc_data, parse_bin, tmp_path / "log"
    )
    assert refused in failure
