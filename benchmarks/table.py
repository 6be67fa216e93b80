"""The one-table format of ``make bench``: each benchmark appends its rows (benchmark,
xqg, alternative, ratio, identical) as JSON lines to the file named by ``--rows``, and
``benchmarks/bench_all.py`` prints them together."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TypedDict


class Row(TypedDict):
    """One line of the table: what was measured, both sides, and whether they agree."""

    benchmark: str
    xqg: str
    alternative: str
    ratio: float
    identical: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--quick`` (the size ``make bench`` runs) and ``--rows`` (where rows go)."""
    parser.add_argument("--quick", action="store_true", help="the smaller size of make bench")
    parser.add_argument("--rows", type=Path, help="append the table rows (JSON lines) here")


def write_rows(path: Path | None, rows: list[Row]) -> None:
    """Append ``rows`` to ``path`` (nothing when no path was given)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def seconds(value: float) -> str:
    """A duration as the table shows it."""
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
