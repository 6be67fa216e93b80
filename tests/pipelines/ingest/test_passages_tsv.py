"""The DPR/XOR-TyDi passage TSV, plain and gzipped, streamed a batch at a time; MIRACL topics
and qrels onto its passages; every bad line named by file and line, nothing written."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipelines.ingest.passages_tsv import iter_passages_tsv
from tests.conftest import Dump
from tests.pipelines.ingest.datafiles import (
    Cli,
    Sql,
    last_run,
    table_counts,
)

HEADER = "id\ttext\ttitle\n"


def _corpus(shared_data: Path, count: int) -> list[tuple[str, str, str]]:
    """The first ``count`` XQuAD English paragraphs as DPR passages (id, text, title)."""
    articles = json.loads((shared_data / "xquad/xquad.en.json").read_text("utf-8"))["data"]
    rows = [
        (article["title"], paragraph["context"].replace("\n", " "))
        for article in articles
        for paragraph in article["paragraphs"]
    ]
    return [(str(n), text, title) for n, (title, text) in enumerate(rows[:count], start=1)]


def _write(path: Path, rows: list[tuple[str, str, str]], header: str = HEADER) -> Path:
    text = header + "".join("\t".join(row) + "\n" for row in rows)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["psgs_w100.tsv", "psgs_w100.tsv.gz"])
def test_passages_stream_in_batches_and_a_rerun_adds_nothing(
    shared_data: Path, tmp_path: Path, db_path: Path, cli: Cli, sql: Sql, name: str
) -> None:
    rows = _corpus(shared_data, 25)
    path = _write(tmp_path / name, rows)
    code, out, err = cli("ingest", "passages-tsv", path, "--collection", "xor", "--db", db_path)
    assert code == 0 and "error" not in err  # stderr shows the progress bars
    assert "added 25 of 25 passages to collection 'xor'" in out
    stored = sql("SELECT docid, title, text FROM passages ORDER BY id")
    assert stored == [(i, title, text) for i, text, title in rows]
    counts = table_counts(db_path)
    args = ("ingest", "passages-tsv", path, "--collection", "xor", "--db", db_path)
    assert cli(*args)[0] == 0
    assert last_run(db_path)["summary"]["added"]["passages"] == 0
    assert table_counts(db_path) == counts
    # A longer file (the corpus grew, or the first run was killed): only the rest is added.
    _write(path, _corpus(shared_data, 40))
    assert cli(*args)[0] == 0
    assert last_run(db_path)["summary"]["added"]["passages"] == 15
    assert table_counts(db_path)["passages"] == 40


def test_positions_follow_the_file_on_disk(shared_data: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "p.tsv.gz", _corpus(shared_data, 240))
    read = list(iter_passages_tsv(path))
    assert [number for number, _, _ in read] == list(range(2, 242))
    positions = [position for _, position, _ in read]
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "docid\ttext\ttitle\n1\tx\tt\n",
            ":1: the first line is 'docid|text|title'; expected the header id<TAB>text<TAB>title",
        ),
        (
            HEADER + "1\tx\tt\n2\tonly two\n",
            ":3: found 2 tab-separated fields; expected 3 (id, text, title)",
        ),
        (HEADER + "1\tx\tt\n\tx\tt\n", ":3: empty id"),
        (HEADER + "1\t \tt\n", ":2: empty text"),
        (
            HEADER + "1\tx\tt\n1\ty\tt\n",
            ":3: passage id '1' appears again with different text (first at line 2); ids must "
            "be unique",
        ),
        (HEADER, ": the passage file holds no passages"),
    ],
)
def test_bad_lines_name_file_and_line_and_write_nothing(
    tmp_path: Path, db_path: Path, cli: Cli, dump_db: Dump, text: str, message: str
) -> None:
    path = tmp_path / "psgs.tsv"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("ingest", "passages-tsv", path, "--db", db_path)
    # the last line of stderr (the progress bar of the check comes before it)
    assert (code, err.splitlines()[-1]) == (2, f"error: {path}{message}")
    if "appears again" in message:
        # Found while storing (the check holds no ids: memory stays flat); its batch is
        # not stored, only the collection's row is.
        assert table_counts(db_path)["passages"] == 0
    else:
        assert all(not rows for _, rows in dump_db(db_path))


def test_miracl_topics_and_qrels_onto_stored_passages(
    shared_data: Path, tmp_path: Path, db_path: Path, cli: Cli, sql: Sql
) -> None:
    qrels_file = shared_data / "miracl/qrels.miracl-v1.0-te-dev.tsv"
    topics = shared_data / "miracl/topics.miracl-v1.0-te-dev.tsv"
    judged = sorted({line.split()[2] for line in qrels_file.read_text("utf-8").splitlines()})
    # The te passages are not in the shared data: stand-ins under the judged docids.
    _write(tmp_path / "te.tsv", [(d, f"passage {d}", "") for d in judged])
    db = ("--collection", "miracl-te", "--db", db_path)
    assert cli("ingest", "passages-tsv", tmp_path / "te.tsv", *db)[0] == 0
    code, _, err = cli("ingest", "trec", qrels_file, "--topics", topics, *db)
    assert code == 0, err
    assert sql("SELECT DISTINCT language FROM queries") == [("te",)]
    assert table_counts(db_path)["queries"] == 828
    assert table_counts(db_path)["qrels"] == len(qrels_file.read_text("utf-8").splitlines())
    # A qrels file whose qids no topics file holds is refused, naming one that is held.
    other = shared_data / "miracl/qrels.miracl-v1.0-ko-dev.tsv"
    code, _, err = cli("ingest", "trec", other, "--topics", topics, *db)
    assert code == 2 and "is in no topics file (e.g. '2' is)" in err
