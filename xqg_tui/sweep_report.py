"""Alpha-sweep reports: the curve per language as tables (rich, Markdown, CSV) and a PNG.

Rows are the sweep's points (aggregation, generated queries per language, alpha), columns
the languages and their macro average; each cell is the point's value, marked when it
differs significantly from the baseline (the first row) after correction across every
point and language.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.table import Table

from pipelines.sweep import SweepPoint, SweepReport
from xqg_tui.charts import DPI, HEIGHT_PX, WIDTH_PX
from xqg_tui.report import MARK, footnote, value_text

SETTING_HEADERS = ["aggregation", "per lang", "alpha", "per passage"]


def _per_language(point: SweepPoint) -> str:
    return "all" if point.per_language is None else str(point.per_language)


def _points(sweep: SweepReport) -> list[SweepPoint]:
    """The points to tabulate: alpha 0 is the baseline row already."""
    return [point for point in sweep.points if point.alpha != 0]


def headers(sweep: SweepReport) -> list[str]:
    """Columns of a sweep table."""
    return [*SETTING_HEADERS, *sweep.report.languages, "avg"]


def rows(sweep: SweepReport, measure: str) -> list[list[str]]:
    """The baseline, then one row per point, for one measure."""
    languages = [*sweep.report.languages, "avg"]
    metrics = sweep.report.metrics[sweep.baseline]
    found = [
        ["baseline", "-", "0", "0"]
        + [value_text(measure, metrics.get(lang, {}).get(measure)) for lang in languages]
    ]
    for point in _points(sweep):
        cells = [point.aggregation, _per_language(point), f"{point.alpha:g}"]
        cells.append(f"{point.per_passage:g}")
        for language in languages:
            test = sweep.comparison(point, measure, "all" if language == "avg" else language)
            mark = MARK if test is not None and test.significant else ""
            cells.append(value_text(measure, sweep.value(point, measure, language)) + mark)
        found.append(cells)
    return found


def rich_tables(sweep: SweepReport, measures: list[str] | None = None) -> list[Table]:
    """One table per measure: the curve of every language over the sweep's points."""
    tables = []
    for measure in measures or sweep.report.measures:
        table = Table(
            title=f"{measure} over the sweep ({sweep.index} + {sweep.generations})",
            caption=footnote(sweep.report, wins=False),
        )
        for position, header in enumerate(headers(sweep)):
            table.add_column(header, justify="left" if position < 2 else "right")
        for number, row in enumerate(rows(sweep, measure)):
            table.add_row(*row, end_section=number == 0)
        tables.append(table)
    return tables


def markdown(sweep: SweepReport) -> str:
    """Every measure's sweep table in Markdown."""
    lines = [
        f"# Sweep: {sweep.index} + {sweep.generations}",
        "",
        f"Baseline: `{sweep.baseline}`. {footnote(sweep.report, wins=False)}.",
        "",
        *[f"> WARNING: {w}\n" for w in [*sweep.warnings, *sweep.report.warnings]],
    ]
    for measure in sweep.report.measures:
        header = headers(sweep)
        lines += [
            f"## {measure}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|",
            *["| " + " | ".join(row) + " |" for row in rows(sweep, measure)],
            "",
        ]
    return "\n".join(lines)


CSV_COLUMNS = (
    "measure",
    "aggregation",
    "per_language",
    "alpha",
    "generations_used",
    "per_passage",
    "run",
    "language",
    "value",
    "delta",
    "p_adjusted",
    "significant",
)


def csv_text(sweep: SweepReport) -> str:
    """Long format: one row per (measure, point, language), raw values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for measure in sweep.report.measures:
        for point in sweep.points:
            for language in [*sweep.report.languages, "avg"]:
                value = sweep.value(point, measure, language)
                base = sweep.report.metrics[sweep.baseline].get(language, {}).get(measure)
                test = sweep.comparison(point, measure, "all" if language == "avg" else language)
                writer.writerow(
                    {
                        "measure": measure,
                        "aggregation": point.aggregation,
                        "per_language": "" if point.per_language is None else point.per_language,
                        "alpha": point.alpha,
                        "generations_used": point.generations_used,
                        "per_passage": point.per_passage,
                        "run": point.search,
                        "language": language,
                        "value": "" if value is None else value,
                        "delta": "" if value is None or base is None else value - base,
                        "p_adjusted": "" if test is None else test.p_adjusted,
                        "significant": False if test is None else test.significant,
                    }
                )
    return buffer.getvalue()


def sweep_chart_png(
    sweep: SweepReport,
    measure: str,
    path: str | Path,
    *,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
    dpi: int = DPI,
) -> Path:
    """Curves per language (the average in bold) over alpha, or over the generated queries
    per language when the sweep has one alpha; one panel per remaining setting."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from xqg_tui.charts import save_png

    over_alpha = len({p.alpha for p in sweep.points}) > 1
    panels: dict[str, list[SweepPoint]] = {}
    for point in sweep.points:
        key = (
            f"{point.aggregation}, per lang {_per_language(point)}"
            if over_alpha
            else f"{point.aggregation}, alpha {point.alpha:g}"
        )
        panels.setdefault(key, []).append(point)
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    for axes, (title, points) in zip(axes_list, panels.items(), strict=True):
        ticks = [f"{p.alpha:g}" if over_alpha else _per_language(p) for p in points]
        axes.set_prop_cycle(color=[colormaps["tab20"](i) for i in range(20)])  # 12+ languages
        for language in [*sweep.report.languages, "avg"]:
            values = [sweep.value(p, measure, language) for p in points]
            axes.plot(
                range(len(points)),
                [float("nan") if v is None else v for v in values],
                marker="o",
                linewidth=2.5 if language == "avg" else 1.0,
                label=language,
            )
        axes.set_xticks(range(len(points)), ticks)
        axes.set_xlabel("alpha" if over_alpha else "generated queries per language")
        axes.set_title(title, fontsize=9)
    axes_list[0].set_ylabel(measure)
    axes_list[-1].legend(fontsize=7, ncol=2, loc="best")
    figure.suptitle(f"{measure}: {sweep.index} + {sweep.generations}")
    return save_png(figure, Path(path), dpi)
