"""The per-language metrics table of the Compare screen: values, deltas, significance marks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from xqg_tui.app.widgets.tables import fill_table
from xqg_tui.literal import literal
from xqg_tui.report import delta_text, labels, value_text

if TYPE_CHECKING:
    from pipelines.evaluate import EvaluationReport

AVERAGE = "avg"
POOLED = "all"


class MetricsTable(DataTable[Text]):
    """Languages as rows; the baseline, then each system with its delta, as columns.

    A delta is marked ``*`` when the evaluation step's test (after its correction for many
    languages) finds it significant; the avg row's mark is the pooled test over all queries.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def show(self, report: EvaluationReport, measure: str) -> None:
        """Fill the table for one measure; keep the cursor on the same language."""
        language = self.language
        names = labels(report.runs)
        headers = [("lang", "lang"), ("n", "n"), (report.runs[0], names[0])]
        for run, name in zip(report.runs[1:], names[1:], strict=True):
            headers += [(run, name), (f"{run}:delta", "Δ")]
        rows = [
            (row_language, metric_cells(report, measure, row_language))
            for row_language in [*report.languages, AVERAGE]
        ]
        fill_table(self, headers, rows)
        if language in report.languages:
            self.move_cursor(row=report.languages.index(language))

    @property
    def language(self) -> str | None:
        """The language under the cursor (``avg`` for the average row)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return None if key is None else str(key)


def metric_cells(report: EvaluationReport, measure: str, language: str) -> list[Text]:
    """One row: language, queries, the baseline's value, then value and delta per system."""
    count = report.count(report.baseline, measure, language)
    base = report.metrics[report.baseline].get(language, {}).get(measure)
    cells = [
        literal(language, "bold", one_line=True),
        Text("-" if count is None else f"{count:,}", justify="right"),
        Text(value_text(measure, base), justify="right"),
    ]
    for run in report.runs[1:]:
        value = report.metrics[run].get(language, {}).get(measure)
        cells.append(Text(value_text(measure, value), justify="right"))
        cells.append(_delta(report, run, measure, language, base, value))
    return cells


def _delta(
    report: EvaluationReport,
    run: str,
    measure: str,
    language: str,
    base: float | None,
    value: float | None,
) -> Text:
    if base is None or value is None:
        return Text("-", justify="right")
    test = report.comparison(run, measure, POOLED if language == AVERAGE else language)
    mark = "*" if test is not None and test.significant else " "
    delta = value - base
    style = "green" if delta > 0 else "red" if delta < 0 else "dim"
    if mark == "*":
        style = f"bold {style}"
    return Text(delta_text(measure, delta) + mark, style=style, justify="right")
