"""A database checked end to end: SQLite's own checks, every vector file against what was
recorded for it (full SHA-256), runs whose process is gone, files no run registered."""

from __future__ import annotations

from typing import NamedTuple

from store import lifecycle, vectors
from store.db import Store
from store.records import VectorSet


class Finding(NamedTuple):
    """One thing that is not as it should be: what kind of thing, and what was found."""

    kind: str  # integrity | foreign key | vector file | stale run | unregistered file
    detail: str


def check_database(store: Store) -> tuple[list[Finding], int]:
    """Every finding, and how many vector (shard) files were verified (read-only: writes
    nothing)."""
    findings = [Finding("integrity", row[0]) for row in store.execute("PRAGMA integrity_check")]
    findings = [f for f in findings if f.detail != "ok"]
    for table, rowid, parent, _ in store.execute("PRAGMA foreign_key_check").fetchall():
        findings.append(Finding("foreign key", f"{table} row {rowid} refers to a missing {parent}"))
    sets = [VectorSet.from_row(row) for row in store.rows("SELECT * FROM vector_sets ORDER BY id")]
    for vector_set in sets:
        damage = vectors.damage(store, vector_set, full=True)
        if damage:
            advice = "" if "; rebuild it" in damage else "; rerun the step that wrote it"
            findings.append(Finding("vector file", damage + advice))
    for run, owner in lifecycle.stale_runs(store):
        why = f"{owner.describe()} is gone" if owner else "no process is recorded as its owner"
        findings.append(
            Finding(
                "stale run",
                f"{run.kind} run {run.name!r} (run {run.id}) is marked running but {why}; "
                "rerun its step to continue or replace it, or `xqg gc --delete`",
            )
        )
    for path in lifecycle.find_garbage(store).files:
        findings.append(Finding("unregistered file", f"{path}: no run registered it; `xqg gc`"))
    return findings, sum(len(vectors.set_shards(store, s.id)) for s in sets)
