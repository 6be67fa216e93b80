"""Migrations on a database made by schema 4: every row and reference kept, ids never reused,
rankings packed one row per query with the ``results`` view giving the same rows back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store import open_store, results
from store.db import _statements
from store.runs import start_run
from store.schema import APPLICATION_ID, MIGRATIONS
from tests.conftest import Dump

# PRAGMAs take no parameters: built once from integers.
OLD_VERSION = 4
PRAGMAS = (f"PRAGMA application_id = {int(APPLICATION_ID)}", f"PRAGMA user_version = {OLD_VERSION}")
OLD_VECTOR_SET_WIDTH = 14  # id ... created_at
OLD_RUN_WIDTH = 11  # the columns of runs in schema 4: id ... error
OLD_GENERATION_WIDTH = 7  # id ... source_query_id
NEW_TABLES = {"adversarial_queries", "vector_shards"}  # created by later migrations
ROWS = [
    "INSERT INTO collections VALUES (1, 'xquad', 'xquad.en.json', '2026-01-01')",
    "INSERT INTO passages (id, collection_id, docid, title, text) VALUES "
    "(1, 1, 'p1', 'Denver', 'The Broncos won.'), (2, 1, 'p2', 'Paris', 'The Seine flows.')",
    "INSERT INTO queries (id, collection_id, qid, language, text) VALUES "
    "(1, 1, 'q1', 'en', 'Who won?')",
    "INSERT INTO qrels VALUES (1, 1, 1)",
    "INSERT INTO runs (id, kind, name, collection_id, status, started_at, summary) VALUES "
    "(1, 'ingest', 'ingest', 1, 'done', '2026-01-01', '{\"passages\": 2}'), "
    "(2, 'index', 'base', 1, 'done', '2026-01-02', '{}'), "
    "(3, 'generate', 'stand-ins', 1, 'done', '2026-01-03', '{}'), "
    "(5, 'search', 'search', 1, 'failed', '2026-01-05', '{}')",
    "INSERT INTO run_parents VALUES (5, 2, 'index'), (2, 1, 'ingest')",
    "INSERT INTO generations (id, run_id, passage_id, language, position, text) VALUES "
    "(1, 3, 1, 'de', 0, 'Wer hat gewonnen?')",
    "INSERT INTO generations_indexed VALUES (3)",
    "INSERT INTO generations_fts (rowid, text) VALUES (1, 'Wer hat gewonnen?')",
    "INSERT INTO vector_sets VALUES (1, 2, 'passages', 1, NULL, 'e5-small', '{}', 384, 'ip', "
    "'f32', 2, 'xqg.vectors/run2-passages.usearch', 'abc', '2026-01-02')",
    "INSERT INTO results VALUES (5, 1, 2, 1, 0.1), (5, 1, 1, 2, 0.75), (5, 1, 3, 2, -1e-300), "
    "(5, 1, 4, 1, 5e-324), (5, 1, 5, 2, -123456.789)",
    "INSERT INTO query_metrics VALUES (5, 1, 'R@2kt', 1.0, 5)",
    "INSERT INTO generation_batches VALUES (3, 0, 2, 2, 1, 0, 0, 0, 0.5, '1/1', 'cpu', 'x')",
]


def _schema_4_database(path: Path) -> None:
    """A database exactly as xqg with schema 4 left it, holding a row in every table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for script in MIGRATIONS[:OLD_VERSION]:
        for statement in _statements(script):
            conn.execute(statement)
    for statement in (*PRAGMAS, *ROWS):
        conn.execute(statement)
    conn.close()


def _old_columns(dump: list[tuple[str, list[tuple[object, ...]]]]) -> dict[str, list[object]]:
    """Every table's rows, cut to the tables and columns schema 4 had (the owner ones of runs,
    the keys digest of vector sets and the detected language of generations are new)."""
    widths = {
        "runs": OLD_RUN_WIDTH,
        "vector_sets": OLD_VECTOR_SET_WIDTH,
        "generations": OLD_GENERATION_WIDTH,
    }
    return {
        table: [row[: widths.get(table)] for row in rows]
        for table, rows in dump
        # the rankings are checked through their view; powers_of_two serves the view
        if table not in NEW_TABLES | {"results", "rankings", "powers_of_two"}
    }


RESULTS = "SELECT * FROM results ORDER BY run_id, query_id, rank"


def test_migration_keeps_every_row_and_reference(tmp_path: Path, dump_db: Dump) -> None:
    path = tmp_path / "xqg.db"
    _schema_4_database(path)
    before = _old_columns(dump_db(path))
    with sqlite3.connect(path) as conn:
        old_results = conn.execute(RESULTS).fetchall()
    assert len(before["runs"]) == 4 and len(old_results) == 5
    with open_store(path) as store:
        assert store.scalar("PRAGMA user_version") == len(MIGRATIONS)
        assert store.scalar("PRAGMA foreign_keys") == 1
        assert store.execute("PRAGMA foreign_key_check").fetchall() == []
        assert "AUTOINCREMENT" in store.scalar("SELECT sql FROM sqlite_master WHERE name = 'runs'")
        # The full-text index of generated queries still answers, and the cascade still works.
        assert store.scalar("SELECT rowid FROM generations_fts WHERE text MATCH 'gewonnen'") == 1
        # Stored before language ID: not detected until `xqg generate languages` fills it.
        assert store.execute(
            "SELECT detected_language, language_confidence FROM generations"
        ).fetchall() == [(None, None)]
        # One row per query, in rank order, 12 bytes a passage; every score the same double,
        # through Python and through the view alike.
        assert store.execute(
            "SELECT length(passages), length(scores) FROM rankings"
        ).fetchall() == [(20, 40)]
        assert results.get_results(store, 5) == {
            1: [(2, 0.75), (1, 0.1), (2, -1e-300), (1, 5e-324), (2, -123456.789)]
        }
        assert store.execute(RESULTS).fetchall() == old_results
        # A vector set from before shards is one shard: its file, with the graph usearch built.
        assert store.execute(
            "SELECT vector_set_id, shard, path, count, dim, dtype, sha256, graph FROM vector_shards"
        ).fetchall() == [
            (
                1,
                0,
                "xqg.vectors/run2-passages.usearch",
                2,
                384,
                "f32",
                "abc",
                '{"connectivity": 16, "expansion_add": 128}',
            )
        ]
        assert store.execute("SELECT complete, shard_size FROM vector_sets").fetchall() == [
            (1, None)
        ]
    assert _old_columns(dump_db(path)) == before


def test_run_ids_are_never_reused_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "xqg.db"
    _schema_4_database(path)
    with open_store(path) as store:
        with store.transaction():
            store.execute("DELETE FROM runs WHERE id = 5")  # the newest run
        assert store.scalar("SELECT count(*) FROM results") == 0  # cascaded
        # Schema 4 gave max(id) + 1: 4, then 5 again, the deleted run's id.
        assert [start_run(store, "search", name, {}).id for name in ("a", "b")] == [6, 7]
