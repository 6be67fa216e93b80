"""What every command needs: the database it opens, progress bars, messages, reports."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.metrics.measures import SHOWN_FIRST

if TYPE_CHECKING:
    from pipelines.evaluate import EvaluationReport
    from store.db import Store
    from store.records import Run
    from xqg_tui.console import PlainProgress, TerminalProgress


def open_store(
    args: argparse.Namespace, *, create: bool = False, make_folder: bool = False
) -> Store:
    """The database named by ``--db`` (created only by commands that add data).

    Its folder must exist unless ``make_folder`` (``xqg demo`` sets up ``demo/``): a typo in
    ``--db`` is an error, not a new tree of folders.

    Raises:
        InputError: the folder of ``--db`` does not exist.
    """
    from pipelines.errors import InputError
    from store import open_store as open_database

    folder = Path(args.db).parent
    if not make_folder and not folder.is_dir():
        raise InputError(
            f"--db: the folder {folder} does not exist; create it or give another path",
            args.db,
        )
    if make_folder:
        folder.mkdir(parents=True, exist_ok=True)
    return open_database(args.db, create=create)


def progress() -> TerminalProgress | PlainProgress:
    """Progress on standard error: bars on a terminal, plain lines in a pipe or a file."""
    from xqg_tui.console import command_progress

    return command_progress()


def languages(text: str | None) -> list[str] | None:
    """A ``--langs`` value as normalised codes, or None when not given."""
    from pipelines.languages import parse_languages

    return None if text is None else parse_languages(text)


def done(run: Run, what: str, db: str) -> None:
    """Say what a step did, which run holds it, and where."""
    from xqg_tui.console import marked, out

    out.print(marked("✓", "green", f"{what} — run {run.name} (id {run.id}) in {db}"))


def said(what: str) -> None:
    """Say what a command did (literally: it may quote names from the user)."""
    from xqg_tui.console import marked, out

    out.print(marked("✓", "green", what))


def listed(values: Sequence[object]) -> str:
    """A default option value: the values, comma-separated (``100,500`` for budgets)."""
    return ",".join(map(str, values))


def integers(text: str, flag: str) -> list[int]:
    """Comma-separated positive integers, e.g. ``--kt 2000,5000``."""
    from pipelines.errors import InputError

    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputError(f"{flag} expects comma-separated integers, got {text!r}") from error
    if any(v < 1 for v in values):
        raise InputError(f"{flag} values must be positive")
    return values


def print_report(
    report: EvaluationReport,
    show: list[str] | None,
    json_path: str | None,
    markdown_path: str | None,
) -> None:
    """Print the evaluation tables (and warnings); write JSON/Markdown files when asked."""
    from xqg_tui.console import err, marked, out, print_table
    from xqg_tui.report import markdown, rich_tables

    for warning in report.warnings:
        err.print(marked("WARNING:", "bold yellow", warning))
    default = [m for m in SHOWN_FIRST if m in report.measures]
    for table in rich_tables(report, show or default or report.measures[:1], width=out.width):
        print_table(table)
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        out.print(f"JSON report: {json_path}")
    if markdown_path:
        Path(markdown_path).write_text(markdown(report), encoding="utf-8")
        out.print(f"Markdown report: {markdown_path}")


def add_encoding_engine(parser: argparse.ArgumentParser) -> None:
    """The options of where texts are encoded: this process or a Ray actor pool."""
    from pipelines.options import ENGINES

    group = parser.add_argument_group("engine", "where texts are encoded (vectors are the same)")
    group.add_argument("--engine", default=ENGINES[0], choices=ENGINES, help="local or ray")
    group.add_argument("--actors", type=int, help="Ray actors (default: one per GPU, else one)")
    group.add_argument(
        "--gpus-per-actor", type=float, help="GPUs of each Ray actor, e.g. 0.5 (default: 1)"
    )
    group.add_argument("--threads", type=int, help="CPU threads of each Ray actor (default: 1)")


def encoding_engine(args: argparse.Namespace) -> dict[str, Any]:
    """The engine options of :func:`add_encoding_engine`, as keyword arguments of a step."""
    return {
        "engine": args.engine,
        "actors": args.actors,
        "gpus_per_actor": args.gpus_per_actor,
        "threads": args.threads,
    }
