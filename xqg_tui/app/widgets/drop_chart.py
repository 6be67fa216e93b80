"""A bar chart of what one attack costs each system per language (textual-plotext)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual_plotext import PlotextPlot

from xqg_tui.literal import visible, visible_each

if TYPE_CHECKING:
    from pipelines.robustness.evaluate import RobustnessReport


class DropChart(PlotextPlot):
    """Grouped bars: languages on the x axis, one bar per system, its drop under the attack."""

    def show(self, report: RobustnessReport, attack: str, measure: str) -> None:
        """Draw the drops of one attack and measure."""
        drops = [
            [
                getattr(report.score(system, attack, language, measure), "drop", 0.0)
                for language in report.languages
            ]
            for system in report.systems
        ]
        plt = self.plt
        plt.clear_figure()
        if not attack:  # a clean-only evaluation: nothing dropped
            self.refresh()
            return
        if report.languages and drops:
            # plotext takes labels= (its stub says label=).
            plt.multiple_bar(
                visible_each(report.languages), drops, labels=visible_each(report.systems)
            )  # type: ignore[call-arg]
        plt.title(
            visible(
                f"{measure} drop under {attack}, per language (lower: more robust)", one_line=True
            )
        )
        self.refresh()
