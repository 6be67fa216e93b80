"""xqg datasette: a running Datasette with xqg's labels, descriptions and canned queries,
read over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from store import open_store
from tests.conftest import copy_database
from xqg_tui.cli import main

pytestmark = pytest.mark.slow

XQG = [sys.executable, "-m", "xqg_tui.cli"]


@pytest.fixture(scope="module")
def small_db(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("datasette") / "xqg.db"
    assert main(["ingest", "xquad", str(small_xquad), "--db", str(db)]) == 0
    heldout = ["generate", "heldout", "--collection", "xquad", "--name", "stand-ins"]
    assert main([*heldout, "--db", str(db)]) == 0
    return db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(small_db: Path) -> Iterator[str]:
    """``xqg datasette`` running on a free port; its address."""
    port = _free_port()
    process = subprocess.Popen(
        [*XQG, "datasette", "--db", str(small_db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: datasette, its child, stops with it
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(address, "/-/versions.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read() if process.stderr else "") from None
                time.sleep(0.5)
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _get(address: str, path: str) -> Any:
    with urllib.request.urlopen(address + path, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def test_links_are_labelled_by_query_text_and_docid(served: str, small_db: Path) -> None:
    rows = _get(served, "/xqg/qrels.json?_labels=on&_shape=array&_size=3&_sort=query_id")
    with open_store(small_db, create=False) as store:
        expected = store.execute(
            "SELECT q.id, q.text, p.id, p.docid FROM qrels r JOIN queries q ON q.id = r.query_id "
            "JOIN passages p ON p.id = r.passage_id ORDER BY r.query_id LIMIT 3"
        ).fetchall()
    labelled = [(r["query_id"], r["passage_id"]) for r in rows]
    assert [(q["value"], q["label"], p["value"], p["label"]) for q, p in labelled] == expected


def test_the_generations_of_a_passage(served: str, small_db: Path) -> None:
    docid = "Super_Bowl_50#0"
    rows = _get(served, f"/xqg/generations_of_passage.json?docid={quote(docid)}&_shape=array")
    with open_store(small_db, create=False) as store:
        expected = store.execute(
            "SELECT g.language, g.text, g.detected_language FROM generations g JOIN passages p "
            "ON p.id = g.passage_id WHERE p.docid = ? ORDER BY g.language",
            (docid,),
        ).fetchall()
    assert len(expected) == 2  # one German and one Spanish stand-in
    assert [(r["run"], r["language"], r["text"], r["detected_language"]) for r in rows] == [
        ("stand-ins", *row) for row in expected
    ]


def test_per_language_metrics_and_descriptions(served: str) -> None:
    assert _get(served, "/xqg/metrics_per_language.json?run=none&_shape=array") == []
    described = _get(served, "/-/metadata.json")["databases"]["xqg"]["tables"]
    assert described["generations"]["columns"]["language_confidence"].startswith("py3langid")
    tables = {t["name"]: t for t in _get(served, "/xqg.json")["tables"]}
    assert tables["passages_fts_data"]["hidden"] and not tables["passages"]["hidden"]


def test_the_metadata_alone(small_db: Path, tmp_path: Path) -> None:
    written = tmp_path / "metadata.json"
    assert main(["datasette", "--db", str(small_db), "--metadata", str(written)]) == 0
    document = json.loads(written.read_text("utf-8"))
    assert set(document["databases"]["xqg"]["queries"]) == {
        "metrics_per_language",
        "generations_of_passage",
    }
    assert document["databases"]["xqg"]["tables"]["passages"]["label_column"] == "docid"


def test_runs_without_word_index_are_named_with_the_command_that_builds_it(
    small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(copy_database(small_db, tmp_path / "xqg.db"))]
    written = ["--metadata", str(tmp_path / "metadata.json")]
    assert main(["datasette", *db, *written]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "leaves out stand-ins (no word index yet)" in said
    assert "`xqg generate fts stand-ins`" in said
    assert main(["generate", "fts", "stand-ins", *db]) == 0
    with open_store(db[1], create=False) as store:
        stored = store.scalar("SELECT count(*) FROM generations")
    assert f"{stored:,} generated queries of stand-ins put into the word index" in " ".join(
        capsys.readouterr().out.split()
    )
    assert main(["generate", "fts", "stand-ins", *db]) == 0
    assert "in the word index already" in capsys.readouterr().out
    assert main(["datasette", *db, *written]) == 0
    assert "no word index" not in capsys.readouterr().out
    assert main(["generate", "fts", "nonesuch", *db]) == 2
