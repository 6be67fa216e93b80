"""Collections and what they hold: passages, queries, answers and qrels.

Adding is idempotent: rows already stored with the same content are skipped, rows that
reuse an id with other content raise :class:`ConflictError` and nothing is written.
Incoming rows go through a temporary table so that the checks are set operations in SQL,
fast for millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from store.db import Store
from store.errors import ConflictError, NotFoundError
from store.records import (
    AnswerRecord,
    Collection,
    PassageRecord,
    QrelRecord,
    Query,
    QueryRecord,
    VariantRecord,
)
from store.runs import now

CHUNK = 50_000


def ensure_collection(store: Store, name: str, source: str) -> Collection:
    """The collection called ``name``, created if new (``source`` records its first source).

    A collection may hold data of several sources, e.g. XOR-TyDi questions and a Wikipedia
    corpus ingested as JSONL.
    """
    with store.transaction():
        store.execute(
            "INSERT OR IGNORE INTO collections (name, source, created_at) VALUES (?, ?, ?)",
            (name, source, now()),
        )
    return get_collection(store, name)


def get_collection(store: Store, ref: str | int) -> Collection:
    """A collection by name or id."""
    text = str(ref)
    rows = store.rows(
        "SELECT * FROM collections WHERE name = ? OR CAST(id AS TEXT) = ? "
        "ORDER BY name = ? DESC LIMIT 1",
        (text, text, text),
    )
    if not rows:
        known = ", ".join(c.name for c in list_collections(store)) or "none yet"
        raise NotFoundError(f"no collection {text!r} in {store.path} (collections: {known})")
    row = rows[0]
    return Collection(id=row["id"], name=row["name"], source=row["source"])


def list_collections(store: Store) -> list[Collection]:
    """All collections, oldest first."""
    return [
        Collection(id=r["id"], name=r["name"], source=r["source"])
        for r in store.rows("SELECT * FROM collections ORDER BY id")
    ]


def add_passages(store: Store, collection_id: int, records: Iterable[PassageRecord]) -> int:
    """Store passages; returns how many were new."""
    with store.transaction():
        _load_incoming(store, "incoming_passages", records)
        clash = store.rows(
            "SELECT i.docid FROM temp.incoming_passages i JOIN passages p "
            "ON p.collection_id = ? AND p.docid = i.docid "
            "WHERE p.title != i.title OR p.text != i.text LIMIT 3",
            (collection_id,),
        )
        _refuse("passage", [r["docid"] for r in clash])
        return store.execute(
            "INSERT INTO passages (collection_id, docid, title, text) "
            "SELECT ?, docid, title, text FROM temp.incoming_passages i WHERE NOT EXISTS "
            "(SELECT 1 FROM passages p WHERE p.collection_id = ? AND p.docid = i.docid) "
            "ORDER BY i.rowid",
            (collection_id, collection_id),
        ).rowcount


def add_queries(store: Store, collection_id: int, records: Iterable[QueryRecord]) -> int:
    """Store queries; returns how many were new."""
    with store.transaction():
        _load_incoming(store, "incoming_queries", records)
        clash = store.rows(
            "SELECT i.qid FROM temp.incoming_queries i JOIN queries q "
            "ON q.collection_id = ? AND q.qid = i.qid WHERE q.language != i.language "
            "OR q.text != i.text OR q.split != i.split "
            "OR q.parallel_id IS NOT i.parallel_id LIMIT 3",
            (collection_id,),
        )
        _refuse("query", [r["qid"] for r in clash])
        return store.execute(
            "INSERT INTO queries (collection_id, qid, language, text, split, parallel_id) "
            "SELECT ?, qid, language, text, split, parallel_id FROM temp.incoming_queries i "
            "WHERE NOT EXISTS (SELECT 1 FROM queries q WHERE q.collection_id = ? "
            "AND q.qid = i.qid) ORDER BY i.rowid",
            (collection_id, collection_id),
        ).rowcount


def add_variants(store: Store, collection_id: int, records: Iterable[VariantRecord]) -> int:
    """Store perturbed copies of stored queries; returns how many were new.

    A variant takes its original's language and parallel id, and its qrels and answers, so
    it is evaluated exactly like the original.
    """
    with store.transaction():
        _load_incoming(store, "incoming_variants", records)
        clash = store.rows(
            "SELECT i.qid FROM temp.incoming_variants i JOIN queries q ON q.collection_id = ? "
            "AND q.qid = i.qid WHERE q.text != i.text OR q.split != i.split "
            "OR q.original_id IS NOT i.original_id LIMIT 3",
            (collection_id,),
        )
        _refuse("query", [r["qid"] for r in clash])
        added = store.execute(
            "INSERT INTO queries (collection_id, qid, language, text, split, parallel_id, "
            "original_id) SELECT ?, i.qid, o.language, i.text, i.split, o.parallel_id, o.id "
            "FROM temp.incoming_variants i JOIN queries o ON o.id = i.original_id "
            "AND o.collection_id = ? WHERE NOT EXISTS (SELECT 1 FROM queries q "
            "WHERE q.collection_id = ? AND q.qid = i.qid) ORDER BY i.rowid",
            (collection_id, collection_id, collection_id),
        ).rowcount
        variants = "q.collection_id = ? AND q.qid IN (SELECT qid FROM temp.incoming_variants)"
        store.execute(
            "INSERT OR IGNORE INTO qrels (query_id, passage_id, relevance) "
            "SELECT q.id, j.passage_id, j.relevance FROM queries q "
            f"JOIN qrels j ON j.query_id = q.original_id WHERE {variants}",
            (collection_id,),
        )
        store.execute(
            "INSERT OR IGNORE INTO answers (query_id, position, text) "
            "SELECT q.id, j.position, j.text FROM queries q "
            f"JOIN answers j ON j.query_id = q.original_id WHERE {variants}",
            (collection_id,),
        )
        return added


def add_qrels(store: Store, collection_id: int, records: Iterable[QrelRecord]) -> int:
    """Store relevance judgements by external ids; returns how many were new."""
    with store.transaction():
        _load_incoming(store, "incoming_qrels", records)
        store.execute(
            "CREATE TEMP TABLE resolved_qrels AS SELECT q.id AS query_id, "
            "p.id AS passage_id, i.relevance, i.qid, i.docid "
            "FROM temp.incoming_qrels i "
            "LEFT JOIN queries q ON q.collection_id = ? AND q.qid = i.qid "
            "LEFT JOIN passages p ON p.collection_id = ? AND p.docid = i.docid",
            (collection_id, collection_id),
        )
        try:
            unknown = store.rows(
                "SELECT qid, docid FROM temp.resolved_qrels "
                "WHERE query_id IS NULL OR passage_id IS NULL LIMIT 3"
            )
            if unknown:
                pairs = ", ".join(f"({r['qid']!r}, {r['docid']!r})" for r in unknown)
                raise ConflictError(
                    f"qrels name queries or passages that are not stored: {pairs}",
                    "query",
                    tuple(r["qid"] for r in unknown),
                )
            clash = store.rows(
                "SELECT r.qid, r.docid FROM temp.resolved_qrels r JOIN qrels q "
                "USING (query_id, passage_id) WHERE q.relevance != r.relevance "
                "LIMIT 3"
            )
            _refuse("qrel", [f"{r['qid']}/{r['docid']}" for r in clash])
            return store.execute(
                "INSERT OR IGNORE INTO qrels (query_id, passage_id, relevance) "
                "SELECT query_id, passage_id, relevance FROM temp.resolved_qrels"
            ).rowcount
        finally:
            store.execute("DROP TABLE temp.resolved_qrels")


def add_answers(store: Store, collection_id: int, records: Iterable[AnswerRecord]) -> int:
    """Store answer strings by external query id; returns how many queries got answers."""
    rows = (
        (record.qid, position, answer)
        for record in records
        for position, answer in enumerate(record.answers)
    )
    with store.transaction():
        _load_incoming(store, "incoming_answers", rows)
        store.execute(
            "CREATE TEMP TABLE resolved_answers AS SELECT q.id AS query_id, "
            "i.qid, i.position, i.text FROM temp.incoming_answers i "
            "LEFT JOIN queries q ON q.collection_id = ? AND q.qid = i.qid",
            (collection_id,),
        )
        store.execute(
            "CREATE INDEX temp.resolved_answers_key ON resolved_answers (query_id, position)"
        )
        try:
            unknown = [
                r["qid"]
                for r in store.rows(
                    "SELECT DISTINCT qid FROM temp.resolved_answers WHERE query_id IS NULL LIMIT 3"
                )
            ]
            if unknown:
                raise ConflictError(
                    f"answers name queries that are not stored: {unknown}", "query", tuple(unknown)
                )
            clash = store.rows(
                "SELECT DISTINCT r.qid FROM temp.resolved_answers r JOIN answers a "
                "USING (query_id) WHERE NOT EXISTS (SELECT 1 FROM temp.resolved_answers s "
                "WHERE s.query_id = a.query_id AND s.position = a.position AND s.text = a.text) "
                "OR NOT EXISTS (SELECT 1 FROM answers b WHERE b.query_id = r.query_id "
                "AND b.position = r.position AND b.text = r.text) LIMIT 3"
            )
            _refuse("answer list of query", [r["qid"] for r in clash])
            new_queries = store.scalar(
                "SELECT count(DISTINCT query_id) FROM temp.resolved_answers r WHERE NOT EXISTS "
                "(SELECT 1 FROM answers a WHERE a.query_id = r.query_id)"
            )
            store.execute(
                "INSERT OR IGNORE INTO answers (query_id, position, text) "
                "SELECT query_id, position, text FROM temp.resolved_answers r WHERE NOT EXISTS "
                "(SELECT 1 FROM answers a WHERE a.query_id = r.query_id)"
            )
            return int(new_queries)
        finally:
            store.execute("DROP TABLE temp.resolved_answers")


def passage_count(
    store: Store, collection_id: int, *, id_range: tuple[int, int] | None = None
) -> int:
    """Number of passages in a collection (with ids in ``id_range``, inclusive, if given)."""
    first, last = id_range or (0, 2**62)
    return int(
        store.scalar(
            "SELECT count(*) FROM passages WHERE collection_id = ? AND id BETWEEN ? AND ?",
            (collection_id, first, last),
        )
    )


def part_id_range(store: Store, collection_id: int, part: int, parts: int) -> tuple[int, int]:
    """The passage ids (first, last) of part ``part`` (1-based) of ``parts`` contiguous parts
    of a collection in id order, as equal in size as whole passages allow."""
    total = passage_count(store, collection_id)
    start, stop = (total * (part - 1)) // parts, (total * part) // parts
    if stop <= start:
        return (1, 0)  # an empty part: no id lies in it

    def nth(offset: int) -> int:
        return int(
            store.scalar(
                "SELECT id FROM passages WHERE collection_id = ? ORDER BY id LIMIT 1 OFFSET ?",
                (collection_id, offset),
            )
        )

    return nth(start), nth(stop - 1)


def iter_passages(
    store: Store,
    collection_id: int,
    batch_size: int = 1024,
    *,
    after: int = -1,
    until: int = 2**62,
) -> Iterator[list[tuple[int, str, str]]]:
    """(id, title, text) of every passage (with ``after`` < id <= ``until``) in id order, in
    batches (never the whole table)."""
    last = after
    while True:
        batch = store.execute(
            "SELECT id, title, text FROM passages WHERE collection_id = ? AND id > ? "
            "AND id <= ? ORDER BY id LIMIT ?",
            (collection_id, last, until, batch_size),
        ).fetchall()
        if not batch:
            return
        yield [(int(i), str(title), str(text)) for i, title, text in batch]
        last = int(batch[-1][0])


def passage_texts(store: Store, passage_ids: Iterable[int]) -> dict[int, str]:
    """Passage id -> text (without title), for answer-string metrics."""
    return dict(_by_ids(store, "SELECT id, text FROM passages WHERE id IN ({})", passage_ids))


def docids(store: Store, passage_ids: Iterable[int]) -> dict[int, str]:
    """Passage id -> external docid."""
    return dict(_by_ids(store, "SELECT id, docid FROM passages WHERE id IN ({})", passage_ids))


def passage_ids_by_docid(store: Store, collection_id: int) -> dict[str, int]:
    """External docid -> passage id for a collection."""
    return {
        docid: int(pid)
        for pid, docid in store.execute(
            "SELECT id, docid FROM passages WHERE collection_id = ?", (collection_id,)
        )
    }


def get_queries(
    store: Store,
    collection_id: int,
    *,
    languages: Sequence[str] | None = None,
    splits: Sequence[str] | None = None,
) -> list[Query]:
    """Stored queries of a collection, in id order, optionally by language and split."""
    rows = store.execute(
        "SELECT id, qid, language, text, split, parallel_id, original_id FROM queries "
        "WHERE collection_id = ? ORDER BY id",
        (collection_id,),
    )
    queries = [Query(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
    return [
        q
        for q in queries
        if (languages is None or q.language in languages) and (splits is None or q.split in splits)
    ]


def qrels_for(store: Store, query_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Query id -> {passage id: relevance}."""
    found: dict[int, dict[int, int]] = {}
    for query_id, passage_id, relevance in _by_ids(
        store, "SELECT query_id, passage_id, relevance FROM qrels WHERE query_id IN ({})", query_ids
    ):
        found.setdefault(int(query_id), {})[int(passage_id)] = int(relevance)
    return found


