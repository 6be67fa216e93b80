"""The database schema as an ordered list of migrations.

Each migration is plain SQL (or, where SQL cannot do it, a function of the connection) applied
in one transaction; ``PRAGMA user_version`` records how
many have been applied. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from itertools import groupby

from store.packed import POWERS, RESULTS_VIEW, pack

APPLICATION_ID = 0x78514731  # "xQG1": marks a file as an xqg database

MIGRATION_1 = """
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    collection_id INTEGER REFERENCES collections(id),
    params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    versions TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(versions)),
    summary TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    error TEXT
);
CREATE INDEX runs_kind ON runs(kind, status);
CREATE INDEX runs_collection ON runs(collection_id);

CREATE TABLE run_parents (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    parent_id INTEGER NOT NULL REFERENCES runs(id),
    role TEXT NOT NULL,
    PRIMARY KEY (run_id, parent_id)
);
CREATE INDEX run_parents_parent ON run_parents(parent_id);

CREATE TABLE passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    docid TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    UNIQUE (collection_id, docid)
);

CREATE TABLE queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    qid TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    split TEXT NOT NULL DEFAULT 'test',
    parallel_id TEXT,
    UNIQUE (collection_id, qid)
);
CREATE INDEX queries_language ON queries(collection_id, language);
CREATE INDEX queries_parallel ON queries(collection_id, parallel_id);

CREATE TABLE answers (
    query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (query_id, position)
);

CREATE TABLE qrels (
    query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE,
    passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    relevance INTEGER NOT NULL,
    PRIMARY KEY (query_id, passage_id)
);
CREATE INDEX qrels_passage ON qrels(passage_id);

CREATE TABLE generations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    passage_id INTEGER NOT NULL REFERENCES passages(id),
    language TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    source_query_id INTEGER REFERENCES queries(id),
    UNIQUE (run_id, passage_id, language, position)
);
CREATE INDEX generations_passage ON generations(passage_id);
CREATE INDEX generations_language ON generations(run_id, language);
CREATE INDEX generations_source ON generations(source_query_id);

CREATE TABLE vector_sets (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('passages', 'queries', 'generations')),
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    source_run_id INTEGER REFERENCES runs(id),
    encoder TEXT NOT NULL,
    encoder_config TEXT NOT NULL CHECK (json_valid(encoder_config)),
    dim INTEGER NOT NULL,
    metric TEXT NOT NULL,
    dtype TEXT NOT NULL,
    count INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX vector_sets_run ON vector_sets(run_id);
CREATE INDEX vector_sets_lookup ON vector_sets(kind, collection_id, encoder);
CREATE INDEX vector_sets_source ON vector_sets(source_run_id);

CREATE TABLE results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    rank INTEGER NOT NULL,
    passage_id INTEGER NOT NULL REFERENCES passages(id),
    score REAL NOT NULL,
    PRIMARY KEY (run_id, query_id, rank)
) WITHOUT ROWID;
CREATE INDEX results_passage ON results(passage_id);
CREATE INDEX results_query ON results(query_id);

CREATE TABLE query_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    measure TEXT NOT NULL,
    value REAL NOT NULL,
    eval_run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, measure, query_id)
) WITHOUT ROWID;
CREATE INDEX query_metrics_query ON query_metrics(query_id);
CREATE INDEX query_metrics_eval ON query_metrics(eval_run_id);

CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, text, content='passages', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER passages_au AFTER UPDATE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO passages_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;

