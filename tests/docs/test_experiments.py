"""The experiment scripts of docs/experiments run end to end on a tiny real subset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.docs.conftest import doc_env

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "docs" / "experiments" / "xnli-training-arm.sh"
SYSTEMS = ["zs", "zs-xqg", "orig", "orig-xqg", "gen", "gen-xqg"]
# Two promptIDs a half, one attacked (code-mixing only), in two languages; two training
# steps of two pairs; one torch thread (steadier on a shared CPU).
TINY = {
    "LANGS": "de,th",
    "MOVES": "code-mix",
    "OMP_NUM_THREADS": "1",
    "PROMPTS": "2",
    "ATTACKED": "1",
    "STEPS": "2",
    "EPOCHS": "1",
    "BATCH": "2",
    "CANDIDATES": "4",
    "XQG": str(Path(sys.executable).parent / "xqg"),
}


def _run(data: Path, out: Path) -> str:
    env = {**doc_env(data), **TINY, "OUT": str(out)}
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _overview(markdown: str) -> list[list[str]]:
    """The cells of the report's overview table (header first)."""
    section = markdown.split("## Overview", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_training_arm_fills_every_cell_and_reuses_its_steps(
    xnli_slice: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "xnli").mkdir(parents=True)
    (data / "xnli" / "xnli.dev.tsv").symlink_to(xnli_slice)
    out = tmp_path / "study"
    _run(data, out)
    report = json.loads((out / "training-arm.json").read_text("utf-8"))
    assert report["systems"] == SYSTEMS
    assert report["languages"] == ["de", "th"]
    header, *rows = _overview((out / "training-arm.md").read_text("utf-8"))
    assert [row[0] for row in rows] == SYSTEMS
    # clean, then random char-noise, code-mixing crafted against zs (transfer) and the
    # adaptive code-mixing: the attacked MRR@10 and Success@1 of each.
    [adaptive] = [a for a in report["attack_settings"] if a.startswith("adaptive ")]
    assert header == [
        "system",
        "clean MRR@10",
        "char-noise (random)",
        "Success@1",
        "code-mix-zs (transfer)",
        "Success@1",
        f"{adaptive} (adaptive)",
        "Success@1",
    ]
    assert all(cell not in ("", "-") for row in rows for cell in row)
    pooled = {
        (s["system"], s["attack"], s["measure"])
        for s in report["success"]
        if s["language"] == "all"
    }
    for system in SYSTEMS:
        for attack in ["char-noise", "code-mix-zs", adaptive]:
            assert (system, attack, "Success@1") in pooled
    assert (out / "training-arm.png").stat().st_size > 0
    # Trained on the train half only: 2 premises x 2 languages, plus their 4 stand-ins.
    runs = _runs(out / "xnli.db")
    assert runs["ft-orig"]["data"]["pairs_by_source"] == {"query": 4}
    assert runs["ft-gen"]["data"]["pairs_by_source"] == {"generation": 4, "query": 4}
    # A second run reuses every finished step: no new run, nothing trained again.
    again = _run(data, out)
    assert _runs(out / "xnli.db").keys() == runs.keys()
    assert "training (optimizer steps)" not in again


def _runs(db: Path) -> dict[str, dict[str, Any]]:
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT name, summary FROM runs").fetchall()
    finally:
        connection.close()
    return {name: json.loads(summary) for name, summary in rows}
