"""Run ownership with real processes on a real database: one writer per run, dead owners found.

A holder process claims a run through the real lifecycle and waits; the tests then start
real ``xqg`` commands beside it, kill it with SIGKILL, and look at what ``xqg runs --stale``
and ``xqg gc`` make of what it left.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.ingest import ingest, read_xquad
from store import open_store
from store.lifecycle import stale_runs
from store.owners import Owner, is_alive, process_start, this_process
from tests.conftest import Dump
from tests.processes import xqg_command
from xqg_tui.cli import main

HOLDER = """
import sys
from store import open_store
from store.lifecycle import run_lifecycle

with open_store(sys.argv[1]) as store:
    with run_lifecycle(store, "index", {"k": 1}, name=sys.argv[2]) as claim:
        folder = store.vectors_dir
        folder.mkdir(exist_ok=True)
        (folder / f"run{claim.run.id}-passages.partial").write_bytes(b"half a file")
        print(claim.run.id, flush=True)
        sys.stdin.read()
        claim.finish({"held": True})
"""


@pytest.fixture(scope="module")
def ingested(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("owners") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(small_xquad, ["en", "de"]), name="ingest")
    return path


@pytest.fixture
def db(ingested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "4000")  # no wrapped messages
    shutil.copy(ingested, tmp_path / "xqg.db")
    return tmp_path / "xqg.db"


class Holder:
    """A process that holds the run ``name`` until it is released or killed."""

    def __init__(self, db: Path, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.run_id = int(self.process.stdout.readline())

    def release(self) -> int:
        """Let the holder finish its run; its exit code."""
        self.process.communicate("")
        return self.process.returncode

    def kill(self) -> None:
        """kill -9, as a crash or the OOM killer would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.process.poll() is None:
            holder.kill()


def test_a_second_step_on_a_running_name_is_refused_and_changes_nothing(
    db: Path, holders: list[Holder], capsys: pytest.CaptureFixture[str], dump_db: Dump
) -> None:
    holders.append(holder := Holder(db, "base"))
    before = dump_db(db)
    code = main(["generate", "heldout", "--db", str(db), "--collection", "xquad", "--name", "base"])
    message = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert (
        f"run 'base' (run {holder.run_id}) is being written by process {holder.process.pid} "
        f"on {socket.gethostname()}" in message
    )
    assert "wait for it to finish, stop that process, or choose another --name" in message
    assert dump_db(db) == before
    assert holder.release() == 0  # the holder's run was left alone and finishes
    with open_store(db) as store:
        row = store.rows("SELECT id, status, summary FROM runs WHERE name = 'base'")[0]
    assert row == {"id": holder.run_id, "status": "done", "summary": '{"held": true}'}


def test_xqg_processes_started_together_with_one_name_make_one_run(db: Path) -> None:
    command = [*xqg_command(), "generate", "heldout", "--db", str(db)]
    command += ["--collection", "xquad", "--k", "1", "--seed", "13", "--name", "same"]
    for _ in range(int(os.environ.get("XQG_STRESS_SCALE", "1")) * 2):
        started = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        outcomes = sorted((p.wait(), p.communicate()[1]) for p in started)
        # One writes; each other one came while it wrote (refused) or after it (reused).
        assert outcomes[0][0] == 0, outcomes
        for code, err in outcomes[1:]:
            assert code == 0 or (code == 2 and "is being written by process" in err), outcomes
    with open_store(db) as store:
        assert store.rows("SELECT name, status FROM runs WHERE kind = 'generate'") == [
            {"name": "same", "status": "done"}
        ]
        # 40 passages, one question id each, in German (the one language but English).
        assert store.rows("SELECT language, count(*) AS n FROM generations GROUP BY 1") == [
            {"language": "de", "n": 40}
        ]


def test_a_dead_owner_is_stale_and_gc_removes_its_run_and_files(
    db: Path, holders: list[Holder], capsys: pytest.CaptureFixture[str]
) -> None:
    holders.append(dead := Holder(db, "killed"))
    holders.append(alive := Holder(db, "working"))
    stray = db.with_suffix(".vectors") / "run999-passages.usearch"
    stray.write_bytes(b"no run registered this")
    dead.kill()
    dead_file = db.with_suffix(".vectors") / f"run{dead.run_id}-passages.partial"
    alive_file = db.with_suffix(".vectors") / f"run{alive.run_id}-passages.partial"
    host = socket.gethostname()

    assert main(["runs", "--db", str(db), "--stale"]) == 0
    listed = capsys.readouterr().out
    assert f"stale: process {dead.process.pid} on {host} is gone" in listed
    assert "killed" in listed and "working" not in listed

    assert main(["gc", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert f"would remove stale run 'killed' (run {dead.run_id}, index)" in shown
    assert f"would remove unregistered file {dead_file}" in shown
    assert f"would remove unregistered file {stray}" in shown
    assert str(alive_file) not in shown
    assert "run again with --delete" in shown
    assert dead_file.exists() and stray.exists()  # a dry run removes nothing

    assert main(["gc", "--db", str(db), "--delete"]) == 0
    assert not dead_file.exists() and not stray.exists()
    assert alive_file.exists()
    with open_store(db) as store:
        assert stale_runs(store) == []
        assert [r["name"] for r in store.rows("SELECT name FROM runs ORDER BY id")] == [
            "ingest",
            "working",
        ]
    capsys.readouterr()
    assert main(["gc", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == "nothing to remove"


def test_a_rerun_replaces_the_run_of_a_dead_owner(
    db: Path, holders: list[Holder], capsys: pytest.CaptureFixture[str]
) -> None:
    holders.append(dead := Holder(db, "base"))
    dead.kill()
    args = ["generate", "heldout", "--db", str(db), "--collection", "xquad", "--name", "base"]
    assert main(args) == 0
    assert f"replacing the interrupted run 'base' (run {dead.run_id})" in capsys.readouterr().err
    with open_store(db) as store:
        rows = store.rows("SELECT id, kind, status FROM runs WHERE name = 'base'")
    assert rows == [{"id": dead.run_id + 1, "kind": "generate", "status": "done"}]
    assert not (db.with_suffix(".vectors") / f"run{dead.run_id}-passages.partial").exists()


def test_an_owner_is_known_by_pid_and_process_start_time() -> None:
    me = this_process()
    assert (me.host, me.pid) == (socket.gethostname(), os.getpid())
    assert me.started == process_start(os.getpid()) != ""
    assert is_alive(me)
    assert not is_alive(me._replace(started=str(int(me.started) + 1)))  # the pid was reused
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not is_alive(Owner(me.host, int(finished.stdout), ""))
    assert is_alive(Owner("another-host", 1, "5"))  # cannot be checked from here