-- Generated queries come in every script; trigram matching works without word boundaries.
CREATE VIRTUAL TABLE generations_fts USING fts5(
    text, content='generations', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER generations_ai AFTER INSERT ON generations BEGIN
    INSERT INTO generations_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER generations_ad AFTER DELETE ON generations BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER generations_au AFTER UPDATE ON generations BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO generations_fts(rowid, text) VALUES (new.id, new.text);
END;
"""

# Model-based generation commits one batch of passages at a time; a row here says that a
# batch of a run is complete (its generations were written in the same transaction), so a
# killed run resumes without duplicates or gaps and shards of one run never collide.
MIGRATION_2 = """
CREATE TABLE generation_batches (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    batch INTEGER NOT NULL,
    passages INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    generations INTEGER NOT NULL,
    dropped_empty INTEGER NOT NULL,
    dropped_copies INTEGER NOT NULL,
    dropped_duplicates INTEGER NOT NULL,
    seconds REAL NOT NULL,
    shard TEXT NOT NULL,
    device TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (run_id, batch)
) WITHOUT ROWID;
"""

# Perturbed copies of queries (robustness) point at the query they were made from; and two
# lookups of the terminal app get their indexes.
MIGRATION_3 = """
ALTER TABLE queries ADD COLUMN original_id INTEGER REFERENCES queries(id);
CREATE INDEX queries_original ON queries(original_id);
-- The app looks queries up by text, and pages passages of one collection by id.
CREATE INDEX queries_text ON queries(collection_id, text);
CREATE INDEX passages_collection ON passages(collection_id, id);
"""

# Generated queries enter the trigram index once per run, in bulk, when the run has all its
# rows (``generations.index_text``), not row by row from a trigger: the trigger made every
# insert of a generating run 40x slower, and one writer serves every shard. A run's rows
# leave the index with them, but only if they were in it. Both full-text tables are declared
# with content="table" so that sqlite-utils and Datasette find them.
MIGRATION_4 = """
CREATE TABLE generations_indexed (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE
);
DROP TRIGGER generations_ai;
DROP TRIGGER generations_ad;
DROP TRIGGER generations_au;
DROP TABLE generations_fts;
CREATE VIRTUAL TABLE generations_fts USING fts5(
    text, content="generations", content_rowid="id", tokenize="trigram"
);
-- Finished runs stay searchable; unfinished ones join the index when they finish.
INSERT INTO generations_indexed (run_id)
SELECT id FROM runs WHERE status = 'done' AND id IN (SELECT run_id FROM generations);
INSERT INTO generations_fts (rowid, text)
SELECT id, text FROM generations WHERE run_id IN (SELECT run_id FROM generations_indexed);
CREATE TRIGGER generations_ad AFTER DELETE ON generations
WHEN old.run_id IN (SELECT run_id FROM generations_indexed) BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER generations_au AFTER UPDATE ON generations
WHEN old.run_id IN (SELECT run_id FROM generations_indexed) BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO generations_fts(rowid, text) VALUES (new.id, new.text);
END;
DROP TABLE passages_fts;
CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, text, content="passages", content_rowid="id",
    tokenize="unicode61 remove_diacritics 2"
);
INSERT INTO passages_fts (passages_fts) VALUES ('rebuild');
"""

# Run ids are never reused (AUTOINCREMENT: a deleted run's id cannot be taken by a new run,
# so a process that still holds the old id cannot write into someone else's run), and a
# running run records its owner process (host, pid, process start time) so that a second
# claimant can be refused and a dead owner detected. SQLite adds AUTOINCREMENT only by
# rebuilding the table; the migration runs with foreign keys off (``db._migrate``) and is
# checked with ``PRAGMA foreign_key_check`` before it commits, so every row that points at a
# run keeps pointing at the same id.
MIGRATION_5 = """
CREATE TABLE runs_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    collection_id INTEGER REFERENCES collections(id),
    params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    versions TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(versions)),
    summary TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    error TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_started TEXT
);
INSERT INTO runs_rebuilt (id, kind, name, collection_id, params, status, started_at,
    ended_at, versions, summary, error)
SELECT id, kind, name, collection_id, params, status, started_at, ended_at, versions,
    summary, error FROM runs;
