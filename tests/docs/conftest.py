"""What the documentation's commands run against: reduced real data, a small demo database
made by ``xqg demo`` once per session, and the parse-only stand-ins of parse blocks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_database

XQUAD_LANGUAGES = ("en", "de")
XQUAD_PARAGRAPHS = 5  # the first article (Super Bowl 50)
XNLI_PROMPTS = 4
XNLI_LANGUAGES = ("en", "de", "th")
XOR_QUESTIONS = 20
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def doc_data(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reduced copy of the shared data folder, laid out as ``$XQG_SHARED_DATA`` is."""
    folder = tmp_path_factory.mktemp("doc-data")
    _reduce_xquad(shared_data / "xquad", folder / "xquad")
    _reduce_xnli(shared_data / "xnli" / "xnli.dev.tsv", folder / "xnli" / "xnli.dev.tsv")
    xor = "xor_dev_retrieve_eng_span_v1_1.jsonl"
    lines = (shared_data / "xor-tydi" / xor).read_text("utf-8").splitlines()[:XOR_QUESTIONS]
    (folder / "xor-tydi").mkdir()
    (folder / "xor-tydi" / xor).write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "nltk_data").symlink_to(shared_data / "nltk_data")
    (folder / "miracl").symlink_to(shared_data / "miracl")
    return folder


def _reduce_xquad(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for lang in XQUAD_LANGUAGES:
        document = json.loads((source / f"xquad.{lang}.json").read_text("utf-8"))
        first = document["data"][0]
        kept = {**first, "paragraphs": first["paragraphs"][:XQUAD_PARAGRAPHS]}
        (target / f"xquad.{lang}.json").write_text(
            json.dumps({**document, "data": [kept]}, ensure_ascii=False), "utf-8"
        )


def _reduce_xnli(source: Path, target: Path) -> None:
    rows = [line.split("\t") for line in source.read_text("utf-8").splitlines()]
    header, body = rows[0], rows[1:]
    prompts = sorted({r[5] for r in body if r[0] == "en"}, key=int)[:XNLI_PROMPTS]
    kept = [r for r in body if r[0] in XNLI_LANGUAGES and r[5] in prompts]
    target.parent.mkdir(parents=True)
    target.write_text("\n".join("\t".join(r) for r in [header, *kept]) + "\n", "utf-8")


def doc_env(data: Path, extra_path: Path | None = None) -> dict[str, str]:
    """The environment of a documented command: the reduced data, this checkout's code."""
    env = {k: v for k, v in os.environ.items() if k != "XQG_DB"}
    path = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if extra_path is not None:
        path = f"{extra_path}{os.pathsep}{path}"
    env.update(
        PATH=path,
        PYTHONPATH=str(ROOT),
        XQG_SHARED_DATA=str(data),
        NLTK_DATA=str(data / "nltk_data"),
        COLUMNS="160",
    )
    return env


@pytest.fixture(scope="session")
def doc_demo(doc_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``demo/xqg.db`` as ``xqg demo`` (docs/demo.md's command) leaves it on the reduced XQuAD."""
    folder = tmp_path_factory.mktemp("doc-demo")
    done = subprocess.run(
        ["xqg", "demo", "--xquad", str(doc_data / "xquad"), "--db", "demo/xqg.db"],
        cwd=folder,
        env=doc_env(doc_data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return folder / "demo" / "xqg.db"


def doc_folder(demo: Path, folder: Path) -> Path:
    """A folder for one documentation file: ``xqg.db`` and ``demo/`` copies of the demo."""
    (folder / "demo").mkdir(parents=True)
    copy_database(demo, folder / "demo" / "xqg.db")
    for report in demo.parent.glob("report.*"):
        shutil.copy(report, folder / "demo" / report.name)
    copy_database(demo, folder / "xqg.db")
    return folder


PARSE_XQG = """
import sys
from xqg_tui.cli import build_parser
build_parser().parse_args(sys.argv[1:])
"""
PARSE_SCRIPT = """
import os, subprocess, sys
root, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
path = os.path.join(root, script)
if not os.path.isfile(path):
    sys.exit(f"no such script: {script}")
flags = [a.split("=")[0] for a in args if a.startswith("--")]
if flags:
    shown = subprocess.run([sys.executable, path, "--help"], capture_output=True, text=True,
                           cwd=root).stdout
    missing = [f for f in flags if f not in shown]
    if missing:
        sys.exit(f"{script} --help does not list {missing}")
"""


@pytest.fixture(scope="session")
def parse_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-ins for parse blocks: each logs its call to ``$DOC_TEST_LOG`` and checks it.

    ``xqg`` parses its arguments with the real parser; ``make`` is ``make -n`` in the
    checkout (the target must exist); ``python SCRIPT`` checks the script and its flags;
    ``ray`` is logged as a command this test cannot check.
    """
    folder = tmp_path_factory.mktemp("parse-bin")
    log = 'printf "%s\\n" "$(basename "$0") $*" >> "$DOC_TEST_LOG"\n'
    shims = {
        "xqg": f'exec "{sys.executable}" -c \'{PARSE_XQG}\' "$@"',
        "make": f'exec "{shutil.which("make")}" -n -C "{ROOT}" "$@" > /dev/null',
        "python": f'exec "{sys.executable}" -c \'{PARSE_SCRIPT}\' "{ROOT}" "$@"',
        "ray": 'echo "not checked: ray $*"',
    }
    for name, body in shims.items():
        shim = folder / name
        shim.write_text(f"#!/usr/bin/env bash\n{log}{body}\n", "utf-8")
        shim.chmod(0o755)
    return folder
