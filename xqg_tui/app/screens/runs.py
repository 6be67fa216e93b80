"""Runs: every run record, running and failed ones too, read again every few seconds."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from store import browse
from xqg_tui.app.messages import RunsLoaded
from xqg_tui.app.screens.base import XQGScreen
from xqg_tui.app.screens.run_detail import RunDetailScreen
from xqg_tui.app.widgets.nav import TopBar
from xqg_tui.app.widgets.tables import fill_table
from xqg_tui.literal import literal

if TYPE_CHECKING:
    from store.browse import RunOverview

REFRESH_S = 2.0
STATUS_STYLES = {"done": "green", "running": "bold yellow", "failed": "bold red"}
MASKED_TIME = "····-··-·· ··:··:··"
COLUMNS = ("id", "kind", "name", "status", "started", "took", "collection", "parents", "params")
PARENTS_WIDTH = 48


class RunsScreen(XQGScreen):
    """All runs with kind, status, timings and parents; Enter shows everything about one."""

    NAME = "runs"
    TITLE = "Runs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Reload"),
        Binding("enter", "details", "Details", show=False),
    ]
    WIDGET_KEYS = (("Enter (on a run)", "everything about the run"),)

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[int, RunOverview] = {}

    def compose(self) -> ComposeResult:
        """The runs table."""
        yield TopBar(self.NAME, self.xqg.library.path.name)
        yield Static("Reading runs…", id="runs-status")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, a first read, and a read every few seconds while shown."""
        table = self.query_one(DataTable)
        table.focus()
        self.action_reload()
        self._timer = self.set_interval(REFRESH_S, self.action_reload, pause=False)

    def on_screen_suspend(self) -> None:
        """No reading while another screen is shown."""
        self._timer.pause()

    def on_screen_resume(self) -> None:
        """Read again when shown."""
        if hasattr(self, "_timer"):
            self.action_reload()
            self._timer.resume()

    def action_reload(self) -> None:
        """Read the runs again."""
        self._read_runs()

    @work(thread=True, exclusive=True, group="runs")
    def _read_runs(self) -> None:
        self.post_message(RunsLoaded(self.xqg.library.read(browse.runs_overview)))

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        """Redraw the table, keeping the cursor on the same run."""
        table = self.query_one(DataTable)
        unchanged = list(self.runs.values()) == message.runs
        if unchanged and table.row_count and all(r.status != "running" for r in message.runs):
            return
        current = self._current_run_id()
        self.runs = {run.id: run for run in message.runs}
        masked = self.xqg.deterministic
        rows = [(str(run.id), run_cells(run, masked=masked)) for run in message.runs]
        fill_table(table, [(column, column) for column in COLUMNS], rows)
        if current in self.runs:
            table.move_cursor(row=table.get_row_index(str(current)))
        self.query_one("#runs-status", Static).update(_status_text(message.runs))

    def _current_run_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None else int(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a run: its details."""
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        """Everything about the run under the cursor."""
        run_id = self._current_run_id()
        if run_id is None:
            return
        run = self.runs[run_id]
        children = [other for other in self.runs.values() if run_id in _parent_ids(other)]
        self.app.push_screen(RunDetailScreen(run, children, masked=self.xqg.deterministic))


def run_cells(run: RunOverview, *, masked: bool) -> list[Text]:
    """The cells of one run's row."""
    parents = ", ".join(f"{link.role}:{link.name}" for link in run.parents) or "-"
    if len(parents) > PARENTS_WIDTH:
        parents = parents[: PARENTS_WIDTH - 1] + "…"
    return [
        Text(str(run.id), justify="right"),
        literal(run.kind, one_line=True),
        literal(run.name, "bold", one_line=True),
        literal(run.status, STATUS_STYLES.get(run.status, ""), one_line=True),
        Text(MASKED_TIME if masked else started_text(run.started_at)),
        Text("…" if masked else took_text(run.started_at, run.ended_at), justify="right"),
        literal(run.collection or "-", one_line=True),
        literal(parents, one_line=True),
        literal(params_text(run.params), one_line=True),
    ]


def started_text(started_at: str) -> str:
    """A run's start in local time, to the second."""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def took_text(started_at: str, ended_at: str | None) -> str:
    """How long a run took, or has been running so far."""
    try:
        start = datetime.fromisoformat(started_at)
        end = datetime.fromisoformat(ended_at) if ended_at else datetime.now(timezone.utc)
    except ValueError:
        return "?"
    seconds = max(0, int((end - start).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = (
        f"{hours}h{minutes:02d}m"
        if hours
        else f"{minutes}m{seconds:02d}s"
        if minutes
        else f"{seconds}s"
    )
    return text if ended_at else f"{text}…"


def params_text(params: dict[str, object], limit: int = 60) -> str:
    """Parameters in one line, the most telling first (no nested runtime settings)."""
    shown = {key: value for key, value in params.items() if key not in ("runtime", "encoder")}
    text = ", ".join(
        f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in shown.items()
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parent_ids(run: RunOverview) -> set[int]:
    return {link.run_id for link in run.parents}


def _status_text(runs: list[RunOverview]) -> Text:
    if not runs:
        return Text("No runs yet: every `xqg` step records one (try `xqg demo`).", style="bold")
    counts = {status: sum(1 for run in runs if run.status == status) for status in STATUS_STYLES}
    parts: list[str | tuple[str, str]] = [f"{len(runs)} runs: "]
    for status, style in STATUS_STYLES.items():
        parts += [(f"{counts[status]} {status}", style if counts[status] else "dim"), "  "]
    parts.append(("(read every 2 s; Enter: details)", "dim"))
    return Text.assemble(*parts)
