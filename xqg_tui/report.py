"""Evaluation reports for people: terminal tables (rich), Markdown, LaTeX and CSV.

The main table of a measure has languages as rows and, per system, its value, the
difference from the baseline (marked when significant after correction) and the per-query
wins/ties/losses. The details table gives every statistic of every cell. LaTeX follows the
paper's layout instead (runs as rows, languages as columns, booktabs rules).
"""

from __future__ import annotations

import csv
import io

from rich.table import Table

from pipelines.evaluate import EvaluationReport
from pipelines.metrics.measures import measure as lookup
from pipelines.metrics.paired import Comparison

MARK = "*"
# Statistics of a difference, named as in :class:`Comparison`.
STAT_COLUMNS = (
    "ci_low",
    "ci_high",
    "effect_size",
    "p_t",
    "p_wilcoxon",
    "p_permutation",
    "test",
    "p_value",
    "correction",
    "p_adjusted",
    "significant",
    "wins",
    "ties",
    "losses",
)
CSV_COLUMNS = (
    "measure",
    "language",
    "run",
    "role",
    "n",
    "value",
    "baseline",
    "delta",
    *STAT_COLUMNS,
)


def value_text(measure: str, value: float | None) -> str:
    """R@kt as a percentage (as the paper prints it), other measures with 3 decimals."""
    return lookup(measure).value_text(value)


def delta_text(measure: str, delta: float) -> str:
    """A signed difference in the measure's own units (a difference that rounds to zero
    shows as +0.000, never -0.000)."""
    return lookup(measure).delta_text(delta)


def p_text(p: float | None) -> str:
    """A p-value with three significant digits, or ``-``."""
    return "-" if p is None else f"{p:.3g}"


def labels(runs: list[str]) -> list[str]:
    """Run names without their common dash-separated prefix (``demo-search-``), for columns."""
    if len(runs) < 2:
        return list(runs)
    parts = [run.split("-") for run in runs]
    shared = 0
    while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return ["-".join(p[shared:]) for p in parts]


def footnote(report: EvaluationReport | None = None, *, wins: bool = True) -> str:
    """What the mark means: level, test and correction (and the W/T/L column)."""
    if report is None:
        return f"{MARK} p < 0.05, paired t-test (two-sided), Holm across languages"
    pooled = "corrected across systems" if len(report.systems) > 1 else "one test"
    text = (
        f"{MARK} p < {report.alpha:g}, {report.test_name}, {report.correction_text} "
        f"(avg: macro average; its mark tests all queries pooled, {pooled})"
    )
    return text + ("; W/T/L: queries the system wins/ties/loses" if wins else "")


def _cell(report: EvaluationReport, language: str) -> str:
    return "all" if language == "avg" else language


def _mark(test: Comparison | None) -> str:
    return MARK if test is not None and test.significant else ""


def _system_cells(report: EvaluationReport, run: str, measure: str, language: str) -> list[str]:
    value = report.metrics[run].get(language, {}).get(measure)
    base = report.metrics[report.baseline].get(language, {}).get(measure)
    test = report.comparison(run, measure, _cell(report, language))
    if value is None or base is None:
        return [value_text(measure, value), "-", "-"]
    wtl = "-" if test is None else f"{test.wins}/{test.ties}/{test.losses}"
    return [value_text(measure, value), delta_text(measure, value - base) + _mark(test), wtl]


def headers(report: EvaluationReport) -> list[str]:
    """Columns of the main table."""
    names = labels(report.runs)
    found = ["lang", "n", names[0]]
    for name in names[1:]:
        found += [name, "Δ", "W/T/L"]
    return found


def rows(report: EvaluationReport, measure: str) -> list[list[str]]:
    """Rows of the main table of one measure: each language, then ``avg``."""
    found = []
    for language in [*report.languages, "avg"]:
        n = report.count(report.baseline, measure, language)
        base = report.metrics[report.baseline].get(language, {}).get(measure)
        row = [language, "-" if n is None else str(n), value_text(measure, base)]
        for run in report.systems:
            row += _system_cells(report, run, measure, language)
        found.append(row)
    return found