def holds(store: Store, collection_id: int, table: str) -> bool:
    """True when the collection has any row of ``table`` (``qrels`` or ``answers``)."""
    if table not in ("qrels", "answers"):
        raise ValueError(f"not a per-query table: {table!r}")
    return bool(
        store.scalar(
            f"SELECT EXISTS (SELECT 1 FROM {table} t JOIN queries q ON q.id = t.query_id "
            "WHERE q.collection_id = ?)",
            (collection_id,),
        )
    )


def judged_query_ids(store: Store, collection_id: int) -> set[int]:
    """The queries of a collection that have qrels (perturbed copies left out)."""
    return {
        int(row[0])
        for row in store.execute(
            "SELECT DISTINCT q.id FROM qrels JOIN queries q ON q.id = qrels.query_id "
            "WHERE q.collection_id = ? AND q.original_id IS NULL",
            (collection_id,),
        )
    }


def answers_for(store: Store, query_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Query id -> its answer strings in stored order."""
    found: dict[int, list[str]] = {}
    for query_id, _, text in sorted(
        _by_ids(
            store, "SELECT query_id, position, text FROM answers WHERE query_id IN ({})", query_ids
        )
    ):
        found.setdefault(int(query_id), []).append(text)
    return {key: tuple(value) for key, value in found.items()}


def _by_ids(store: Store, template: str, ids: Iterable[int]) -> Iterator[tuple[Any, ...]]:
    """Run an ``IN ({})`` query over ids in chunks below SQLite's parameter limit."""
    id_list = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(id_list), 30_000):
        chunk = id_list[start : start + 30_000]
        sql = template.format(", ".join("?" * len(chunk)))
        yield from store.execute(sql, chunk)


