"""What the evaluate, compare and sweep commands share: report options, the tables they
print, and the files they write (JSON, Markdown, LaTeX, CSV, PNG), each written beside its
path and renamed, so a file is whole or absent. Output folders are checked before any
work starts.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.metrics.measures import SHOWN_FIRST

if TYPE_CHECKING:
    from pipelines.evaluate import EvaluationReport
    from pipelines.sweep import SweepReport

from pipelines.options import CORRECTION_NAMES, SIGNIFICANCE_LEVEL, TEST_NAMES

FILE_OPTIONS = ("json", "markdown", "latex", "csv", "png", "trec")


def add_statistics_options(parser: argparse.ArgumentParser) -> None:
    """--test, --correction and --level."""
    parser.add_argument(
        "--test",
        choices=TEST_NAMES,
        default=TEST_NAMES[0],
        help="paired test that decides the marks (default: t, the paper's)",
    )
    parser.add_argument(
        "--correction",
        choices=CORRECTION_NAMES,
        default=CORRECTION_NAMES[0],
        help="multiple-testing correction across languages and systems (default: holm)",
    )
    parser.add_argument(
        "--level",
        type=float,
        default=SIGNIFICANCE_LEVEL,
        help=f"significance level (default: {SIGNIFICANCE_LEVEL:g})",
    )


def add_output_options(parser: argparse.ArgumentParser, *, chart: bool = True) -> None:
    """--show, --details, --chart and the report files."""
    parser.add_argument("--show", help="measures to print (default: MRR@10 and R@2kt)")
    parser.add_argument(
        "--details", action="store_true", help="also print every statistic of each difference"
    )
    if chart:
        parser.add_argument(
            "--chart", action="store_true", help="draw the differences in the terminal"
        )
    parser.add_argument("--json", help="write the report as JSON")
    parser.add_argument("--markdown", help="write the report as Markdown")
    parser.add_argument("--latex", help="write LaTeX tables (booktabs)")
    parser.add_argument("--csv", help="write every number as CSV (long format)")
    parser.add_argument("--png", help="write a chart of the first shown measure as PNG")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse report paths that cannot be written, before any work starts."""
    from pipelines.errors import InputError

    for option in FILE_OPTIONS:
        value = getattr(args, option, None)
        if value is None:
            continue
        path = Path(value)
        if path.is_dir():
            raise InputError(f"--{option} names a folder; give a file path", path)
        if not path.parent.is_dir():
            raise InputError(f"--{option}: the folder {path.parent} does not exist", path)


def shown(measures: list[str], show: str | None) -> list[str]:
    """The measures to print: ``--show``, else MRR@10 and R@2kt, else the first."""
    from pipelines.errors import InputError

    if show:
        chosen = [m.strip() for m in show.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in measures]
        if unknown:
            raise InputError(
                f"--show {unknown[0]}: not in this report ({', '.join(measures)}); "
                "evaluate it with --measures or --kt first"
            )
        return chosen
    return [m for m in SHOWN_FIRST if m in measures] or measures[:1]


def show_report(report: EvaluationReport, args: argparse.Namespace) -> None:
    """Print an evaluation report's tables (and chart) and write the files asked for."""
    from xqg_tui import report as tables
    from xqg_tui.charts import delta_chart_png, delta_chart_text
    from xqg_tui.console import out, print_table

    _warn(report.warnings)
    if not report.measured:
        return  # nothing to tabulate: the warnings said why
    measures = shown(report.measured, args.show)
    for table in tables.rich_tables(report, measures, details=args.details, width=out.width):
        print_table(table)
    if getattr(args, "chart", False) and report.systems:
        from rich.text import Text

        for measure in measures:
            out.print(Text.from_ansi(delta_chart_text(report, measure)))
    writers: dict[str, Callable[[Path], object]] = {
        "json": lambda p: _write_text(p, _json(report.to_json())),
        "markdown": lambda p: _write_text(p, tables.markdown(report)),
        "latex": lambda p: _write_text(p, tables.latex(report)),
        "csv": lambda p: _write_text(p, tables.csv_text(report)),
        "png": lambda p: delta_chart_png(report, measures[0], p),
    }
    _write_files(args, writers, report.systems)


def show_sweep(sweep: SweepReport, args: argparse.Namespace) -> None:
    """Print a sweep's tables and write the files asked for."""
    from xqg_tui import sweep_report
    from xqg_tui.console import print_table

    _warn([*sweep.warnings, *sweep.report.warnings])
    measures = shown(sweep.report.measures, args.show)
    for table in sweep_report.rich_tables(sweep, measures):
        print_table(table)
    if args.details:
        from xqg_tui.report import detail_table

        for measure in measures:
            print_table(detail_table(sweep.report, measure))
    writers: dict[str, Callable[[Path], object]] = {
        "json": lambda p: _write_text(p, _json(sweep.to_json())),
        "markdown": lambda p: _write_text(p, sweep_report.markdown(sweep)),
        "latex": lambda p: _write_text(p, _sweep_latex(sweep)),
        "csv": lambda p: _write_text(p, sweep_report.csv_text(sweep)),
        "png": lambda p: sweep_report.sweep_chart_png(sweep, measures[0], p),
    }
    _write_files(args, writers, sweep.points)


def _sweep_latex(sweep: SweepReport) -> str:
    from xqg_tui.report import latex

    return latex(sweep.report)


def _write_files(
    args: argparse.Namespace,
    writers: dict[str, Callable[[Path], object]],
    systems: Sequence[object],
) -> None:
    from xqg_tui.console import err, out

    for option, write in writers.items():
        value = getattr(args, option, None)
        if value is None:
            continue
        if option == "png" and not systems:
            err.print("no system to compare with the baseline: no PNG written", style="yellow")
            continue
        write(Path(value))
        out.print(f"{option} report: {value}", highlight=False)


def _warn(warnings: list[str]) -> None:
    from xqg_tui.console import err, marked

    for warning in warnings:
        err.print(marked("WARNING:", "bold yellow", warning))


def _json(document: Mapping[str, object]) -> str:
    """JSON without NaN or infinity (they are not JSON): such values become null."""
    return json.dumps(_finite(document), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