DETAIL_HEADERS = [
    "system",
    "lang",
    "n",
    "Δ",
    "95% CI",
    "d_z",
    "p (t)",
    "p (Wilcoxon)",
    "p (perm.)",
    "p adj.",
    "W/T/L",
]


def detail_rows(report: EvaluationReport, measure: str) -> list[list[str]]:
    """Every statistic of every cell of one measure (the details table)."""
    names = dict(zip(report.runs, labels(report.runs), strict=True))
    found = []
    for test in report.tests:
        if test.measure != measure:
            continue
        interval = (
            "-"
            if test.ci_low is None or test.ci_high is None
            else f"[{delta_text(measure, test.ci_low)}, {delta_text(measure, test.ci_high)}]"
        )
        found.append(
            [
                names[test.run],
                test.language,
                str(test.n),
                delta_text(measure, test.delta) + _mark(test),
                interval,
                "-" if test.effect_size is None else f"{test.effect_size:+.2f}",
                p_text(test.p_t),
                p_text(test.p_wilcoxon),
                p_text(test.p_permutation),
                p_text(test.p_adjusted),
                f"{test.wins}/{test.ties}/{test.losses}",
            ]
        )
    return found


def rich_tables(
    report: EvaluationReport,
    measures: list[str] | None = None,
    *,
    details: bool = False,
    width: int | None = None,
) -> list[Table]:
    """One table per measure: languages as rows, runs (with deltas) as columns; with
    ``details``, a second table per measure with every statistic. A table wider than
    ``width`` is split into one per system (each beside the baseline)."""
    tables = []
    for measure in measures or report.measures:
        table = _main_table(report, measure, f"{measure} per language", None)
        if width is not None and len(report.systems) > 1 and _width(table) > width:
            tables += [
                _main_table(report, measure, f"{measure} per language: {system}", number)
                for number, system in enumerate(labels(report.runs)[1:])
            ]
        else:
            tables.append(table)
        if details and report.systems:
            tables.append(detail_table(report, measure))
    return tables


def _main_table(report: EvaluationReport, measure: str, title: str, system: int | None) -> Table:
    """The main table of a measure, with every system or only the ``system``-th."""
    keep = list(range(len(headers(report))))
    if system is not None:
        keep = [0, 1, 2, *range(3 + 3 * system, 6 + 3 * system)]
    table = Table(title=title, caption=footnote(report))
    header = headers(report)
    for position in keep:
        table.add_column(header[position], justify="left" if position == 0 else "right")
    for row in rows(report, measure):
        table.add_row(
            *[row[position] for position in keep],
            end_section=bool(report.languages) and row[0] == report.languages[-1],
        )
    return table


def _width(table: Table) -> int:
    from xqg_tui.console import LiteralConsole  # cells quote run names: never markup

    return LiteralConsole(width=10_000).measure(table).maximum


def detail_table(report: EvaluationReport, measure: str) -> Table:
    """Every statistic of every difference of one measure."""
    table = Table(title=f"{measure}: statistics of each difference")
    for position, header in enumerate(DETAIL_HEADERS):
        table.add_column(header, justify="left" if position < 2 else "right")
    for row in detail_rows(report, measure):
        table.add_row(*row)
    return table


def _markdown_table(header: list[str], body: list[list[str]], left: int = 1) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * left + ["---:"] * (len(header) - left)) + "|",
        *["| " + " | ".join(row) + " |" for row in body],
        "",
    ]


