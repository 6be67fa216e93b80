"""A bar chart of each system's gain over the baseline per language (textual-plotext)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual_plotext import PlotextPlot

from pipelines.metrics.measures import measure as lookup
from xqg_tui.literal import visible, visible_each
from xqg_tui.report import labels

if TYPE_CHECKING:
    from pipelines.evaluate import EvaluationReport


class LanguageChart(PlotextPlot):
    """Grouped bars: languages on the x axis, one bar per system, its delta to the baseline."""

    def show(self, report: EvaluationReport, measure: str) -> None:
        """Draw the deltas of one measure (R@kt in points, as the paper prints it)."""
        scale = lookup(measure).scale
        base = report.metrics[report.baseline]
        deltas = [
            [
                scale
                * (
                    report.metrics[run].get(lang, {}).get(measure, 0.0)
                    - base.get(lang, {}).get(measure, 0.0)
                )
                for lang in report.languages
            ]
            for run in report.runs[1:]
        ]
        plt = self.plt
        plt.clear_figure()
        if report.languages and deltas:
            names = visible_each(labels(report.runs)[1:])
            # plotext takes labels= (its stub says label=).
            plt.multiple_bar(visible_each(report.languages), deltas, labels=names, minimum=0.0)  # type: ignore[call-arg]
        plt.title(
            visible(f"Δ {measure} against {labels(report.runs)[0]}, per language", one_line=True)
        )
        self.refresh()
