"""Steps run inside the one run lifecycle (:mod:`store.lifecycle`).

A step given a ``name`` that already finished with the same parameters is not recomputed
(so a whole pipeline can be re-run after a crash and picks up where it stopped); a failed
or interrupted run of that name is replaced, and one that a live process is writing is
refused. Bad input leaves no trace: its run record is removed with everything the step
wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from store import lifecycle
from store.db import Store
from store.errors import StoreError
from store.records import Run

# Errors after which a step's run is removed with what it wrote (nothing half-written is
# kept): bad input (files; a database or vector file not as recorded) and a disk that is
# full or failing (OSError; SQLite's I/O and "database or disk is full" errors), which the
# user fixes before running the step again.
BAD_INPUT = (InputError, StoreError, OSError, sqlite3.OperationalError)

StepBody = Callable[[Run], Mapping[str, Any]]


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
    resumable: bool = False,
    progress: Progress = SILENT,
) -> Run:
    """Record and execute one step; ``body`` computes and writes, returning the summary.

    A ``resumable`` step's failed or interrupted run of the same parameters is continued
    (``body`` runs again on it and picks up what it had stored) instead of replaced; one that
    a live process is writing is refused."""
    claim = claim_run(
        store,
        kind,
        params,
        name=name,
        default_name=default_name,
        parents=parents,
        collection_id=collection_id,
        resumable=resumable,
        joinable=False,
        note=progress.note,
    )
    with lifecycle.supervised(claim, discard=BAD_INPUT):
        return claim.run if claim.reused else claim.finish(body(claim.run))


def claim_run(store: Store, kind: str, params: dict[str, Any], **options: Any) -> lifecycle.Claim:
    """:func:`store.lifecycle.claim_run`; a name taken by a run with other parameters is bad
    input (exit 2), which the message says how to fix."""
    try:
        return lifecycle.claim_run(store, kind, params, **options)
    except lifecycle.RunTakenError as error:
        raise InputError(error.message) from error


def delete_run(store: Store, run_id: int) -> None:
    """Delete a run, its rows and its vector files."""
    lifecycle.discard_run(store, run_id)


def require_done(run: Run) -> Run:
    """A parent run must have finished before a step builds on it."""
    if run.status != "done":
        raise InputError(f"run {run.name!r} is {run.status}, not done; rerun it first")
    return run
