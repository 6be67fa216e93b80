"""Bad input of every kind: exit 2, one line naming the file (and line), no traceback, and
the database as it was (or no database at all)."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.errors import InputError, shorten
from pipelines.training.config import EncoderTraining
from pipelines.training.folders import output_folder
from store import Store
from tests.conftest import Dump
from tests.pipelines.ingest.datafiles import write_jsonl
from tests.processes import xqg_command
from xqg_tui.cli import main

PASSAGE = {"type": "passage", "docid": "d1", "title": "Oslo", "text": "Oslo is in Norway."}
QUERY = {"type": "query", "qid": "q1", "lang": "fi", "text": "Missä Oslo on?", "relevant": ["d1"]}


@pytest.fixture
def ingested(tmp_path: Path) -> Path:
    """A database holding one small collection."""
    db = tmp_path / "xqg.db"
    assert main(["ingest", "jsonl", str(write_jsonl(tmp_path / "ok.jsonl", [PASSAGE, QUERY])),
                 "--db", str(db)]) == 0  # fmt: skip
    return db


def _deep(path: Path) -> Path:
    path.write_text(json.dumps(PASSAGE) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    return path


def _xnli_long_field(path: Path) -> Path:
    header = "language\tgold_label\tsentence1\tsentence2\tpromptID\tpairID\tgenre\n"
    row = f"en\tneutral\t{'x' * 200_000}\tshort\t1\t1\tfiction\n"
    path.write_text(header + row, encoding="utf-8")
    return path


CASES: dict[str, tuple[Callable[[Path], Path], list[str], str]] = {
    "grade beyond 64 bits": (
        lambda d: write_jsonl(d / "big.jsonl", [PASSAGE, {**QUERY, "relevant": {"d1": 2**70}}]),
        ["ingest", "jsonl"],
        "big.jsonl:2: grade 1180591620717411303424 of docid 'd1' in field 'relevant' does not fit",
    ),
    "JSON nested 100k deep": (
        lambda d: _deep(d / "deep.jsonl"),
        ["ingest", "jsonl"],
        "deep.jsonl:2: JSON nested too deeply to read",
    ),
    "a folder for a file": (lambda d: d, ["ingest", "jsonl"], ": is a folder; give the path"),
    "an XNLI field over 128 KiB": (
        lambda d: _xnli_long_field(d / "xnli.tsv"),
        ["ingest", "xnli"],
        "xnli.tsv:2: not XNLI TSV (field larger than field limit",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_files_exit_2_and_leave_the_database_unchanged(
    case: str, ingested: Path, tmp_path: Path, dump_db: Dump, capsys: pytest.CaptureFixture[str]
) -> None:
    make, command, expected = CASES[case]
    folder = tmp_path / "input"
    folder.mkdir()
    before = dump_db(ingested)
    capsys.readouterr()
    assert main([*command, str(make(folder)), "--db", str(ingested)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and expected in message, message
    assert "Traceback" not in message and message.count("\n") <= 2
    assert dump_db(ingested) == before


def test_a_damaged_database_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x01" * 4000)
    assert main(["runs", "--db", str(broken)]) == 2
    assert f"{broken}: not an SQLite database" in capsys.readouterr().err


def _no_big_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_full_disk_is_a_message_and_nothing_is_kept(
    ingested: Path, tmp_path: Path, dump_db: Dump, shared_data: Path
) -> None:
    before = dump_db(ingested)
    done = subprocess.run(
        [*xqg_command(), "ingest", "xquad", str(shared_data / "xquad"), "--db", str(ingested)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_no_big_files,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "the disk may be full" in done.stderr
    assert "no transaction is active" not in done.stderr  # the real cause, not the rollback's
    assert dump_db(ingested) == before


def test_a_locked_database_is_a_message(
    ingested: Path, tmp_path: Path, dump_db: Dump, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", [{**PASSAGE, "docid": "d2"}])
    before = dump_db(ingested)
    holder = sqlite3.connect(ingested, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        import store.db

        timeout, store.db.BUSY_TIMEOUT_S = store.db.BUSY_TIMEOUT_S, 0.2
        try:
            assert main(["runs", "--db", str(ingested)]) == 0  # readers read on (WAL)
            assert main(["ingest", "jsonl", str(other), "--db", str(ingested)]) == 2
        finally:
            store.db.BUSY_TIMEOUT_S = timeout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked by another writer" in capsys.readouterr().err
    assert dump_db(ingested) == before


def test_huge_values_are_echoed_and_stored_shortened(ingested: Path, tmp_path: Path) -> None:
    docid = "x" * 5_000_000
    run_file = tmp_path / "run.trec"
    run_file.write_text(f"q1 Q0 d1 1 2.0 t\nq1 Q0 {docid} 2 1.0 t\n", encoding="utf-8")
    done = subprocess.run(
        [*xqg_command(), "import-run", str(run_file), "--db", str(ingested), "--name", "huge"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[:500]
    assert len(done.stderr) < 2_000 and "(5,000,000 characters)" in done.stderr
    with sqlite3.connect(ingested) as conn:
        (summary,) = conn.execute("SELECT summary FROM runs WHERE name = 'huge'").fetchone()
    assert (
        len(summary) < 2_000 and shorten(docid) in json.loads(summary)["unknown_docids"]["examples"]
    )


@pytest.mark.parametrize("name", ["/abs/path", "../../x", "a/b", "..", "."])
def test_a_run_name_never_leads_outside_the_models_folder(store: Store, name: str) -> None:
    job = EncoderTraining(model="unused", collection="unused")
    with pytest.raises(InputError, match="cannot name a folder inside"):
        output_folder(store, job, name)
    inside = output_folder(store, job, "e5-ft")
    assert inside == store.path.with_suffix(".models").resolve() / "e5-ft"


@pytest.fixture
def read_only_copy(ingested: Path, tmp_path: Path) -> Iterator[Path]:
    """The database on a read-only file system (a read-only bind mount of its folder)."""
    folder, mount = ingested.parent, tmp_path / "read-only"
    with sqlite3.connect(ingested) as conn:  # fold the WAL into the file first
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    mount.mkdir()
    subprocess.run(["mount", "--bind", str(folder), str(mount)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], check=True)
        yield mount / ingested.name
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)  # even if a file is open


def test_a_read_only_database_can_be_read(
    read_only_copy: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["runs", "--db", str(read_only_copy)]) == 0
    assert "ingest-jsonl" in capsys.readouterr().out
    other = write_jsonl(tmp_path / "other.jsonl", [{**PASSAGE, "docid": "d2"}])
    assert main(["ingest", "jsonl", str(other), "--db", str(read_only_copy)]) == 2
    assert "the database is read-only here" in capsys.readouterr().err


WRITE_VECTORS = """
import resource, signal, sys
import numpy as np
from store import open_store
from store.collections import ensure_collection
from store.runs import start_run
from store.vectors import vector_writer

with open_store(sys.argv[1]) as store:
    collection = ensure_collection(store, "c", "jsonl")
    run = start_run(store, "index", "big", {}, collection_id=collection.id)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    with vector_writer(store, run_id=run.id, kind="passages", collection_id=collection.id,
                       encoder="e5-small", encoder_config={}, dim=256) as writer:
        writer.add(np.arange(4000), np.ones((4000, 256), dtype=np.float32))
"""


def test_a_full_disk_while_saving_vectors_is_named(tmp_path: Path) -> None:
    import sys

    db = tmp_path / "xqg.db"
    done = subprocess.run(
        [sys.executable, "-c", WRITE_VECTORS, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "store.errors.StoreError" in done.stderr
    assert "could not write the vector file ([Errno 27] File too large)" in done.stderr
    assert "the disk may be full" in done.stderr
    assert list(db.with_suffix(".vectors").iterdir()) == []  # no partial file is left
