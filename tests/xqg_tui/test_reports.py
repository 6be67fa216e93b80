"""xqg compare, import-run, export-run and sweep from the command line, and the report
files they write: every file is parsed back and checked against the database."""

from __future__ import annotations

import csv
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from store import open_store
from tests.conftest import Dump
from xqg_tui.cli import main
from xqg_tui.report import CSV_COLUMNS

pytestmark = pytest.mark.slow

RUNS = ["demo-search-baseline", "demo-search-xqg-sum", "demo-search-xqg-mean"]
MEAN_PER_LANGUAGE = """
SELECT q.language, avg(m.value) AS value FROM query_metrics m
JOIN runs r ON r.id = m.run_id JOIN queries q ON q.id = m.query_id
WHERE r.name = ? AND m.measure = ? GROUP BY q.language
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    """Standard error without rich's line wrapping."""
    return " ".join(capsys.readouterr().err.split())


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_help_lists_the_report_commands_without_heavy_imports() -> None:
    code = (
        "import sys; from xqg_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('heavy:', [m for m in ('numpy', 'scipy', 'matplotlib', 'plotext', 'statsmodels')"
        " if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "heavy: []" in done.stdout
    for command in ("compare", "sweep", "import-run", "export-run"):
        assert f"    {command}" in done.stdout


def test_compare_prints_marked_tables_and_writes_every_report(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {kind: tmp_path / f"report.{kind}" for kind in ("json", "md", "tex", "csv", "png")}
    argv = ["compare", *RUNS, "--db", str(demo_db), "--measures", "MRR@10,R@2kt", "--chart"]
    argv += ["--correction", "bh", "--details", "--json", str(files["json"])]
    argv += ["--markdown", str(files["md"]), "--latex", str(files["tex"])]
    argv += ["--csv", str(files["csv"]), "--png", str(files["png"])]
    with open_store(demo_db) as store:
        evaluations = store.scalar("SELECT count(*) FROM runs WHERE kind = 'evaluate'")
    assert main(argv) == 0
    shown = " ".join(ANSI.sub("", capsys.readouterr().out).split())  # undo rich's wrapping
    assert "MRR@10 per language" in shown and "R@2kt per language" in shown
    assert "Benjamini-Hochberg across languages and systems (2 x 3 tests per measure)" in shown
    assert "MRR@10: statistics of each difference" in shown
    assert "significant (paired t-test (two-sided)" in shown  # under the terminal chart
    with open_store(demo_db) as store:
        # Every value was stored by the demo's evaluation: compare computed none anew.
        assert store.scalar("SELECT count(*) FROM runs WHERE kind = 'evaluate'") == evaluations
        truth = {
            (run, measure): {
                r["language"]: r["value"] for r in store.rows(MEAN_PER_LANGUAGE, (run, measure))
            }
            for run in RUNS
            for measure in ("MRR@10", "R@2kt")
        }

    document = json.loads(files["json"].read_text("utf-8"))
    assert document["runs"] == RUNS
    assert document["tests"]["correction"].startswith("Benjamini-Hochberg")
    for (run, measure), by_language in truth.items():
        for language, value in by_language.items():
            assert document["metrics"][run][language][measure] == pytest.approx(value, rel=1e-12)
    cell = document["tests"]["comparisons"]["demo-search-xqg-sum"]["de"]["MRR@10"]
    assert cell["ci_low"] <= cell["delta"] <= cell["ci_high"]
    assert cell["wins"] + cell["ties"] + cell["losses"] == cell["n"]

    with files["csv"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CSV_COLUMNS)
    # 2 measures x (3 languages + avg + all) x 3 runs.
    assert len(rows) == 2 * 5 * 3
    for row in rows:
        if row["language"] in ("de", "en", "es"):
            expected = truth[(row["run"], row["measure"])][row["language"]]
            assert float(row["value"]) == pytest.approx(expected, rel=1e-12)
    system = [r for r in rows if r["role"] == "system" and r["language"] == "es"]
    assert all(r["correction"] == "bh" and r["test"] == "t" for r in system)
    assert all(float(r["p_adjusted"]) >= float(r["p_value"]) for r in system)

    latex = files["tex"].read_text("utf-8")
    assert latex.count(r"\begin{tabular}{lrrrr}") == 2  # de, en, es, avg
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in latex
    assert latex.count(r"\toprule") == latex.count(r"\bottomrule") == 2
    assert "Run & De & En & Es & Avg" in latex
    assert "baseline & " in latex and "xqg-sum & " in latex
    assert r"p \textless{} 0.05" in latex and "<" not in latex  # pdflatex prints < as ¡

    markdown = files["md"].read_text("utf-8")
    assert "| lang | n | baseline | xqg-sum | Δ | W/T/L | xqg-mean | Δ | W/T/L |" in markdown
    assert _png_size(files["png"]) == (1000, 500)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files.values())


def test_compare_bad_input_exits_2_before_any_work(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_db: Dump
) -> None:
    before = dump_db(demo_db)
    db = ["--db", str(demo_db)]
    assert main(["compare", *RUNS[:2], *db, "--png", str(tmp_path / "no" / "x.png")]) == 2
    assert "--png: the folder" in _err(capsys)
    assert main(["compare", *RUNS[:2], *db, "--show", "MAP@10"]) == 2
    assert "--show MAP@10: not in this report" in _err(capsys)
    assert main(["compare", RUNS[0], *db]) == 2
    assert "at least one other" in _err(capsys)
    assert dump_db(demo_db) == before


def test_export_then_import_from_the_command_line(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_db: Dump
) -> None:
    db = ["--db", str(demo_db)]
    trec = tmp_path / "baseline.trec"
    assert main(["export-run", "demo-search-baseline", str(trec), *db]) == 0
    lines = trec.read_text("utf-8").splitlines()
    assert f"wrote {len(lines)} lines" in capsys.readouterr().out
    # Tevatron layout of the same ranking, with one unknown qid and one unknown docid.
    tevatron = tmp_path / "baseline.tsv"
    rows = [line.split() for line in lines]
    text = "".join(f"{q}\t{d}\t{s}\n" for q, _, d, _, s, _ in rows)
    tevatron.write_text(text + "nope\tSuper_Bowl_50#0\t1.0\nx\tmissing-doc\t0.5\n", "utf-8")
    assert main(["import-run", str(tevatron), "--name", "t-cli-import", *db]) == 0
    said = capsys.readouterr()
    out, err = " ".join(said.out.split()), " ".join(said.err.split())
    assert f"imported {len(rows)} of {len(rows) + 2} lines" in out
    assert "unknown: 2 qids (2 lines), 1 docids (1 lines)" in out
    assert "WARNING: 2 lines name 2 qids" in err
    with open_store(demo_db) as store:
        same = store.scalar(
            "SELECT count(*) FROM results a JOIN results b ON a.query_id = b.query_id "
            "AND a.rank = b.rank AND a.passage_id = b.passage_id "
            "WHERE a.run_id = (SELECT id FROM runs WHERE name = 'demo-search-baseline') "
            "AND b.run_id = (SELECT id FROM runs WHERE name = 't-cli-import')"
        )
    assert same == len(rows)
    # A bad line: file and line named, exit 2, nothing written.
    broken = tmp_path / "broken.trec"
    broken.write_text("\n".join([*lines[:3], "q1 Q0 doc", *lines[3:5]]) + "\n", "utf-8")
    before = dump_db(demo_db)
    assert main(["import-run", str(broken), "--name", "t-cli-broken", *db]) == 2
    assert f"{broken}:4: found 3 fields; expected 6" in "".join(capsys.readouterr().err.split("\n"))
    assert dump_db(demo_db) == before


def test_sweep_from_the_command_line_writes_the_curve(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png, table = tmp_path / "sweep.png", tmp_path / "sweep.csv"
    argv = ["sweep", "--db", str(demo_db), "--index", "demo-baseline"]
    argv += ["--generations", "demo-heldout", "--alpha", "0,0.02", "--depth", "50"]
    argv += ["--measures", "MRR@10", "--kt", "2000", "--name", "t-cli-sweep"]
    argv += ["--png", str(png), "--csv", str(table)]
    assert main(argv) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "MRR@10 over the sweep (demo-baseline + demo-heldout)" in shown
    assert _png_size(png) == (1000, 500)
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # 2 measures x 2 points x (3 languages + avg).
    assert len(rows) == 2 * 2 * 4
    zero = [r for r in rows if r["alpha"] == "0.0"]
    assert all(r["delta"] == "0.0" and r["significant"] == "False" for r in zero)
    assert {r["run"] for r in rows} == {"t-cli-sweep-baseline", "t-cli-sweep-search-sum-a0.02"}
    assert main([*argv[:5], "--generations", "demo-heldout", "--alpha", "0"]) == 2
    assert "every alpha is 0" in _err(capsys)
    assert main([*argv[:5], "--generations", "demo-heldout", "--per-lang", "3..1"]) == 2
    assert "the range is empty" in _err(capsys)
