"""Robustness: clean and attacked scores per language for baseline and xQG, the difference
of their drops with significance marks, a chart of the drops, and for a model-aware attack
its adversarial examples: original and adversarial query side by side, what changed
highlighted, and the relevant passage's rank before and after on every system."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Select, Static
from textual.worker import get_current_worker

from pipelines.metrics.measures import ROBUSTNESS_MEASURES, preferred
from pipelines.robustness.evaluate import build_robustness_report
from pipelines.robustness.examples import adversarial_examples
from store import runs
from xqg_tui.app.messages import RobustnessLoaded, RobustnessRunsLoaded
from xqg_tui.app.screens.base import XQGScreen
from xqg_tui.app.widgets.drop_chart import DropChart
from xqg_tui.app.widgets.nav import TopBar
from xqg_tui.app.widgets.tables import fill_table
from xqg_tui.literal import literal
from xqg_tui.report import footnote as clean_footnote
from xqg_tui.report import headers as clean_headers
from xqg_tui.report import rows as clean_rows
from xqg_tui.robustness_report import (
    attack_headers,
    attack_rows,
    example_headers,
    example_rows,
    footnote,
    summary_lines,
)

if TYPE_CHECKING:
    from rich.text import Text

    from pipelines.robustness.evaluate import RobustnessReport
    from pipelines.robustness.examples import Example

NO_ROBUSTNESS = (
    "No robustness evaluation yet: build one with `xqg robustness build-xnli`, "
    "`xqg robustness perturb` and `xqg robustness evaluate` (see the README), then look at "
    "it here."
)


class RobustnessScreen(XQGScreen):
    """Per attack and language: clean, attacked, drop for every system, and Δdrop."""

    NAME = "robustness"
    TITLE = "Robustness"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "next_attack", "Next attack"),
        Binding("m", "next_measure", "Next measure"),
        Binding("e", "focus_evaluation", "Evaluation", show=False),
        Binding("x", "focus_examples", "Examples", show=False),
    ]
    WIDGET_KEYS = (("↑ ↓ (in the table)", "move between languages"),)

    def __init__(self) -> None:
        super().__init__()
        self._report: RobustnessReport | None = None
        self._examples: dict[str, list[Example]] = {}

    def compose(self) -> ComposeResult:
        """Choosers and summary on the left; the table and the chart on the right."""
        yield TopBar(self.NAME, self.xqg.library.path.name)
        with Horizontal(id="robustness-body"):
            with Vertical(id="robustness-side"):
                yield Static("Evaluation", classes="side-title")
                yield Select[int]([], prompt="robustness run", id="evaluation", allow_blank=True)
                yield Static("Attack", classes="side-title")
                yield Select[str]([], prompt="attack", id="attack", allow_blank=True)
                yield Static("Measure", classes="side-title")
                yield Select[str]([], prompt="measure", id="rob-measure", allow_blank=True)
                yield Static("", id="robustness-summary")
            with Vertical(id="robustness-main"):
                yield Static("Reading robustness evaluations…", id="robustness-status")
                yield DataTable(id="drops", cursor_type="row", zebra_stripes=True)
                yield Static("", id="robustness-legend")
                yield Static("", id="examples-title")
                yield DataTable(id="examples", cursor_type="row", zebra_stripes=True)
                yield DropChart(id="drop-chart")
        yield Footer()

    def on_mount(self) -> None:
        """Find the robustness runs."""
        super().on_mount()
        self.query_one("#drops", DataTable).focus()
        self._read_runs()

    @work(thread=True, exclusive=True, group="robustness-runs")
    def _read_runs(self) -> None:
        found = self.xqg.library.read(runs.list_runs, "robustness")
        self.post_message(RobustnessRunsLoaded([r for r in found if r.status == "done"]))

    def on_robustness_runs_loaded(self, message: RobustnessRunsLoaded) -> None:
        """Offer the runs, the newest first, and read the newest with attacks (else the
        newest: a clean-only comparison, such as hypotheses as queries)."""
        if not message.runs:
            self._status(NO_ROBUSTNESS)
            return
        attacked = [run for run in message.runs if run.params.get("attacks")]
        first = (attacked or message.runs)[-1]
        chooser = self.query_one("#evaluation", Select)
        with self.prevent(Select.Changed):
            chooser.set_options(
                (literal(run.name, one_line=True), run.id) for run in reversed(message.runs)
            )
            chooser.value = first.id
        self._read_report(first.id)

    @work(thread=True, exclusive=True, group="robustness-report")
    def _read_report(self, run_id: int) -> None:
        library = self.xqg.library
        run = library.read(runs.get_run, run_id)
        report = library.read_apart(build_robustness_report, run)
        examples = {
            attack: library.read(adversarial_examples, run, attack)
            for attack in report.attacks
            if report.mode(report.systems[0], attack) != "random"
        }
        if not get_current_worker().is_cancelled:
            self.post_message(RobustnessLoaded(report, examples))

    def on_robustness_loaded(self, message: RobustnessLoaded) -> None:
        """Offer the attacks and measures of the report and draw it."""
        report = self._report = message.report
        self._examples = message.examples
        attack, measure = self.query_one("#attack", Select), self.query_one("#rob-measure", Select)
        with self.prevent(Select.Changed):
            attack.set_options(
                (literal(report.attack_title(a), one_line=True), a) for a in report.attacks
            )
            measure.set_options((m, m) for m in report.measures)
            if report.attacks:
                attack.value = report.attacks[0]
            measure.value = preferred(report.measures, ROBUSTNESS_MEASURES)
        self._draw()

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another run, attack or measure."""
        if event.select.id == "evaluation" and isinstance(event.value, int):
            self._status("Reading the robustness evaluation…")
            self._read_report(event.value)
        elif self._report is not None:
            self._draw()

    def chosen(self) -> tuple[str | None, str | None]:
        """(attack, measure) as chosen."""
        attack = self.query_one("#attack", Select).value
        measure = self.query_one("#rob-measure", Select).value
        return (
            attack if isinstance(attack, str) else None,
            measure if isinstance(measure, str) else None,
        )

    def _draw(self) -> None:
        report = self._report
        attack, measure = self.chosen()
        if report is None or measure is None:
            return
        if attack is None:  # no attack: the clean comparison of the systems
            assert report.clean is not None
            self._fill(clean_headers(report.clean), clean_rows(report.clean, measure))
            self._status(f"{measure} of the clean {report.split} queries (no attack)")
            self.query_one("#robustness-legend", Static).update(
                literal(clean_footnote(report.clean))
            )
            self.query_one("#robustness-summary", Static).update("")
            self.query_one(DropChart).show(report, "", measure)
            self._show_examples(report, "")
            return
        self._fill(attack_headers(report), attack_rows(report, attack, measure))
        self.query_one(DropChart).show(report, attack, measure)
        self._status(
            f"{measure} under {report.attack_title(attack)} · queries of split {report.split}"
        )
        self.query_one("#robustness-legend", Static).update(literal(footnote(report, measure)))
        self.query_one("#robustness-summary", Static).update(
            literal("\n\n".join(summary_lines(report, measure)))
        )
        self._show_examples(report, attack)

    def _show_examples(self, report: RobustnessReport, attack: str) -> None:
        """The adversarial examples of a model-aware attack (hidden for random ones)."""
        examples = self._examples.get(attack)
        table = self.query_one("#examples", DataTable)
        title = self.query_one("#examples-title", Static)
        table.display = title.display = examples is not None
        if examples is None:
            return
        changed = sum(bool(e.moves) for e in examples)
        title.update(
            literal(
                f"adversarial examples: {changed} of {len(examples)} queries changed; rank of "
                "the relevant passage clean → adversarial",
                one_line=True,
            )
        )
        rows = example_rows(examples, report.systems)
        fill_table(
            table,
            [(str(i), h) for i, h in enumerate(example_headers(report.systems))],
            [(str(i), [_cell(c) for c in row]) for i, row in enumerate(rows)],
        )

    def _fill(self, headers: list[str], rows: list[list[str]]) -> None:
        """The table: the first column on the left, numbers on the right."""
        cells = [
            (
                row[0],
                [
                    literal(c, one_line=True, justify="right" if i else "left")
                    for i, c in enumerate(row)
                ],
            )
            for row in rows
        ]
        table = self.query_one("#drops", DataTable)
        fill_table(table, [(str(i), header) for i, header in enumerate(headers)], cells)

    def action_focus_examples(self) -> None:
        """Move to the adversarial examples."""
        self.query_one("#examples", DataTable).focus()

    def action_next_attack(self) -> None:
        """Show the next attack."""
        self._cycle("#attack", self._report.attacks if self._report else [])

    def action_next_measure(self) -> None:
        """Show the next measure."""
        self._cycle("#rob-measure", self._report.measures if self._report else [])

    def _cycle(self, selector: str, values: list[str]) -> None:
        choice = self.query_one(selector, Select)
        if values and isinstance(choice.value, str):
            choice.value = values[(values.index(choice.value) + 1) % len(values)]

    def action_focus_evaluation(self) -> None:
        """Choose the robustness run."""
        self.query_one("#evaluation", Select).focus()

    def _status(self, text: str) -> None:
        self.query_one("#robustness-status", Static).update(literal(text))


def _cell(value: str | Text) -> Text:
    """A table cell: highlighted texts as they are, anything else shown literally."""
    return value if not isinstance(value, str) else literal(value, one_line=True)