# The temporary tables incoming rows pass through, and their columns. SQL takes no table or
# column name as a parameter, so the statements are built once, from this fixed list only.
INCOMING: dict[str, tuple[str, ...]] = {
    "incoming_passages": ("docid", "title", "text"),
    "incoming_queries": ("qid", "language", "text", "split", "parallel_id"),
    "incoming_variants": ("original_id", "qid", "text", "split"),
    "incoming_qrels": ("qid", "docid", "relevance"),
    "incoming_answers": ("qid", "position", "text"),
}
INCOMING_SQL: dict[str, tuple[str, str, str]] = {
    table: (
        f"DROP TABLE IF EXISTS temp.{table}",
        f"CREATE TEMP TABLE {table} ({', '.join(columns)})",
        f"INSERT INTO temp.{table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
    )
    for table, columns in INCOMING.items()
}


def _load_incoming(store: Store, table: str, rows: Iterable[Sequence[Any]]) -> None:
    """Fill a fresh temporary table (one of ``INCOMING``) with incoming rows."""
    drop, create, insert = INCOMING_SQL[table]  # a KeyError for any other name
    store.execute(drop)
    store.execute(create)
    buffer: list[Sequence[Any]] = []
    for row in rows:
        buffer.append(tuple(row))
        if len(buffer) >= CHUNK:
            store.executemany(insert, buffer)
            buffer.clear()
    store.executemany(insert, buffer)


def _refuse(what: str, keys: Sequence[str]) -> None:
    if keys:
        shown = ", ".join(repr(k) for k in keys)
        raise ConflictError(
            f"{what} {shown} already stored with different content; "
            "ingest into a new --collection or fix the file",
            what.split()[-1],
            tuple(keys),
        )
