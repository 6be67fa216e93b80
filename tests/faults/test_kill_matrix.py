"""kill -9 matrix: every long step is killed at seeded random points, then run again.

Each step runs as a real ``xqg`` process on a copy of the database its parent steps built;
it is killed (SIGKILL) at a random moment after it claimed its run, or, for steps that
write vectors, while its vector file is being written or has just been renamed into place.
The same command is then run again, with and without ``--name``. The database must end
exactly as an uninterrupted run leaves it (tables without ids and times, the vector files'
checksums), with no second run beside the killed one and no file that no run registered.
``XQG_STRESS_SCALE`` multiplies the kill points (``make stress`` sets 10).
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles
from tests.pipelines.generations.tiny_mt5 import build_tiny_mt5
from tests.processes import default_sigint, xqg_command
from xqg_tui.cli import main

SCALE = int(os.environ.get("XQG_STRESS_SCALE", "1"))
SEED = 20261204
# Columns that legitimately differ between a killed-and-rerun step and a clean one.
VARYING = {
    "runs": {"id", "started_at", "ended_at", "versions", "summary", "error"},
    "collections": {"created_at"},
    # usearch's graph (so the file's bytes, so its SHA-256) varies from build to build; the
    # vectors themselves are compared instead (``vectors`` in the state).
    "vector_sets": {"id", "path", "created_at", "sha256"},
    # Shards are written without a graph: their bytes (so SHA-256) are compared as they are.
    "vector_shards": {"vector_set_id", "path", "created_at"},
    "generations": {"id"},
    "generation_batches": {"seconds", "finished_at"},
}
OWNER = ("owner_host", "owner_pid", "owner_started")
RUN_REFERENCES = {"run_id", "parent_id", "source_run_id", "eval_run_id"}

State = dict[str, list[tuple[object, ...]]]  # table -> rows; "vectors" -> file contents


class Step(NamedTuple):
    """A step of the pipeline: its run kind, its run name and its ``xqg`` arguments."""

    kind: str
    name: str
    args: Callable[[dict[str, Path]], list[str]]
    writes_vectors: bool = False


STEPS = {
    "ingest": Step("ingest", "ingest", lambda p: ["ingest", "xquad", str(p["xquad"])]),
    "index": Step(
        "index",
        "base",
        lambda p: ["index", "--collection", "xquad", "--encoder", f"hf:{p['bert']}"],
        writes_vectors=True,
    ),
    "heldout": Step(
        "generate",
        "stand-ins",
        lambda p: ["generate", "heldout", "--collection", "xquad", "--k", "1", "--seed", "13"],
    ),
    "model": Step(
        "generate",
        "mt5",
        lambda p: [
            *("generate", "model", "--collection", "xquad", "--model", str(p["mt5"])),
            *("--langs", "de", "--per-lang", "1", "--max-new-tokens", "4"),
            *("--max-input-length", "32", "--batch-size", "4", "--seed", "7", "--threads", "1"),
        ],
    ),
    "augment": Step(
        "augment",
        "xqg",
        lambda p: [
            *("augment", "--index", "base", "--generations", "stand-ins"),
            *("--alpha", "0.01", "--agg", "sum"),
        ],
        writes_vectors=True,
    ),
    "search": Step("search", "s-xqg", lambda p: ["search", "--index", "xqg", "--depth", "20"]),
    "evaluate": Step("evaluate", "ev", lambda p: ["evaluate", "s-xqg", "--kt", "100"]),
}


@pytest.fixture(scope="module")
def inputs(
    small_xquad: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The data and the two tiny models the steps use (no model download, no e5-small)."""
    models = tmp_path_factory.mktemp("models")
    return {
        "xquad": small_xquad,
        "bert": build_tiny_bert(models / "bert", xquad_articles(shared_data / "xquad")),
        "mt5": build_tiny_mt5(models / "mt5", shared_data / "xquad"),
    }


