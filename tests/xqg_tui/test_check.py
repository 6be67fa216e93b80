"""xqg check: a whole database passes; each kind of damage is a finding and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from store import Store
from store.runs import finish_run, start_run
from store.vectors import vector_path
from tests.conftest import MakeVectorSet
from xqg_tui.cli import main

KEYS = np.arange(1, 21, dtype=np.uint64)


@pytest.fixture
def checked(store: Store, make_vector_set: MakeVectorSet) -> Path:
    """A database with one index run and its vector file."""
    vectors = np.random.default_rng(3).standard_normal((len(KEYS), 8)).astype(np.float32)
    vector_set = make_vector_set(store, KEYS, vectors)
    finish_run(store, vector_set.run_id, {})
    return vector_path(store, vector_set)


def _check(store: Store, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    code = main(["check", "--db", str(store.path), *flags])
    return code, capsys.readouterr().out


def test_a_whole_database_is_ok(
    store: Store, checked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(store, capsys) == (0, f"ok: {store.path}, 1 vector files verified\n")
    code, out = _check(store, capsys, "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "vector_files": 1, "findings": []}


def test_each_kind_of_damage_is_a_finding(
    store: Store, checked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(checked.read_bytes())
    data[-8:] = bytes(255 - b for b in data[-8:])  # same size, same header
    checked.write_bytes(bytes(data))
    (checked.parent / "run99-passages.usearch").write_bytes(b"left over")
    stale = start_run(store, "search", "half-done", {})
    code, out = _check(store, capsys)
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == (
        f"vector file: {checked}: SHA-256 differs from the one recorded for shard 0 of vector "
        "set 1: the file changed after it was written; rerun the step that wrote it"
    )
    assert lines[1].startswith(f"stale run: search run 'half-done' (run {stale.id}) is marked")
    assert lines[2].startswith(f"unregistered file: {checked.parent / 'run99-passages.usearch'}")
    assert lines[3] == f"3 finding(s): {store.path}, 1 vector files verified"
    code, out = _check(store, capsys, "--json")
    found = json.loads(out)
    assert code == 2 and found["ok"] is False
    assert [f["kind"] for f in found["findings"]] == [
        "vector file",
        "stale run",
        "unregistered file",
    ]


def test_a_broken_reference_is_a_finding(
    store: Store, checked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.execute("PRAGMA foreign_keys = OFF")
    store.execute("UPDATE vector_sets SET run_id = 999")
    code, out = _check(store, capsys)
    assert code == 2
    assert "foreign key: vector_sets row 1 refers to a missing runs" in out
