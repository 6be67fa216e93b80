"""Terminal tables of an evaluation report: nothing is cut, however narrow the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from pipelines.evaluate import EvaluationReport
from xqg_tui.report import rich_tables

RUNS = ["exp-search-baseline", "exp-search-xqg-sum", "exp-search-xqg-mean"]
MRR = {"baseline": (0.7151, 0.8962), "xqg-sum": (0.7302, 0.8981), "xqg-mean": (0.7159, 0.8962)}


def _report() -> EvaluationReport:
    metrics = {}
    for run, (ar, de) in zip(RUNS, MRR.values(), strict=True):
        by_language = {"ar": ar, "de": de, "avg": (ar + de) / 2}
        metrics[run] = {language: {"MRR@10": value} for language, value in by_language.items()}
    counts = {run: {"MRR@10": {"ar": 950, "de": 950}} for run in RUNS}
    return EvaluationReport(
        runs=RUNS,
        measures=["MRR@10"],
        languages=["ar", "de"],
        metrics=metrics,
        queries={run: {"ar": 950, "de": 950} for run in RUNS},
        counts=counts,
    )


def _text(table: object, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _rows(text: str) -> dict[str, list[str]]:
    """The body rows of a printed table, by language, as their cells."""
    cells = [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]
    return {row[0]: row[1:] for row in cells}


def test_a_wide_terminal_gets_one_table_with_every_system() -> None:
    (table,) = rich_tables(_report(), width=200)
    rows = _rows(_text(table, 200))
    assert rows["ar"] == ["950", "0.715", "0.730", "+0.015", "-", "0.716", "+0.001", "-"]
    # avg: the macro average; Δ = (0.7302 + 0.8981) / 2 - (0.7151 + 0.8962) / 2 = 0.00849..
    assert rows["avg"] == ["1900", "0.806", "0.814", "+0.008", "-", "0.806", "+0.000", "-"]


def test_a_narrow_terminal_gets_one_table_per_system_and_no_cut_values() -> None:
    tables = rich_tables(_report(), width=60)
    assert [table.title for table in tables] == [
        "MRR@10 per language: xqg-sum",
        "MRR@10 per language: xqg-mean",
    ]
    text = _text(tables[0], 60)
    assert "…" not in text
    assert _rows(text)["ar"] == ["950", "0.715", "0.730", "+0.015", "-"]
    assert _rows(_text(tables[1], 60))["ar"] == ["950", "0.715", "0.716", "+0.001", "-"]
