"""Evaluation reports for people: a rich table per measure, and Markdown."""

from __future__ import annotations

from rich.table import Table

from pipelines.evaluate import CORRECTION, TEST, EvaluationReport, kt_tokens


def value_text(measure: str, value: float | None) -> str:
    """R@kt as a percentage (as the paper prints it), other measures with 3 decimals."""
    if value is None:
        return "-"
    return f"{100 * value:.2f}" if kt_tokens(measure) else f"{value:.3f}"


def delta_text(measure: str, delta: float) -> str:
    """A signed difference in the measure's own units."""
    return f"{100 * delta:+.2f}" if kt_tokens(measure) else f"{delta:+.3f}"


def _cells(report: EvaluationReport, measure: str, language: str) -> list[str]:
    cells = [value_text(measure, report.metrics[report.baseline].get(language, {}).get(measure))]
    for run in report.runs[1:]:
        value = report.metrics[run].get(language, {}).get(measure)
        cells.append(value_text(measure, value))
        base = report.metrics[report.baseline].get(language, {}).get(measure)
        test = report.comparison(run, measure, "all" if language == "avg" else language)
        if value is None or base is None:
            cells.append("-")
            continue
        mark = "*" if test is not None and test.significant else ""
        cells.append(delta_text(measure, value - base) + mark)
    return cells


def labels(runs: list[str]) -> list[str]:
    """Run names without their common dash-separated prefix (``demo-search-``), for columns."""
    if len(runs) < 2:
        return list(runs)
    parts = [run.split("-") for run in runs]
    shared = 0
    while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return ["-".join(p[shared:]) for p in parts]


def _headers(report: EvaluationReport) -> list[str]:
    names = labels(report.runs)
    headers = ["lang", "n", names[0]]
    for name in names[1:]:
        headers += [name, "Δ"]
    return headers


def _rows(report: EvaluationReport, measure: str) -> list[list[str]]:
    rows = []
    for language in [*report.languages, "avg"]:
        n = report.queries[report.baseline].get(language)
        count = (
            str(sum(report.queries[report.baseline].values()))
            if language == "avg"
            else (str(n) if n is not None else "-")
        )
        rows.append([language, count, *_cells(report, measure, language)])
    return rows


def footnote() -> str:
    """What the star means."""
    return f"* p < 0.05, {TEST}, {CORRECTION} (avg: all queries pooled, uncorrected)"


def rich_tables(report: EvaluationReport, measures: list[str] | None = None) -> list[Table]:
    """One table per measure: languages as rows, runs (with deltas) as columns."""
    tables = []
    for measure in measures or report.measures:
        table = Table(title=f"{measure} per language", caption=footnote())
        for position, header in enumerate(_headers(report)):
            table.add_column(header, justify="left" if position == 0 else "right")
        for row in _rows(report, measure):
            table.add_row(*row, end_section=row[0] == report.languages[-1])
        tables.append(table)
    return tables


def markdown(report: EvaluationReport) -> str:
    """Every measure as a Markdown table."""
    lines = [
        f"# Evaluation: {', '.join(report.runs)}",
        "",
        f"Baseline: `{report.baseline}`. {footnote()}.",
        "",
        *[f"> WARNING: {warning}\n" for warning in report.warnings],
    ]
    for measure in report.measures:
        headers = _headers(report)
        lines += [
            f"## {measure}",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(report, measure)]
        lines.append("")
    return "\n".join(lines)
