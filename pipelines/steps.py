"""The life of a step's run record: reuse, start, finish, fail.

Every step runs through :func:`run_step`. A step given a ``name`` that already finished with
the same parameters is not recomputed (so a whole pipeline can be re-run after a crash and
picks up where it stopped); a failed or interrupted run of that name is replaced. Bad input
leaves no trace: its run record is removed with everything the step wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from store import runs, vectors
from store.db import Store
from store.errors import ConflictError
from store.records import Run

BAD_INPUT = (InputError, ConflictError)

StepBody = Callable[[Run], dict[str, Any]]


def run_step(
    store: Store,
    kind: str,
    params: dict[str, Any],
    body: StepBody,
    *,
    name: str | None = None,
    default_name: str | None = None,
    parents: Iterable[tuple[str, int]] = (),
    collection_id: int | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Record and execute one step; ``body`` computes and writes, returning the summary."""
    params = json.loads(json.dumps(params, sort_keys=True))
    if name is not None:
        existing = runs.find_run(store, name)
        if existing is not None:
            if _same(existing, kind, params):
                progress.note(f"{kind} {name!r} is already done (run {existing.id}); reusing it")
                return existing
            if existing.status == "done":
                raise InputError(
                    f"run name {name!r} is taken by a {existing.kind} run with "
                    "other parameters; choose another --name"
                )
            progress.note(f"replacing the {existing.status} run {name!r} (run {existing.id})")
            delete_run(store, existing.id)
    chosen = name or runs.unique_name(store, default_name or kind)
    run = runs.start_run(store, kind, chosen, params, parents=parents, collection_id=collection_id)
    try:
        summary = body(run)
    except BAD_INPUT:
        delete_run(store, run.id)
        raise
    except BaseException as error:
        runs.fail_run(store, run.id, f"{type(error).__name__}: {error}")
        raise
    return runs.finish_run(store, run.id, summary)


def delete_run(store: Store, run_id: int) -> None:
    """Delete a run, its rows and its vector files."""
    vectors.remove_files(store, runs.delete_run(store, run_id))


def require_done(run: Run) -> Run:
    """A parent run must have finished before a step builds on it."""
    if run.status != "done":
        raise InputError(f"run {run.name!r} is {run.status}, not done; rerun it first")
    return run


def _same(existing: Run, kind: str, params: dict[str, Any]) -> bool:
    return existing.status == "done" and existing.kind == kind and existing.params == params
