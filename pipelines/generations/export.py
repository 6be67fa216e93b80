"""Exporting a generation run as JSONL in the layouts ``import-generations`` reads.

* ``official``: one object per passage, ``{"docid": ..., "generated_queries": {lang: [...]}}``
  (the layout of the released xQG4xDR files);
* ``flat``: one object per query, ``{"docid": ..., "lang": ..., "text": ...}``.

Passages come in stored order, languages alphabetically, queries by position, so importing
an export reproduces the run's rows (positions are list order, as generated runs number
them). The file is written beside its final path and moved there when complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import NamedTuple, TextIO

from pipelines.errors import InputError
from pipelines.options import LAYOUTS, Layout
from pipelines.steps import require_done
from store import generations, runs
from store.db import Store
from store.generations import ExportedGeneration


class ExportSummary(NamedTuple):
    """What an export wrote."""

    path: Path
    layout: str
    passages: int
    generations: int


def export_generations(
    store: Store, run_ref: str | int, path: str | Path, *, layout: Layout = "official"
) -> ExportSummary:
    """Write the generated queries of a finished ``generate`` run to ``path``."""
    if layout not in LAYOUTS:
        raise InputError(f"--format must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    run = require_done(runs.get_run(store, run_ref, kind="generate"))
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the path of the JSONL file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    rows = generations.iter_generations_for_export(store, run.id)
    try:
        with partial.open("w", encoding="utf-8") as out:
            passages, count = _write(out, rows, layout)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(path, layout, passages, count)


def _write(out: TextIO, rows: Iterator[ExportedGeneration], layout: Layout) -> tuple[int, int]:
    passages = count = 0
    for docid, group in groupby(rows, key=lambda row: row.docid):
        queries = list(group)
        passages += 1
        count += len(queries)
        if layout == "flat":
            for query in queries:
                _line(out, {"docid": docid, "lang": query.language, "text": query.text})
            continue
        by_language: dict[str, list[str]] = {}
        for query in queries:
            by_language.setdefault(query.language, []).append(query.text)
        _line(out, {"docid": docid, "generated_queries": by_language})
    return passages, count


def _line(out: TextIO, record: dict[str, object]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
