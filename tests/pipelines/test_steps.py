"""The step lifecycle: reuse, replace, fail, and leave no trace on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.errors import InputError
from pipelines.steps import run_step
from store import Store
from store.records import Run
from store.runs import get_run, list_runs


def _body(summary: dict[str, Any]) -> Any:
    calls: list[int] = []

    def body(run: Run) -> dict[str, Any]:
        calls.append(run.id)
        return summary

    body.calls = calls  # type: ignore[attr-defined]
    return body


def test_a_step_records_status_times_versions_and_summary(store: Store) -> None:
    run = run_step(store, "index", {"alpha": 0.5}, _body({"passages": 3}), name="base")
    row = store.rows("SELECT * FROM runs WHERE id = ?", (run.id,))[0]
    assert (run.status, run.kind, run.params, run.summary) == (
        "done",
        "index",
        {"alpha": 0.5},
        {"passages": 3},
    )
    assert row["started_at"] <= row["ended_at"]
    assert '"numpy"' in row["versions"] and '"python"' in row["versions"]


def test_a_finished_named_run_with_same_params_is_reused(store: Store) -> None:
    body = _body({"n": 1})
    first = run_step(store, "index", {"k": 1}, body, name="base")
    second = run_step(store, "index", {"k": 1}, body, name="base")
    assert second.id == first.id
    assert body.calls == [first.id]


def test_a_taken_name_with_other_params_is_refused(store: Store) -> None:
    run_step(store, "index", {"k": 1}, _body({}), name="base")
    with pytest.raises(InputError, match="run name 'base' is taken"):
        run_step(store, "index", {"k": 2}, _body({}), name="base")


def test_a_failure_is_recorded_and_a_rerun_replaces_it(store: Store) -> None:
    def broken(run: Run) -> dict[str, Any]:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_step(store, "index", {}, broken, name="base")
    failed = get_run(store, "base")
    assert (failed.status, failed.error) == ("failed", "RuntimeError: disk full")
    again = run_step(store, "index", {}, _body({"ok": True}), name="base")
    assert again.status == "done"
    assert [r.name for r in list_runs(store)] == ["base"]


def test_bad_input_leaves_no_run_record(store: Store) -> None:
    def rejects(run: Run) -> dict[str, Any]:
        raise InputError("bad line", "file.jsonl", 3)

    with pytest.raises(InputError, match=r"file\.jsonl:3: bad line"):
        run_step(store, "ingest", {}, rejects)
    assert list_runs(store) == []
