"""The run lifecycle at the store level: resume, replace, take over, refuse, and what gc keeps."""

from __future__ import annotations

import os
import socket

import pytest

from store import Store
from store.generations import GenerationBatch, add_generation_batch
from store.lifecycle import (
    RunBusyError,
    claim_run,
    find_garbage,
    owner_of,
    run_lifecycle,
    stale_runs,
)
from store.owners import Owner
from store.runs import get_run, list_runs

GONE = Owner(socket.gethostname(), 2**22 + 1, "1")  # above Linux's largest pid: never alive


def _orphan(
    store: Store, name: str, kind: str = "index", params: dict[str, int] | None = None
) -> int:
    """A running run left by a process that died (its owner recorded, no longer alive)."""
    run = claim_run(store, kind, params or {"k": 1}, name=name).run
    with store.transaction():
        store.execute(
            "UPDATE runs SET owner_host = ?, owner_pid = ?, owner_started = ? WHERE id = ?",
            (*GONE, run.id),
        )
    return run.id


def test_a_resumable_step_continues_its_failed_run_under_the_same_id(store: Store) -> None:
    with pytest.raises(RuntimeError), run_lifecycle(store, "generate", {"m": 1}, name="g"):
        raise RuntimeError("killed")
    failed = get_run(store, "g")
    claim = claim_run(store, "generate", {"m": 1}, name="g", resumable=True)
    assert (claim.outcome, claim.run.id, claim.run.status) == ("resumed", failed.id, "running")
    assert claim.run.error is None
    owner = owner_of(store, failed.id)
    assert owner is not None and (owner.host, owner.pid) == (socket.gethostname(), os.getpid())


def test_a_step_replaces_a_dead_owners_run_and_its_files(store: Store) -> None:
    dead = _orphan(store, "base")
    store.vectors_dir.mkdir()
    partial = store.vectors_dir / f"run{dead}-passages.partial"
    partial.write_bytes(b"cut short")
    notes: list[str] = []
    claim = claim_run(store, "index", {"k": 1}, name="base", note=notes.append)
    assert (claim.outcome, claim.run.id) == ("replaced", dead + 1)
    assert notes == [f"replacing the interrupted run 'base' (run {dead})"]
    assert not partial.exists()


def test_an_unnamed_step_takes_over_its_dead_twin_instead_of_starting_beside_it(
    store: Store,
) -> None:
    dead = _orphan(store, "index", params={"k": 1})
    other = _orphan(store, "index-2", params={"k": 2})
    claim = claim_run(store, "index", {"k": 1}, default_name="index")
    assert (claim.outcome, claim.run.name) == ("replaced", "index")
    assert [(r.id, r.name) for r in list_runs(store)] == [
        (other, "index-2"),
        (claim.run.id, "index"),
    ]
    assert claim.run.id > dead


def test_a_live_owner_keeps_its_run(store: Store) -> None:
    held = claim_run(store, "index", {"k": 1}, name="base").run  # this process: alive
    with pytest.raises(RunBusyError, match=f"being written by process {os.getpid()} on "):
        claim_run(store, "index", {"k": 2}, name="base")
    assert get_run(store, "base").id == held.id
    # A resumable step that writes one file set alone (the index step) does not join it.
    with pytest.raises(RunBusyError, match="being written by process"):
        claim_run(store, "index", {"k": 1}, name="base", resumable=True, joinable=False)
    # Shards of one resumable run join it while it runs.
    joined = claim_run(store, "index", {"k": 1}, name="base", resumable=True)
    assert (joined.outcome, joined.run.id) == ("resumed", held.id)


def test_gc_keeps_a_stale_generation_run_that_can_be_continued(store: Store) -> None:
    kept = _orphan(store, "mt5", kind="generate")
    gone = _orphan(store, "base")
    batch = GenerationBatch(0, 2, 2, 0, 0, 0, 0, 0.1, "1/1", "cpu")
    with store.transaction():
        add_generation_batch(store, kept, batch, [])
    assert [run.id for run, owner in stale_runs(store)] == [kept, gone]
    assert stale_runs(store)[0][1] == GONE
    found = find_garbage(store)
    assert ([r.id for r in found.runs], [r.id for r in found.resumable]) == ([gone], [kept])
