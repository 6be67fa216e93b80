"""Per-language bar charts of the differences from the baseline: PNG (matplotlib, Agg) and
terminal (plotext). Bars are the mean per-query differences of each language and of all
queries pooled (``all``); the PNG draws the bootstrap 95% confidence interval of each and
marks the significant ones. matplotlib and plotext are imported only when drawing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.evaluate import EvaluationReport
from pipelines.metrics.measures import measure as lookup
from pipelines.metrics.paired import POOLED
from xqg_tui.literal import visible_each
from xqg_tui.report import MARK, footnote, labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_PX, HEIGHT_PX, DPI = 1000, 500, 100


def _scale(measure: str) -> float:
    """R@kt differences in percentage points, as the paper prints R@kt."""
    return lookup(measure).scale


def _unit(measure: str) -> str:
    return lookup(measure).unit


def delta_series(
    report: EvaluationReport, measure: str
) -> tuple[list[str], dict[str, list[tuple[float, float, float, bool]]]]:
    """Cells (languages, then ``all``) and, per system, (delta, CI low, CI high,
    significant) in display units; a cell without a test shows 0."""
    cells = [*report.languages, POOLED]
    scale = _scale(measure)
    series = {}
    for run in report.systems:
        values = []
        for cell in cells:
            test = report.comparison(run, measure, cell)
            if test is None:
                values.append((0.0, 0.0, 0.0, False))
                continue
            low = test.delta if test.ci_low is None else test.ci_low
            high = test.delta if test.ci_high is None else test.ci_high
            values.append((scale * test.delta, scale * low, scale * high, test.significant))
        series[run] = values
    return cells, series


def delta_chart_png(
    report: EvaluationReport,
    measure: str,
    path: str | Path,
    *,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
    dpi: int = DPI,
) -> Path:
    """Grouped bars of each system's difference per language, with 95% CIs, as a PNG of
    exactly ``width_px`` x ``height_px`` pixels; written whole or not at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cells, series = delta_series(report, measure)
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(series))
    names = dict(zip(report.runs, labels(report.runs), strict=True))
    for number, (run, values) in enumerate(series.items()):
        xs = [i + (number - (len(series) - 1) / 2) * width for i in range(len(cells))]
        deltas = [v[0] for v in values]
        errors = [[v[0] - v[1] for v in values], [v[2] - v[0] for v in values]]
        axes.bar(xs, deltas, width, yerr=errors, capsize=2, label=names[run])
        for x, (delta, low, high, significant) in zip(xs, values, strict=True):
            if significant:
                y, align = (high, "bottom") if delta >= 0 else (low, "top")
                axes.text(x, y, MARK, ha="center", va=align, fontsize=12)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(cells)), cells)
    axes.set_ylabel(f"Δ {measure} {_unit(measure)}".strip())
    axes.set_title(f"{measure}: difference from {names[report.baseline]} (95% CI)")
    if len(series) > 1:
        axes.legend()
    figure.text(0.01, 0.01, footnote(report, wins=False), fontsize=7, wrap=True)
    figure.subplots_adjust(bottom=0.18)
    return save_png(figure, Path(path), dpi)


def save_png(figure: Figure, path: Path, dpi: int) -> Path:
    """Write a figure as PNG beside ``path``, then rename: whole or not at all."""
    partial = path.with_name(f".{path.name}.partial.png")
    try:
        figure.savefig(partial, dpi=dpi, format="png")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def delta_chart_text(
    report: EvaluationReport, measure: str, *, width: int = 100, height: int = 20
) -> str:
    """The same bars for the terminal (plotext), and a line naming the significant cells."""
    import plotext

    cells, series = delta_series(report, measure)
    cells = visible_each(cells)  # printed through Text.from_ansi: data must hold no escapes
    names = dict(zip(report.runs, visible_each(labels(report.runs)), strict=True))
    plotext.clear_figure()
    plotext.multiple_bar(
        cells,
        [[v[0] for v in values] for values in series.values()],
        labels=[names[run] for run in series],
    )
    plotext.title(f"{measure}: difference from {names[report.baseline]} {_unit(measure)}".strip())
    plotext.plotsize(width, height)
    chart = str(plotext.build())
    plotext.clear_figure()
    marked = [
        f"{names[run]}: {', '.join(c for c, v in zip(cells, values, strict=True) if v[3]) or '-'}"
        for run, values in series.items()
    ]
    return f"{chart}\n{MARK} significant ({report.test_name}, {report.correction_text}): " + (
        "; ".join(marked)
    )