DROP TABLE runs;
ALTER TABLE runs_rebuilt RENAME TO runs;
CREATE INDEX runs_kind ON runs(kind, status);
CREATE INDEX runs_collection ON runs(collection_id);
"""

# A digest of a vector file's sorted keys, checked on every open of a file too large to
# hash then: another collection's index of the same shape is refused, not searched.
MIGRATION_6 = """
ALTER TABLE vector_sets ADD COLUMN keys_sha256 TEXT;
"""

# The language a detector finds in each generated query and its confidence (0 to 1), so that
# a generator asked for Telugu that writes English can be seen and filtered. Rows stored
# before this migration hold NULL until `xqg generate languages RUN` fills them; filling
# them must not rewrite the full-text index, so its update trigger now fires on text only.
MIGRATION_7 = """
ALTER TABLE generations ADD COLUMN detected_language TEXT;
ALTER TABLE generations ADD COLUMN language_confidence REAL;
DROP TRIGGER generations_au;
CREATE TRIGGER generations_au AFTER UPDATE OF text ON generations
WHEN old.run_id IN (SELECT run_id FROM generations_indexed) BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO generations_fts(rowid, text) VALUES (new.id, new.text);
END;
"""

# A model-aware attack's adversarial queries are query variants (``queries.original_id``);
# this table holds what the attack spent and achieved on each: the moves it made, the encoder
# calls and texts it encoded, and the relevant passage's rank and margin (its score minus the
# goal-th competitor's) before and after, against the attack's target system.
MIGRATION_8 = """
CREATE TABLE adversarial_queries (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    moves TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(moves)),
    edits INTEGER NOT NULL,
    model_calls INTEGER NOT NULL,
    encoded INTEGER NOT NULL,
    rank_before INTEGER NOT NULL,
    rank_after INTEGER NOT NULL,
    margin_before REAL NOT NULL,
    margin_after REAL NOT NULL,
    PRIMARY KEY (run_id, query_id)
) WITHOUT ROWID;
CREATE INDEX adversarial_queries_query ON adversarial_queries(query_id);
"""

# Rankings stored compactly: one row per (search run, query) holding the ranked passage ids
# and their scores packed as bytes (``store.packed``: 12 bytes a ranked passage), instead of
# one row per ranked passage with two indexes (about 44 bytes; a depth-100 search of 14k
# queries took 63 MB). A passage id of 0 is a docid the collection does not hold (an
# imported run's unknown docid): retrieved, non-relevant, and it keeps the ranks below it in
# place. ``results`` stays, as a view with the old columns, for SQL users and Datasette.
RANKINGS = """
CREATE TABLE rankings (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    query_id INTEGER NOT NULL REFERENCES queries(id),
    passages BLOB NOT NULL,
    scores BLOB NOT NULL,
    PRIMARY KEY (run_id, query_id)
)
"""


def migration_9(conn: sqlite3.Connection) -> None:
    """Pack the stored rankings (see :data:`RANKINGS`), one query at a time."""
    conn.execute(RANKINGS)
    conn.execute("CREATE INDEX rankings_query ON rankings(query_id)")
    conn.execute("CREATE TABLE powers_of_two (exponent INTEGER PRIMARY KEY, value REAL NOT NULL)")
    conn.executemany(
        "INSERT INTO powers_of_two VALUES (?, ?)", ((k, math.ldexp(1.0, k)) for k in POWERS)
    )
    rows = conn.execute(
        "SELECT run_id, query_id, rank, passage_id, score FROM results "
        "ORDER BY run_id, query_id, rank"
    )
    for (run_id, query_id), hits in groupby(rows, key=lambda row: (row[0], row[1])):
        by_rank = {rank: (passage_id, score) for _, _, rank, passage_id, score in hits}
        ranked = [by_rank.get(rank, (None, None)) for rank in range(1, max(by_rank) + 1)]
        conn.execute("INSERT INTO rankings VALUES (?, ?, ?, ?)", (run_id, query_id, *pack(ranked)))
    conn.execute("DROP TABLE results")
    conn.execute(RESULTS_VIEW)


# Vector sets as shards: one row per file of at most a shard size of vectors (a usearch file,
# written with an empty graph unless an HNSW graph was asked for: ``graph`` holds its
# parameters). ``vector_sets`` keeps the totals; ``complete`` is 0 while the set is being
# written (its finished shards are kept, and a rerun continues after them). A set written
# before shards becomes one shard, with the usearch graph it was built with.
MIGRATION_10 = """
CREATE TABLE vector_shards (
    vector_set_id INTEGER NOT NULL REFERENCES vector_sets(id) ON DELETE CASCADE,
    shard INTEGER NOT NULL,
    path TEXT NOT NULL,
    count INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    dtype TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    keys_sha256 TEXT,
    graph TEXT CHECK (graph IS NULL OR json_valid(graph)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (vector_set_id, shard)
) WITHOUT ROWID;
CREATE INDEX vector_shards_path ON vector_shards(path);
ALTER TABLE vector_sets ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
ALTER TABLE vector_sets ADD COLUMN shard_size INTEGER;
INSERT INTO vector_shards (vector_set_id, shard, path, count, dim, dtype, sha256, keys_sha256,
    graph, created_at)
SELECT id, 0, path, count, dim, dtype, sha256, keys_sha256,
    '{"connectivity": 16, "expansion_add": 128}', created_at FROM vector_sets;
"""


# Generated queries are written in bulk (630M rows at the paper's scale), so each index on
# them is paid on every row: the three secondary ones cost 40% of the write rate. A run's
# rows are found through the unique key (run_id, passage_id, language, position), which
# also serves per-language counts (a covering scan of the run) and a passage's generated
# queries (one seek per generation run); the source index holds only the rows that copy a
# stored query (stand-ins), not the NULL of every model-generated row.
MIGRATION_11 = """
DROP INDEX generations_passage;
DROP INDEX generations_language;
DROP INDEX generations_source;
CREATE INDEX generations_source ON generations(source_query_id)
WHERE source_query_id IS NOT NULL;
"""


# A migration is SQL, or a function of the connection where SQL cannot do it (packing bytes).
Migration = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    MIGRATION_7,
    MIGRATION_8,
    migration_9,
    MIGRATION_10,
    MIGRATION_11,
)
SCHEMA_VERSION = len(MIGRATIONS)