@pytest.fixture(scope="module")
def before(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Step -> a folder holding the database as it is just before that step runs."""
    root = tmp_path_factory.mktemp("chain")
    work = root / "work"
    work.mkdir()
    found = {}
    for label, step in STEPS.items():
        found[label] = root / label
        shutil.copytree(work, found[label])
        assert main([*step.args(inputs), "--db", str(work / "xqg.db"), "--name", step.name]) == 0
    return found


@pytest.mark.parametrize("label", list(STEPS))
def test_a_killed_step_reruns_to_the_state_of_a_clean_run(
    label: str, inputs: dict[str, Path], before: dict[str, Path], tmp_path: Path
) -> None:
    step = STEPS[label]
    rng = random.Random(f"{SEED}-{label}")
    clean: dict[bool, State] = {}
    for point in range(2 * SCALE):
        named = point % 2 == 0  # with and without --name at every scale
        args = step.args(inputs) + (["--name", step.name] if named else [])
        if named not in clean:
            clean[named] = _state(_run_clean(before[label], tmp_path / f"clean-{named}", args))
        db = tmp_path / f"cut-{point}" / "xqg.db"
        # One of the two runs of a vector-writing step is cut during its file write.
        at_file = step.writes_vectors and point % 2 == (label == "augment")
        _kill(args, before[label], db, step.kind, at_file, rng, tmp_path / "xqg.log")
        assert main([*args, "--db", str(db)]) == 0, (tmp_path / "xqg.log").read_text()
        found = _state(db)
        assert found == clean[named], (
            f"{label} {point} {named} {at_file}: {_differ(found, clean[named])}"
        )
        assert _unregistered(db) == []


def _run_clean(folder: Path, target: Path, args: list[str]) -> Path:
    shutil.copytree(folder, target)
    db = target / "xqg.db"
    assert main([*args, "--db", str(db)]) == 0
    return db


def _kill(
    args: list[str],
    source: Path,
    db: Path,
    kind: str,
    at_file: bool,
    rng: random.Random,
    log: Path,
) -> None:
    """Copy ``source`` to ``db``'s folder, start the step there as a real process and kill -9
    it once it holds its run: after a random delay, or (``at_file``) as soon as its vector
    file exists. A delay can outlast a small step: then it starts again from a fresh copy,
    with shorter delays, until a kill lands while the step runs."""
    for attempt in range(10):
        shutil.rmtree(db.parent, ignore_errors=True)
        shutil.copytree(source, db.parent)
        delay = 0.0 if at_file else rng.uniform(0, 0.2 if attempt == 0 else 0.01)
        with log.open("ab") as err:
            process = subprocess.Popen(
                [*xqg_command(), *args, "--db", str(db)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=default_sigint,
            )
            claimed = _wait_for_claim(db, kind, process, at_file)
            time.sleep(delay)
            process.kill()
            process.wait(timeout=60)
        # Landed: killed while its run was still running (not while the process was exiting).
        if claimed and _claimed(db, kind, process.pid) is not None:
            return
    raise AssertionError(f"no kill landed while the step ran: {log.read_text()[-2000:]}")


def _wait_for_claim(db: Path, kind: str, process: subprocess.Popen[bytes], at_file: bool) -> bool:
    """Whether the process claimed its run (and, with ``at_file``, began writing to disk)."""
    deadline = time.monotonic() + 120
    run_id = None
    while run_id is None and process.poll() is None and time.monotonic() < deadline:
        run_id = _claimed(db, kind, process.pid)
        time.sleep(0 if run_id is not None else 0.002)
    # The file is written and registered within milliseconds: watch the folder closely.
    while at_file and run_id is not None and process.poll() is None:
        if _files_of(db, run_id):
            return True
    return run_id is not None and not at_file


def _claimed(db: Path, kind: str, pid: int) -> int | None:
    if not db.exists():
        return None
    conn = sqlite3.connect(db, timeout=30)
    try:
        row = conn.execute(
            "SELECT id FROM runs WHERE kind = ? AND status = 'running' AND owner_pid = ?",
            (kind, pid),
        ).fetchone()
        return None if row is None else int(row[0])
    except sqlite3.OperationalError:  # not migrated yet
        return None
    finally:
        conn.close()


def _files_of(db: Path, run_id: int) -> list[Path]:
    folder = db.with_suffix(".vectors")
    return list(folder.glob(f"run{run_id}-*")) if folder.is_dir() else []


def _state(db: Path) -> State:
    """Every table's rows, run ids replaced by run names, varying columns left out."""
    conn = sqlite3.connect(db)
    try:
        names = dict(conn.execute("SELECT id, name FROM runs").fetchall())
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        state = {table: _rows(conn, table, names) for table in tables}
        files = conn.execute(
            "SELECT v.run_id, v.kind, s.path FROM vector_shards s "
            "JOIN vector_sets v ON v.id = s.vector_set_id"
        ).fetchall()
    finally:
        conn.close()
    state["vectors"] = sorted(
        (names[run_id], kind, _vectors(db.parent / path)) for run_id, kind, path in files
    )
    return state


def _vectors(path: Path) -> bytes:
    """A vector file's (key, vector) pairs in key order, as bytes."""
    import numpy as np
    from usearch.index import Index

    index = Index.restore(str(path), view=True)
    keys = np.sort(np.asarray(index.keys, dtype=np.uint64))
    return keys.tobytes() + np.asarray(index.get(keys), dtype=np.float32).tobytes()


def _rows(conn: sqlite3.Connection, table: str, names: dict[int, str]) -> list[tuple[object, ...]]:
    assert table.isidentifier(), table
    cursor = conn.execute('SELECT * FROM "' + table + '"')
    columns = [column[0] for column in cursor.description]
    skip = VARYING.get(table, set()) | set(OWNER)
    rows = [
        tuple(
            names.get(value, value) if column in RUN_REFERENCES else value
            for column, value in zip(columns, row, strict=True)
            if column not in skip
        )
        for row in cursor.fetchall()
    ]
    return sorted(rows, key=repr)


def _unregistered(db: Path) -> list[str]:
    """Files under the vectors folder that no vector set points at."""
    folder = db.with_suffix(".vectors")
    if not folder.is_dir():
        return []
    conn = sqlite3.connect(db)
    try:
        registered = {Path(row[0]).name for row in conn.execute("SELECT path FROM vector_shards")}
    finally:
        conn.close()
    return sorted(p.name for p in folder.iterdir() if p.name not in registered)


def _differ(found: State, expected: State) -> str:
    """The tables that differ, with their first differing rows, for the failure message."""
    lines = []
    for table in sorted({*found, *expected}):
        got, want = found.get(table, []), expected.get(table, [])
        if got != want:
            extra = [row for row in got if row not in want][:2]
            missing = [row for row in want if row not in got][:2]
            lines.append(
                f"{table}: {len(got)} rows, {len(want)} expected; extra {extra}; missing {missing}"
            )
    return "\n".join(lines)


def test_following_the_advice_on_lost_vector_files_restores_the_state(
    inputs: dict[str, Path], before: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    """The vectors folder is gone: search names the file and says to rerun the step that
    wrote it; rerunning index and augment as they were run rebuilds both files in place."""
    db = shutil.copytree(before["search"], tmp_path / "lost") / "xqg.db"
    original = _state(db)
    shutil.rmtree(db.with_suffix(".vectors"))
    search = STEPS["search"]
    assert main([*search.args(inputs), "--db", str(db), "--name", search.name]) == 2
    advice = capsys.readouterr().err
    assert "is missing; rebuild it: rerun the step that wrote it" in advice
    for label in ("index", "augment"):
        step = STEPS[label]
        assert main([*step.args(inputs), "--db", str(db), "--name", step.name]) == 0
        assert "rebuilding" in capsys.readouterr().err
    assert _state(db) == original
    assert main([*search.args(inputs), "--db", str(db), "--name", search.name]) == 0
