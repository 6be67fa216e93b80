"""Compare: per-language metrics of search runs against a baseline, a chart, and the queries
xQG helped and hurt most in the chosen language."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Select, SelectionList, Static
from textual.worker import get_current_worker

from pipelines.evaluate import build_report
from pipelines.metrics.measures import preferred, report_order
from store import browse, runs
from xqg_tui.app.messages import CompareChoicesLoaded, DeltasLoaded, OpenQuery, ReportLoaded
from xqg_tui.app.screens.base import XQGScreen, plain_text, table_export
from xqg_tui.app.widgets.language_chart import LanguageChart
from xqg_tui.app.widgets.metrics import AVERAGE, MetricsTable
from xqg_tui.app.widgets.nav import TopBar
from xqg_tui.app.widgets.query_deltas import QueryDeltaTable
from xqg_tui.literal import literal

if TYPE_CHECKING:
    from store.browse import EvaluatedRun
    from xqg_tui.exports import ExportTable

LISTED = 10
ALL_LANGUAGES = "all"
NO_EVALUATION = (
    "No evaluated search runs yet: run `xqg evaluate BASELINE_SEARCH XQG_SEARCH` "
    "(or `xqg demo`), then compare them here."
)


class CompareScreen(XQGScreen):
    """Metrics per language, deltas with significance, and the queries behind them."""

    NAME = "compare"
    TITLE = "Compare"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "next_measure", "Next measure"),
        Binding("s", "next_system", "Next system"),
        Binding("b", "focus_baseline", "Baseline", show=False),
        Binding("t", "focus_table", "Table", show=False),
    ]
    WIDGET_KEYS = (
        ("↑ ↓ (in the table)", "choose a language for the query lists"),
        ("Space (in the systems)", "add or drop a system"),
        ("Enter (on a query)", "search it on the Search screen"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._runs: dict[int, EvaluatedRun] = {}
        self._measures: list[str] = []
        self._focus_system = 0
        self._report_runs: list[int] = []
        self._statistics: dict[str, Any] = {}
        self._report: ReportLoaded | None = None

    def compose(self) -> ComposeResult:
        """Run choosers on the left; table, chart and query lists on the right."""
        yield TopBar(self.NAME, self.xqg.library.path.name)
        with Horizontal(id="compare-body"):
            with Vertical(id="compare-side"):
                yield Static("Baseline", classes="side-title")
                yield Select[int]([], prompt="search run", id="baseline", allow_blank=True)
                yield Static("Systems", classes="side-title")
                yield SelectionList[int](id="systems")
                yield Static("Measure", classes="side-title")
                yield Select[str]([], prompt="measure", id="measure", allow_blank=True)
                yield Static("Languages", classes="side-title")
                yield Select[str](
                    [("all languages", ALL_LANGUAGES)],
                    value=ALL_LANGUAGES,
                    allow_blank=False,
                    id="compare-language",
                )
                yield Static("", id="compare-legend")
            with Vertical(id="compare-main"):
                yield Static("Reading evaluations…", id="compare-status")
                with Horizontal(id="compare-top"):
                    yield MetricsTable(id="metrics")
                    yield LanguageChart(id="chart")
                yield Static("", id="deltas-title")
                with Horizontal(id="compare-deltas"):
                    with Vertical(classes="deltas"):
                        yield Static("Helped most", classes="side-title", id="helped-title")
                        yield QueryDeltaTable(id="helped")
                    with Vertical(classes="deltas"):
                        yield Static("Hurt most", classes="side-title", id="hurt-title")
                        yield QueryDeltaTable(id="hurt")
        yield Footer()

    def on_mount(self) -> None:
        """Read which search runs were evaluated; arrows choose a language at once."""
        self.query_one(MetricsTable).focus()
        self._read_choices()

    @work(thread=True, exclusive=True, group="choices")
    def _read_choices(self) -> None:
        library = self.xqg.library
        evaluated = library.read(browse.evaluated_search_runs)
        measures = library.read(browse.stored_measures, [run.id for run in evaluated])
        latest = library.read(browse.latest_comparison)
        statistics = library.read(browse.evaluation_statistics)
        self.post_message(CompareChoicesLoaded(evaluated, measures, latest, statistics))

    def on_compare_choices_loaded(self, message: CompareChoicesLoaded) -> None:
        """Offer the runs and measures; start with the newest evaluation's runs."""
        self._runs = {run.id: run for run in message.runs}
        self._measures = report_order(message.measures)
        self._statistics = message.statistics
        if len(message.runs) < 2 or not message.measures:
            self._status(NO_EVALUATION)
            return
        baseline, systems = message.latest or (message.runs[0].id, [message.runs[1].id])
        baseline_choice = self.query_one("#baseline", Select)
        measure_choice = self.query_one("#measure", Select)
        with self.prevent(Select.Changed, SelectionList.SelectedChanged):
            baseline_choice.set_options(
                (literal(run.name, one_line=True), run.id) for run in message.runs
            )
            baseline_choice.value = baseline
            self._offer_systems(baseline, systems)
            measure_choice.set_options((measure, measure) for measure in self._measures)
            measure_choice.value = preferred(self._measures)
        self._refresh_report()

    def _offer_systems(self, baseline: int, picked: list[int]) -> None:
        """Every evaluated run but the baseline can be a system."""
        picker = self.query_one("#systems", SelectionList)
        with self.prevent(SelectionList.SelectedChanged):
            picker.clear_options()
            for run in self._runs.values():
                if run.id != baseline:
                    picker.add_option((literal(run.name, one_line=True), run.id, run.id in picked))

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another baseline, measure or language."""
        if event.select.id == "compare-language":
            if self._report is not None:
                self._show_report(self._report)
            return
        if event.select.id == "baseline" and isinstance(event.value, int):
            picked = list(self.query_one("#systems", SelectionList).selected)
            self._offer_systems(event.value, picked or [r for r in self._runs if r != event.value])
        self._refresh_report()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        """Systems added or dropped."""
        self._refresh_report()

    def chosen(self) -> tuple[int | None, list[int], str | None]:
        """(baseline, systems, measure) as chosen in the side bar."""
        baseline = self.query_one("#baseline", Select).value
        measure = self.query_one("#measure", Select).value
        picked = self.query_one("#systems", SelectionList).selected
        baseline_id = baseline if isinstance(baseline, int) else None
        systems = [run_id for run_id in self._runs if run_id in picked and run_id != baseline_id]
        return baseline_id, systems, measure if isinstance(measure, str) else None

    def _refresh_report(self) -> None:
        baseline, systems, measure = self.chosen()
        if baseline is None or measure is None or not systems:
            self._status("Choose a baseline, at least one other system and a measure.")
            return
        self._status(f"Comparing {len(systems)} system(s) with the baseline on {measure}…")
        self._report_runs = [baseline, *systems]
        self._focus_system %= len(systems)
        self._read_report(self._report_runs, measure)

    @work(thread=True, exclusive=True, group="report")
    def _read_report(self, run_ids: list[int], measure: str) -> None:
        library = self.xqg.library
        chosen = [library.read(runs.get_run, run_id) for run_id in run_ids]
        report = library.read_apart(build_report, chosen, [measure], **self._statistics)
        if not get_current_worker().is_cancelled:  # the choice changed meanwhile
            self.post_message(ReportLoaded(report, measure))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        """Fill the table and the chart; list the queries of the chosen language."""
        self._report = message
        self._offer_languages(message.report.languages)
        self._show_report(message)

    def _offer_languages(self, languages: list[str]) -> None:
        """The report's languages for the language filter (the choice kept when it stays)."""
        chooser = self.query_one("#compare-language", Select)
        chosen = chooser.value
        with self.prevent(Select.Changed):
            chooser.set_options(
                [("all languages", ALL_LANGUAGES)]
                + [(literal(code, one_line=True), code) for code in languages]
            )
            chooser.value = chosen if chosen in languages else ALL_LANGUAGES

    def _show_report(self, message: ReportLoaded) -> None:
        """The table and chart for the chosen languages (avg stays the pooled average)."""
        report = message.report
        chosen = self.query_one("#compare-language", Select).value
        shown = report
        if chosen != ALL_LANGUAGES and chosen in report.languages:
            shown = replace(report, languages=[str(chosen)])
        self.query_one(MetricsTable).show(shown, message.measure)
        self.query_one(LanguageChart).show(shown, message.measure)
        warnings = " ".join(report.warnings)
        self._status(
            f"{report.baseline} vs {', '.join(report.runs[1:])} · {message.measure}"
            + (f" · {warnings}" if warnings else "")
        )
        self.query_one("#compare-legend", Static).update(
            literal(
                f"* p < {report.alpha:g} after correction, as the newest evaluation marks it: "
                f"{report.test_name}, {report.correction_text}; avg: all queries pooled"
            )
        )
        self._refresh_deltas()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """A language was chosen in the metrics table."""
        if event.data_table.id == "metrics":
            self._refresh_deltas()

    def _refresh_deltas(self) -> None:
        baseline, systems, measure = self.chosen()
        language = self.query_one(MetricsTable).language
        if baseline is None or not systems or measure is None or language is None:
            return
        system = systems[self._focus_system % len(systems)]
        self._read_deltas(baseline, system, measure, None if language == AVERAGE else language)

    @work(thread=True, exclusive=True, group="deltas")
    def _read_deltas(self, baseline: int, system: int, measure: str, language: str | None) -> None:
        library = self.xqg.library
        found = {
            helped: library.read(
                browse.query_deltas,
                baseline,
                system,
                measure,
                language=language,
                helped=helped,
                limit=LISTED,
            )
            for helped in (True, False)
        }
        name = self._runs[system].name
        self.post_message(DeltasLoaded(language or AVERAGE, name, found[True], found[False]))

    def on_deltas_loaded(self, message: DeltasLoaded) -> None:
        """Show the helped and hurt queries."""
        baseline, _, measure = self.chosen()
        base_name = self._runs[baseline].name if baseline in self._runs else "baseline"
        where = "all languages" if message.language == AVERAGE else message.language
        self.query_one("#deltas-title", Static).update(
            literal(
                f"{message.system} against {base_name} · {measure} · {where} "
                "(Enter searches a query; s: next system)",
                one_line=True,
            )
        )
        for name, found in (("helped", message.helped), ("hurt", message.hurt)):
            self.query_one(f"#{name}", QueryDeltaTable).show(found, measure or "")
            title = f"{name.capitalize()} most" if found else f"{name.capitalize()}: no query"
            self.query_one(f"#{name}-title", Static).update(title)

    def export_tables(self) -> list[ExportTable]:
        """The metrics table and the two query lists, titled as on the screen."""
        status = plain_text(self.query_one("#compare-status", Static).content)
        deltas = plain_text(self.query_one("#deltas-title", Static).content).split(" (Enter")[0]
        tables = [("metrics", status)] + [
            (name, f"{name.capitalize()} most: {deltas}") for name in ("helped", "hurt")
        ]
        return [
            table_export(title, self.query_one(f"#{name}", DataTable))
            for name, title in tables
            if self.query_one(f"#{name}", DataTable).row_count
        ]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Search the chosen query with the baseline's and the system's indexes."""
        table = event.data_table
        if not isinstance(table, QueryDeltaTable):
            return
        delta = table.delta_at(event.row_key.value)
        baseline, systems, _ = self.chosen()
        if delta is None or baseline is None or not systems:
            return
        system = systems[self._focus_system % len(systems)]
        indexes = tuple(
            index
            for index in (self._runs[baseline].index_run_id, self._runs[system].index_run_id)
            if index is not None
        )
        self.post_message(OpenQuery(delta.text, delta.language, indexes))

    def action_next_measure(self) -> None:
        """Show the next measure."""
        choice = self.query_one("#measure", Select)
        if self._measures and isinstance(choice.value, str):
            position = self._measures.index(choice.value)
            choice.value = self._measures[(position + 1) % len(self._measures)]

    def action_next_system(self) -> None:
        """List the queries of the next system."""
        self._focus_system += 1
        self._refresh_deltas()

    def action_focus_baseline(self) -> None:
        """Choose the baseline."""
        self.query_one("#baseline", Select).focus()

    def action_focus_table(self) -> None:
        """Back to the metrics table."""
        self.query_one(MetricsTable).focus()

    def _status(self, text: str) -> None:
        self.query_one("#compare-status", Static).update(literal(text))
