"""xqg robustness: perturb and evaluate from the command line, with report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xqg_tui.cli import main

pytestmark = pytest.mark.slow


def test_perturb_then_evaluate_writes_reports(
    robustness_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(robustness_db)]
    assert (
        main(
            [
                "robustness",
                "perturb",
                "--collection",
                "xnli",
                "--attack",
                "shuffle",
                "--strength",
                "0.5",
                "--split",
                "premise",
                "--langs",
                "de,th",
                "--name",
                "shuffle",
                *db,
            ]
        )
        == 0
    )
    assert "48 variants" in capsys.readouterr().out  # 24 premises x 2 languages
    paths = {kind: tmp_path / f"rob.{kind}" for kind in ("json", "md", "png")}
    assert (
        main(
            [
                "robustness",
                "evaluate",
                "--systems",
                "base,xqg",
                "--attacks",
                "shuffle",
                "--langs",
                "de,th",
                "--depth",
                "20",
                "--name",
                "rob-cli",
                "--json",
                str(paths["json"]),
                "--markdown",
                str(paths["md"]),
                "--png",
                str(paths["png"]),
                *db,
            ]
        )
        == 0
    )
    shown = capsys.readouterr().out
    assert "MRR@10 under shuffle" in shown and "base: clean MRR@10" in shown
    report = json.loads(paths["json"].read_text())
    assert report["systems"] == ["base", "xqg"] and report["languages"] == ["de", "th"]
    assert {s["attack"] for s in report["scores"]} == {"shuffle"}
    assert "### shuffle" in paths["md"].read_text()
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_attack_and_strength_are_bad_input(
    robustness_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(robustness_db)]
    assert (
        main(
            [
                "robustness",
                "perturb",
                "--collection",
                "xnli",
                "--attack",
                "typo",
                "--strength",
                "0.1",
                *db,
            ]
        )
        == 2
    )
    assert "unknown attack 'typo'" in capsys.readouterr().err
    assert (
        main(
            [
                "robustness",
                "perturb",
                "--collection",
                "xnli",
                "--attack",
                "shuffle",
                "--strength",
                "1.5",
                *db,
            ]
        )
        == 2
    )
    assert "strength must lie in [0, 1], got 1.5" in capsys.readouterr().err
