"""Generated queries in the store: the full-text index a run joins once it has all its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store import Store, open_store
from store.collections import add_passages, ensure_collection
from store.generations import add_generations, index_text
from store.records import GenerationRecord, PassageRecord
from store.runs import delete_run, start_run
from store.schema import APPLICATION_ID, MIGRATIONS

QUERIES = ("Wann wurde Warschau gegründet?", "Qui a fondé Varsovie ?", "华沙是什么时候建立的？")


def _run_with_generations(store: Store, name: str) -> int:
    collection = ensure_collection(store, "c", "jsonl")
    add_passages(store, collection.id, [PassageRecord("Warsaw#0", "Warsaw", "Warsaw is ...")])
    passage = store.scalar("SELECT id FROM passages WHERE docid = 'Warsaw#0'")
    run = start_run(store, "generate", name, {}, collection_id=collection.id)
    records = [GenerationRecord(passage, "de", i, text) for i, text in enumerate(QUERIES)]
    add_generations(store, run.id, records)
    return run.id


def _matches(store: Store, pattern: str) -> list[str]:
    return [
        row[0]
        for row in store.execute(
            "SELECT text FROM generations_fts WHERE generations_fts MATCH ? ORDER BY rowid",
            (pattern,),
        )
    ]


def _intact(store: Store, *, every_row_indexed: bool = True) -> None:
    """FTS5's own checks: the index is consistent, and (when every stored row should be in
    it) holds exactly what the content rows say."""
    check = "INSERT INTO generations_fts (generations_fts, rank) VALUES ('integrity-check', ?)"
    store.execute(check, (int(every_row_indexed),))


def test_a_run_is_searchable_once_indexed_and_only_once(store: Store) -> None:
    run = _run_with_generations(store, "g")
    assert _matches(store, "Warschau") == []  # written, not yet indexed
    assert index_text(store, run) == 3
    assert index_text(store, run) == 0
    assert _matches(store, "Warschau") == [QUERIES[0]]
    assert _matches(store, "华沙是") == [QUERIES[2]]  # trigrams: any script, no word boundaries
    _intact(store)


def test_deleting_runs_keeps_the_index_exact(store: Store) -> None:
    indexed = _run_with_generations(store, "indexed")
    index_text(store, indexed)
    unindexed = _run_with_generations(store, "unindexed")
    delete_run(store, unindexed)  # its rows were never in the index: nothing to take out
    _intact(store)
    assert _matches(store, "Varsovie") == [QUERIES[1]]
    delete_run(store, indexed)
    _intact(store)
    assert _matches(store, "Varsovie") == []
    assert store.scalar("SELECT count(*) FROM generations_indexed") == 0


def test_migration_4_keeps_finished_runs_searchable(db_path: Path) -> None:
    """A version-3 database indexed every row on insert; after migrating, finished runs stay
    indexed and unfinished ones leave the index until they finish."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for migration in MIGRATIONS[:3]:
        conn.executescript(migration)
    conn.execute("PRAGMA application_id = " + str(int(APPLICATION_ID)))  # no parameters here
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO collections VALUES (1, 'c', 'jsonl', '2026-01-01')")
    conn.execute("INSERT INTO passages (id, collection_id, docid, text) VALUES (1, 1, 'd', 't')")
    for run, status in ((1, "done"), (2, "running")):
        conn.execute(
            "INSERT INTO runs (id, kind, name, status, started_at) "
            "VALUES (?, 'generate', ?, ?, '')",
            (run, f"r{run}", status),
        )
        conn.executemany(
            "INSERT INTO generations (run_id, passage_id, language, position, text) "
            "VALUES (?, 1, 'de', ?, ?)",
            [(run, i, f"{text} r{run}") for i, text in enumerate(QUERIES)],
        )
    conn.close()
    with open_store(db_path) as store:
        assert store.scalar("PRAGMA user_version") == len(MIGRATIONS)
        assert _matches(store, "Warschau") == [f"{QUERIES[0]} r1"]
        _intact(store, every_row_indexed=False)
        passages = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH 't'"
        assert store.execute(passages).fetchall() == [(1,)]  # rebuilt from its content
        assert index_text(store, 1) == 0
        assert index_text(store, 2) == 3
        assert _matches(store, "Warschau") == [f"{QUERIES[0]} r1", f"{QUERIES[0]} r2"]
        _intact(store)
