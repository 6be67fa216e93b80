"""xqg robustness: perturb and evaluate from the command line, with report files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.robustness.evaluate import build_robustness_report
from store import open_store
from store.runs import get_run
from tests.conftest import Dump, copy_database
from xqg_tui.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def robustness_copy(robustness_db: Path, tmp_path: Path) -> Path:
    """A private copy of the robustness database: these tests add runs and variants."""
    return copy_database(robustness_db, tmp_path / "xqg.db")


def perturb(db: Path, attack: str, strength: str, *options: str) -> int:
    """``xqg robustness perturb`` on the XNLI collection; returns the exit code."""
    argv = ["robustness", "perturb", "--collection", "xnli", "--attack", attack]
    return main([*argv, "--strength", strength, *options, "--db", str(db)])


def test_perturb_then_evaluate_writes_reports(
    robustness_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(robustness_copy)]
    split = ["--split", "premise", "--langs", "de,th", "--name", "shuffle"]
    assert perturb(robustness_copy, "shuffle", "0.5", *split) == 0
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
    assert "MRR@10 under shuffle (shuffle @ 0.5, seed 1)" in shown
    assert "base: clean MRR@10" in shown and "clean queries (premise): MRR@10" in shown
    assert re.search(r"│ all +│ +48 │", shown)  # both languages pooled: 2 x 24 premises
    report = json.loads(paths["json"].read_text())
    assert report["systems"] == ["base", "xqg"] and report["languages"] == ["de", "th"]
    assert {s["attack"] for s in report["scores"]} == {"shuffle"}
    assert {s["language"] for s in report["scores"]} == {"de", "th", "all"}
    assert report["attack_settings"] == {
        "shuffle": {"attack": "shuffle", "strength": 0.5, "seed": 1, "target": None}
    }
    assert report["seconds"] >= 0 and report["split"] == "premise"
    assert set(report["clean"]["metrics"]) == {"base", "xqg"}  # the systems, not their searches
    assert "### shuffle (shuffle @ 0.5, seed 1)" in paths["md"].read_text()
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hypotheses_as_queries_need_no_attack(
    robustness_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hypotheses-as-queries variant: neutral hypotheses find their premise, or their
    own English translation (Confusion@neutral), clean, baseline against xQG."""
    argv = ["robustness", "evaluate", "--systems", "base,xqg", "--split", "hypothesis-neutral"]
    assert main([*argv, "--langs", "de", "--depth", "20", "--db", str(robustness_copy)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "clean queries (hypothesis-neutral): MRR@10 per language" in shown
    assert "under" not in shown  # no attack, no drop tables
    with open_store(robustness_copy) as store:
        run = get_run(store, "robustness-hypothesis-neutral")
        report = build_robustness_report(store, run)
    assert report.attacks == [] and report.languages == ["de"]
    assert report.clean is not None and "Confusion@neutral" in report.clean.measures
    base = report.clean.metrics["base"]["de"]
    assert base["Confusion@neutral"] > 0.5 > base["Recall@1"]  # the translation wins


def test_unknown_attack_and_strength_are_bad_input(
    robustness_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert perturb(robustness_copy, "typo", "0.1") == 2
    assert "unknown attack 'typo'" in capsys.readouterr().err
    assert perturb(robustness_copy, "shuffle", "1.5") == 2
    assert "strength must lie in [0, 1], got 1.5" in capsys.readouterr().err


def test_an_unknown_measure_stops_before_any_search(
    robustness_copy: Path, capsys: pytest.CaptureFixture[str], dump_db: Dump
) -> None:
    before = dump_db(robustness_copy)
    argv = ["robustness", "evaluate", "--systems", "base", "--measures", "Confusion@neutral,MRR"]
    assert main([*argv, "--name", "never", "--db", str(robustness_copy)]) == 2
    assert "unknown measure 'MRR'" in capsys.readouterr().err
    assert dump_db(robustness_copy) == before


def attack(db: Path, *options: str) -> int:
    """``xqg robustness attack`` against ``base``; returns the exit code."""
    return main(["robustness", "attack", "--system", "base", *options, "--db", str(db)])


def test_a_character_attack_then_its_success_rates(
    robustness_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One German premise, one character edit out of 8 sampled candidates a round: the
    attack reports what it spent, and the evaluation its success rates."""
    options = ["--moves", "char", "--budget", "1", "--candidates", "8", "--goal", "1"]
    assert (
        attack(robustness_copy, *options, "--langs", "de", "--premises", "1", "--name", "typo") == 0
    )
    said = " ".join(capsys.readouterr().out.split())
    assert "1 adversarial queries against base" in said
    assert "2 encoder calls, 9 texts encoded" in said  # the clean query, then 8 candidates
    with open_store(robustness_copy) as store:
        run = get_run(store, "typo")
    assert run.summary["splits"] == [f"premise{run.params['tag']}"]
    out = tmp_path / "rob.json"
    argv = ["robustness", "evaluate", "--systems", "base,xqg", "--attacks", "typo"]
    argv += ["--langs", "de", "--depth", "20", "--json", str(out), "--db", str(robustness_copy)]
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert "attack success Success@1, all languages" in shown
    assert "typo (char, budget 1, against base, seed 1)" in " ".join(shown.split())
    report = json.loads(out.read_text())
    assert report["attack_settings"]["typo"]["target"] == "base"
    cells = {(s["system"], s["measure"], s["language"]): s for s in report["success"]}
    base = cells[("base", "Success@1", "all")]
    assert base["n"] == 1 and base["mode"] == "adaptive"
    assert cells[("xqg", "Success@1", "all")]["mode"] == "transfer from base"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--moves", "char", "--budget", "0"], "--budget must be at least 1, got 0"),
        (["--moves", "code-mix", "--window", "-1"], "--window must be 0 or more, got -1"),
        (["--moves", "char", "--langs", "de", "--split", "nothing"], "no queries to attack"),
    ],
)
def test_bad_attack_settings_are_bad_input_and_write_nothing(
    robustness_copy: Path,
    capsys: pytest.CaptureFixture[str],
    dump_db: Dump,
    options: list[str],
    message: str,
) -> None:
    before = dump_db(robustness_copy)
    assert attack(robustness_copy, *options) == 2
    assert message in capsys.readouterr().err
    assert dump_db(robustness_copy) == before


def test_overview_has_a_row_per_system_with_transfer_and_adaptive_cells(
    attacked_db: Path,
) -> None:
    from xqg_tui.robustness_report import markdown, overview_headers, overview_rows

    with open_store(attacked_db) as store:
        report = build_robustness_report(store, get_run(store, "rob-adv"))
    [adaptive] = [a for a in report.attacks if a.startswith("adaptive ")]
    # mix-xqg is crafted against xqg, not the baseline: only the adaptive cell holds it.
    assert overview_headers(report, "MRR@10") == [
        "system",
        "clean MRR@10",
        "mix-base (transfer)",
        "Success@1",
        f"{adaptive} (adaptive)",
        "Success@1",
    ]
    rows = overview_rows(report, "MRR@10")
    assert [row[0] for row in rows] == ["base", "xqg"]
    for system, row in zip(report.systems, rows, strict=True):
        for attack, cell, rate in ((("mix-base", *row[2:4])), (adaptive, *row[4:6])):
            score = report.score(system, attack, "all", "MRR@10")
            success = report.success_rate(system, attack, "all", "Success@1")
            assert score is not None and success is not None
            assert cell == f"{score.attacked:.3f} ({score.drop:+.3f})"
            assert rate == f"{success.rate:.2f} [{success.ci_low:.2f}, {success.ci_high:.2f}]"
        clean = report.score(system, "mix-base", "all", "MRR@10")
        assert clean is not None and row[1] == f"{clean.clean:.3f}"
    # The adaptive cell of the baseline is the attack crafted against it.
    assert rows[0][2:4] == rows[0][4:6]
    assert "## Overview" in markdown(report)
