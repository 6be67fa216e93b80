"""One lifecycle for every step's run: find or start, reuse, replace, resume, own, finish.

:func:`run_lifecycle` is the context manager every step runs inside. On entry it claims
the run in one write transaction (so processes starting together agree):

- a run of that name that finished with the same kind and parameters is **reused**;
- a finished run of the name with other parameters is refused (:class:`RunTakenError`);
- a run of the name that a live process is writing is refused (:class:`RunBusyError`),
  unless the step is resumable, joinable and the parameters agree (shards of one run join
  it);
- a failed run, or a running one whose owner died, is **resumed** when the step can
  continue its work (resumable and same parameters), else **replaced**;
- with no name, a running run of the same kind and parameters whose owner died is taken
  over in the same way, so a killed unnamed step does not leave a second run beside it.

The claimant is recorded as the run's owner (host, pid, process start time). On exit the
run is failed with the error, or removed with everything it wrote when the error is in
``discard`` (bad input leaves no trace); the body marks it done with :meth:`Claim.finish`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from store import owners, runs, vectors
from store.db import Store
from store.errors import ConflictError
from store.owners import Owner
from store.records import Run

Outcome = Literal["started", "reused", "resumed", "replaced"]
Note = Callable[[str], None]


class RunTakenError(ConflictError):
    """The name belongs to a finished run with other parameters."""


class RunBusyError(ConflictError):
    """Another live process is writing the run of that name."""


@dataclass
class Claim:
    """A run claimed by this process, and how it came to be (``outcome``)."""

    store: Store
    run: Run
    outcome: Outcome

    @property
    def reused(self) -> bool:
        """True when the run had finished already: there is nothing to compute."""
        return self.outcome == "reused"

    def finish(self, summary: Mapping[str, Any]) -> Run:
        """Mark the run done with its summary."""
        self.run = runs.finish_run(self.store, self.run.id, summary)
        return self.run


@contextmanager
def run_lifecycle(
    store: Store,
    kind: str,
    params: dict[str, Any],
    *,
    discard: tuple[type[BaseException], ...] = (),
    **options: Any,
) -> Iterator[Claim]:
    """Claim the run (:func:`claim_run`) and run the block under :func:`supervised`."""
    with supervised(claim_run(store, kind, params, **options), discard=discard) as claim:
        yield claim


@contextmanager
def supervised(claim: Claim, *, discard: tuple[type[BaseException], ...] = ()) -> Iterator[Claim]:
    """Run the block for a claimed run: on an error the run is failed with it, or removed
    with everything it wrote when the error is one of ``discard`` (bad input)."""
    if claim.reused:
        yield claim
        return
    try:
        yield claim
    except discard:
        if claim.outcome == "resumed":  # its earlier work is kept for the next attempt
            runs.fail_run(claim.store, claim.run.id, "stopped on bad input")
        else:
            discard_run(claim.store, claim.run.id)
        raise
    except BaseException as error:
        runs.fail_run(claim.store, claim.run.id, f"{type(error).__name__}: {error}")
        raise


def claim_run(
    store: Store,
    kind: str,
    params: dict[str, Any],
    *,
    name: str | None = None,
    default_name: str | None = None,
    parents: Iterable[tuple[str, int]] = (),
    collection_id: int | None = None,
    resumable: bool = False,
    joinable: bool = True,
    note: Note | None = None,
) -> Claim:
    """Find or start the run and record this process as its owner (one transaction)."""
    say = note or (lambda _: None)
    params = json.loads(json.dumps(params, sort_keys=True))
    replaced: list[int] = []
    with store.transaction():
        existing = runs.find_run(store, name) if name else _dead_twin(store, kind, params)
        claim = _decide(store, existing, kind, params, (resumable, joinable), say, replaced)
        if claim is None:
            chosen = name or (existing.name if existing else None)
            chosen = chosen or runs.unique_name(store, default_name or kind)
            run = runs.start_run(
                store, kind, chosen, params, parents=parents, collection_id=collection_id
            )
            claim = Claim(store, run, "replaced" if replaced else "started")
        if not claim.reused:
            _own(store, claim.run.id, owners.this_process())
    for run_id in replaced:  # files go once the rows that named them are gone for good
        _remove_run_files(store, run_id)
    return claim


def _decide(
    store: Store,
    existing: Run | None,
    kind: str,
    params: dict[str, Any],
    resuming: tuple[bool, bool],
    say: Note,
    replaced: list[int],
) -> Claim | None:
    """Reuse, resume or refuse ``existing``; None when a new run must be started (after
    deleting ``existing``, whose id then goes into ``replaced``). ``resuming``: whether the
    step can continue an earlier run, and whether a second process may join a live one."""
    resumable, joinable = resuming
    if existing is None:
        return None
    same = existing.kind == kind and existing.params == params
    if same and existing.status == "done":
        damaged = [
            d
            for v in vectors.run_vector_sets(store, existing.id)
            if (d := vectors.damage(store, v))
        ]
        if damaged and kind in REBUILT_IN_PLACE:
            say(f"{damaged[0]}; rebuilding {kind} run {existing.name!r} (run {existing.id})")
            vectors.remove_files(store, _forget_vector_sets(store, existing.id))
            _reopen(store, existing.id)
            return Claim(store, runs.get_run(store, existing.id), "resumed")
        say(f"{kind} {existing.name!r} is already done (run {existing.id}); reusing it")
        return Claim(store, existing, "reused")
    if existing.status == "done":
        raise RunTakenError(
            f"run name {existing.name!r} is taken by a {existing.kind} run with "
            "other parameters; choose another --name"
        )
    holder = owner_of(store, existing.id)
    live = existing.status == "running" and holder is not None and owners.is_alive(holder)
    if same and resumable and (joinable or not live):
        if not live:
            state = _state(existing, live)
            say(f"continuing the {state} run {existing.name!r} (run {existing.id})")
        _reopen(store, existing.id)
        return Claim(store, runs.get_run(store, existing.id), "resumed")
    if live:
        assert holder is not None
        raise RunBusyError(_busy_message(existing, holder))
    say(f"replacing the {_state(existing, live)} run {existing.name!r} (run {existing.id})")
    runs.delete_run(store, existing.id)
    replaced.append(existing.id)
    return None


# Steps whose only outputs are vector files: a finished run whose file is missing or not
# the one recorded is rebuilt under the same id (its dependents keep their links) when the
# step is run again, which is what the advice on a damaged file says to do.
REBUILT_IN_PLACE = ("index", "augment")


def _forget_vector_sets(store: Store, run_id: int) -> list[str]:
    """Delete a run's vector-set rows (and their shards'); return the paths of their files."""
    paths = vectors.run_shard_paths(store, run_id)
    store.execute("DELETE FROM vector_sets WHERE run_id = ?", (run_id,))
    return paths


def _state(run: Run, live: bool) -> str:
    return run.status if run.status != "running" or live else "interrupted"


def _busy_message(run: Run, holder: Owner) -> str:
    return (
        f"run {run.name!r} (run {run.id}) is being written by {holder.describe()} since "
        f"{run.started_at}; wait for it to finish, stop that process, or choose another --name"
    )


def _dead_twin(store: Store, kind: str, params: dict[str, Any]) -> Run | None:
    """The oldest running run of this kind and parameters whose owner is gone."""
    for row in store.rows(
        "SELECT * FROM runs WHERE kind = ? AND status = 'running' ORDER BY id", (kind,)
    ):
        run = Run.from_row(row)
        if run.params == params and is_stale(store, run):
            return run
    return None


def _reopen(store: Store, run_id: int) -> None:
    store.execute(
        "UPDATE runs SET status = 'running', ended_at = NULL, error = NULL WHERE id = ?",
        (run_id,),
    )


def _own(store: Store, run_id: int, owner: Owner) -> None:
    store.execute(
        "UPDATE runs SET owner_host = ?, owner_pid = ?, owner_started = ? WHERE id = ?",
        (owner.host, owner.pid, owner.started, run_id),
    )


def owner_of(store: Store, run_id: int) -> Owner | None:
    """The process recorded as writing the run, if any."""
    rows = store.rows(
        "SELECT owner_host, owner_pid, owner_started FROM runs WHERE id = ?", (run_id,)
    )
    if not rows or rows[0]["owner_pid"] is None:
        return None
    row = rows[0]
    return Owner(row["owner_host"], int(row["owner_pid"]), row["owner_started"] or "")


def is_stale(store: Store, run: Run) -> bool:
    """A running run that nobody is writing: its owner died (or none was ever recorded)."""
    if run.status != "running":
        return False
    holder = owner_of(store, run.id)
    return holder is None or not owners.is_alive(holder)


def stale_runs(store: Store) -> list[tuple[Run, Owner | None]]:
    """Runs marked running whose owner process is gone, with that owner, oldest first."""
    found = []
    for row in store.rows("SELECT * FROM runs WHERE status = 'running' ORDER BY id"):
        run = Run.from_row(row)
        if is_stale(store, run):
            found.append((run, owner_of(store, run.id)))
    return found


def discard_run(store: Store, run_id: int) -> None:
    """Delete a run, its rows and every vector file it wrote (registered or not)."""
    runs.delete_run(store, run_id)
    _remove_run_files(store, run_id)


def _remove_run_files(store: Store, run_id: int) -> None:
    for path in vectors.run_files(store, run_id):
        path.unlink(missing_ok=True)


class Garbage(NamedTuple):
    """What :func:`collect_garbage` removes, and the stale runs it keeps."""

    runs: list[Run]  # stale runs: removed with their partial outputs
    resumable: list[Run]  # stale generation runs with stored batches: kept, to be continued
    files: list[Path]  # files under the vectors folder that no vector set points at


def find_garbage(store: Store) -> Garbage:
    """Stale runs and unregistered vector files; the files of a live run are left out."""
    stale = [run for run, _ in stale_runs(store)]
    resumable = [
        run
        for run in stale
        if store.scalar("SELECT 1 FROM generation_batches WHERE run_id = ? LIMIT 1", (run.id,))
    ]
    running = {int(row[0]) for row in store.execute("SELECT id FROM runs WHERE status = 'running'")}
    live = running - {run.id for run in stale}
    files = [path for path, run_id in vectors.unregistered_files(store) if run_id not in live]
    return Garbage([run for run in stale if run not in resumable], resumable, files)


def collect_garbage(store: Store, garbage: Garbage) -> None:
    """Remove the stale runs (rows and files) and the unregistered files found."""
    for run in garbage.runs:
        if is_stale(store, runs.get_run(store, run.id)):  # nobody claimed it meanwhile
            discard_run(store, run.id)
    for path in garbage.files:
        path.unlink(missing_ok=True)