def markdown(report: EvaluationReport) -> str:
    """Every measure as a Markdown table, each followed by its statistics table."""
    lines = [
        f"# Evaluation: {', '.join(report.runs)}",
        "",
        f"Baseline: `{report.baseline}`. {footnote(report)}.",
        "",
        *[f"> WARNING: {warning}\n" for warning in report.warnings],
    ]
    for measure in report.measures:
        lines += [f"## {measure}", "", *_markdown_table(headers(report), rows(report, measure))]
        if report.systems:
            lines += [
                f"Statistics ({report.resamples} seeded resamples for the 95% CI and the "
                "randomisation test; p adj. corrects the chosen test):",
                "",
                *_markdown_table(DETAIL_HEADERS, detail_rows(report, measure), left=2),
            ]
    return "\n".join(lines)


def latex(report: EvaluationReport, measures: list[str] | None = None) -> str:
    """One booktabs table per measure in the paper's layout: runs as rows, languages and
    Avg as columns, significant differences from the baseline marked."""
    tables = []
    names = labels(report.runs)
    columns = [*report.languages, "avg"]
    for measure in measures or report.measures:
        head = " & ".join(["Run", *[_latex_escape(c.capitalize()) for c in columns]])
        body = []
        for run, name in zip(report.runs, names, strict=True):
            cells = [_latex_escape(name)]
            for language in columns:
                value = report.metrics[run].get(language, {}).get(measure)
                test = report.comparison(run, measure, _cell(report, language))
                mark = "$^{*}$" if test is not None and test.significant else ""
                cells.append(value_text(measure, value) + mark)
            body.append(" & ".join(cells) + r" \\")
        tables.append(
            "\n".join(
                [
                    r"\begin{table}[t]",
                    r"\centering",
                    rf"\caption{{{_latex_escape(measure)} per language. "
                    rf"{_latex_escape(footnote(report, wins=False)).replace('*', '$^{*}$', 1)}.}}",
                    r"\begin{tabular}{l" + "r" * len(columns) + "}",
                    r"\toprule",
                    head + r" \\",
                    r"\midrule",
                    body[0],
                    *([r"\midrule", *body[1:]] if len(body) > 1 else []),
                    r"\bottomrule",
                    r"\end{tabular}",
                    r"\end{table}",
                ]
            )
        )
    return "% needs \\usepackage{booktabs}\n" + "\n\n".join(tables) + "\n"


LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # In text mode with the default OT1 fonts, < and > print as ¡ and ¿.
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def _latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIAL.get(char, char) for char in text).replace("Δ", r"$\Delta$")


def csv_text(report: EvaluationReport) -> str:
    """Long format, one row per (measure, language, run), raw numbers (not percentages).

    Language rows carry every statistic of the difference from the baseline; ``avg`` rows
    the macro average; ``all`` rows the pooled queries' means and their statistics.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for measure in report.measures:
        for language in [*report.languages, "avg", "all"]:
            for run in report.runs:
                row = _csv_row(report, measure, language, run)
                if row is not None:
                    writer.writerow(row)
    return buffer.getvalue()


def _csv_row(
    report: EvaluationReport, measure: str, language: str, run: str
) -> dict[str, object] | None:
    role = "baseline" if run == report.baseline else "system"
    row: dict[str, object] = {"measure": measure, "language": language, "run": run, "role": role}
    value: float | None
    base: float | None
    if language == "all":
        pooled = [t for t in report.tests if t.measure == measure and t.language == "all"]
        if not pooled:
            return None
        value = pooled[0].baseline if run == report.baseline else None
        base = pooled[0].baseline
        n: object = pooled[0].n
    else:
        value = report.metrics[run].get(language, {}).get(measure)
        base = report.metrics[report.baseline].get(language, {}).get(measure)
        n = report.count(run, measure, language) or ""
    test = None if language == "avg" else report.comparison(run, measure, language)
    if test is not None:
        value = test.system if language == "all" else value
        row |= {key: _blank(getattr(test, key)) for key in STAT_COLUMNS}
    row |= {"n": n, "value": _blank(value), "baseline": _blank(base)}
    if run != report.baseline and value is not None and base is not None:
        row["delta"] = value - base
    return row


def _blank(value: object) -> object:
    return "" if value is None else value
