"""Opening databases: schema, pragmas, refusals, and all-or-nothing transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import NotFoundError, Store, StoreError, open_store
from store.collections import add_passages, ensure_collection
from store.records import PassageRecord
from store.schema import APPLICATION_ID, SCHEMA_VERSION


def test_new_database_has_schema_wal_and_foreign_keys(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
        assert store.scalar("PRAGMA application_id") == APPLICATION_ID
        tables = {
            r["name"]
            for r in store.rows("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
    expected = {
        "collections",
        "passages",
        "queries",
        "answers",
        "qrels",
        "runs",
        "run_parents",
        "generations",
        "vector_sets",
        "rankings",
        "results",  # a view of rankings, one row per ranked passage
        "query_metrics",
        "passages_fts",
        "generations_fts",
    }
    assert expected <= tables


def test_reopening_keeps_data(db_path: Path) -> None:
    with open_store(db_path) as store:
        collection = ensure_collection(store, "c", "jsonl")
        add_passages(store, collection.id, [PassageRecord("d1", "", "text")])
    with open_store(db_path) as store:
        assert store.scalar("SELECT count(*) FROM passages") == 1


def test_missing_database_without_create(db_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such database"):
        open_store(db_path, create=False)
    assert not db_path.exists()


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_non_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="not an SQLite database"):
        open_store(path)


def test_foreign_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        open_store(path)
    assert path.read_bytes() == before  # not even switched to WAL
    assert not path.with_name("other.db-wal").exists()


def test_a_blank_sqlite_file_is_read_only_when_asked_to_read(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")
    conn.execute("VACUUM")  # a valid SQLite file of one page and no table
    conn.close()
    before = path.read_bytes()
    assert before
    with pytest.raises(StoreError, match="an empty SQLite file, not an xqg database yet"):
        open_store(path, create=False)
    assert path.read_bytes() == before
    open_store(path).close()  # a writing command makes it an xqg database
    with open_store(path, create=False) as store:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION


def test_newer_schema_is_refused(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = " + str(int(SCHEMA_VERSION) + 1))  # no parameters here
    conn.close()
    with pytest.raises(StoreError, match="newer than this xqg knows"):
        open_store(db_path)


def test_transaction_rolls_back_everything_on_error(store: Store) -> None:
    collection = ensure_collection(store, "c", "jsonl")
    with pytest.raises(RuntimeError), store.transaction():
        add_passages(store, collection.id, [PassageRecord("d1", "", "one")])
        add_passages(store, collection.id, [PassageRecord("d2", "", "two")])
        raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM passages") == 0


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.execute("INSERT INTO passages (collection_id, docid, text) VALUES (99, 'd', 't')")


def test_passage_text_is_searchable_with_fts5(store: Store) -> None:
    collection = ensure_collection(store, "c", "jsonl")
    add_passages(
        store,
        collection.id,
        [
            PassageRecord("d1", "Oslo", "Capital of Norway"),
            PassageRecord("d2", "Lima", "Capital of Peru"),
        ],
    )
    found = store.rows(
        "SELECT p.docid FROM passages_fts f JOIN passages p ON p.id = f.rowid "
        "WHERE passages_fts MATCH ?",
        ("norway",),
    )
    assert [r["docid"] for r in found] == ["d1"]


def test_reader_sees_committed_rows_while_a_writer_holds_a_transaction(db_path: Path) -> None:
    with open_store(db_path) as writer, open_store(db_path) as reader:
        collection = ensure_collection(writer, "c", "jsonl")
        add_passages(writer, collection.id, [PassageRecord("d1", "", "one")])
        with writer.transaction():
            add_passages(writer, collection.id, [PassageRecord("d2", "", "two")])
            # WAL: the reader is not blocked and sees only committed data.
            assert reader.scalar("SELECT count(*) FROM passages") == 1
        assert reader.scalar("SELECT count(*) FROM passages") == 2


def test_sqlite_utils_sees_the_declared_schema(store: Store) -> None:
    """What a user browsing with sqlite-utils or Datasette finds: declared foreign keys,
    the full-text tables beside their content tables, and an index on every lookup."""
    db = store.db
    keys = {(fk.column, fk.other_table) for fk in db["generations"].foreign_keys}
    assert keys == {("run_id", "runs"), ("passage_id", "passages"), ("source_query_id", "queries")}
    assert db["passages"].detect_fts() == "passages_fts"
    assert db["generations"].detect_fts() == "generations_fts"
    indexed = {tuple(index.columns) for index in db["queries"].indexes}
    assert {("collection_id", "language"), ("collection_id", "text"), ("original_id",)} <= indexed
    assert db["runs"].count == 0 and "query_metrics" in db.table_names()
