"""Generated queries per passage, per language, per generation run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from store import runs
from store.db import Store
from store.records import GenerationRecord


class Generation(NamedTuple):
    """A stored generated query."""

    id: int
    passage_id: int
    language: str
    position: int
    text: str
    detected_language: str | None = None


class GenerationBatch(NamedTuple):
    """What one committed batch of a model-based generation run did."""

    batch: int
    passages: int
    samples: int
    generations: int
    dropped_empty: int
    dropped_copies: int
    dropped_duplicates: int
    seconds: float
    shard: str
    device: str


class PassageInput(NamedTuple):
    """A passage as a generator needs it."""

    id: int
    docid: str
    title: str
    text: str


class ExportedGeneration(NamedTuple):
    """A generated query with its passage's external id."""

    docid: str
    language: str
    position: int
    text: str


def add_generations(store: Store, run_id: int, records: Iterable[GenerationRecord]) -> int:
    """Store generated queries of a run; returns how many rows were written."""
    with store.transaction():
        return store.executemany(
            "INSERT INTO generations (run_id, passage_id, language, position, text, "
            "source_query_id, detected_language, language_confidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((run_id, *record) for record in records),
        ).rowcount


def index_text(store: Store, run_id: int) -> int:
    """Put a run's generated queries into the full-text index (``generations_fts``), once;
    returns how many rows went in (0 when the run was indexed already).

    Optional, and only once a run has all its rows (``--fts`` of the generating steps, or
    ``xqg generate fts RUN`` later): the trigram index costs about twice the rows' own
    bytes and is written about 2.5x slower than the rows (``benchmarks/bench_store.py``);
    one bulk insert is about 3x cheaper than indexing row by row.
    """
    with store.transaction():
        if store.scalar("SELECT 1 FROM generations_indexed WHERE run_id = ?", (run_id,)):
            return 0
        count = store.execute(
            "INSERT INTO generations_fts (rowid, text) "
            "SELECT id, text FROM generations WHERE run_id = ?",
            (run_id,),
        ).rowcount
        store.execute("INSERT INTO generations_indexed (run_id) VALUES (?)", (run_id,))
    return count


FTS_HINT = "xqg generate fts {run}"


def unindexed_runs(store: Store, collection_id: int | None = None) -> list[str]:
    """Names of the finished generation runs (of one collection, if given) whose generated
    queries are not in the full-text index, oldest first: a word search of generated
    queries does not see them until ``xqg generate fts RUN`` builds it."""
    return [
        str(row[0])
        for row in store.execute(
            "SELECT r.name FROM runs r WHERE r.kind = 'generate' AND r.status = 'done' "
            "AND (? IS NULL OR r.collection_id = ?) "
            "AND NOT EXISTS (SELECT 1 FROM generations_indexed i WHERE i.run_id = r.id) "
            "AND EXISTS (SELECT 1 FROM generations g WHERE g.run_id = r.id) ORDER BY r.id",
            (collection_id, collection_id),
        )
    ]


def get_generations(
    store: Store,
    run_id: int,
    *,
    languages: Sequence[str] | None = None,
    per_language: int | None = None,
) -> list[Generation]:
    """Generated queries of a run in (passage, language, position) order, as one list: for
    small runs and tests; steps stream them with :func:`iter_generations` (a row held as a
    Python object takes about 300 bytes: 190 GB at 630M rows).

    Args:
        languages: keep only these languages.
        per_language: keep only the first n positions per passage and language.
    """
    return [
        generation
        for batch in iter_generations(store, run_id, languages=languages, per_language=per_language)
        for generation in batch
    ]


STREAM_BATCH = 65_536
# Keyset paging on the unique key (run_id, passage_id, language, position): each batch is
# one seek and a range scan, whatever the size of the run; no read stays open between
# batches, so a writer is never held back.
_PAGE = (
    "SELECT id, passage_id, language, position, text, detected_language FROM generations "
    "WHERE run_id = ? AND (passage_id, language, position) > (?, ?, ?) {languages}"
    "ORDER BY passage_id, language, position LIMIT ?"
)


def iter_generations(
    store: Store,
    run_id: int,
    *,
    languages: Sequence[str] | None = None,
    per_language: int | None = None,
    batch_size: int | None = None,
) -> Iterator[list[Generation]]:
    """Generated queries of a run in (passage, language, position) order, in batches of at
    most ``batch_size`` (default ``STREAM_BATCH``; a passage's queries may span two
    batches); memory is bounded by one batch, never by the run.

    Args:
        languages: keep only these languages.
        per_language: keep only the first n positions per passage and language.
    """
    chosen = list(languages) if languages is not None else None
    sql = _PAGE.format(
        languages="" if chosen is None else f"AND language IN ({', '.join('?' * len(chosen))}) "
    )
    size = batch_size or STREAM_BATCH
    after: tuple[int, str, int] = (-1, "", -1)
    kept = _FirstPerLanguage(per_language)
    while True:
        rows = store.execute(sql, (run_id, *after, *(chosen or ()), size)).fetchall()
        if not rows:
            return
        after = (int(rows[-1][1]), str(rows[-1][2]), int(rows[-1][3]))
        batch = kept.filter(list(map(Generation._make, rows)))
        if batch:
            yield batch


def generation_texts(store: Store, generation_ids: Sequence[int]) -> list[str]:
    """The texts of these generated queries, in the order given (every id must exist)."""
    found: dict[int, str] = {}
    for start in range(0, len(generation_ids), 30_000):
        chunk = [int(i) for i in generation_ids[start : start + 30_000]]
        found.update(
            store.execute(
                "SELECT id, text FROM generations WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk),),
            )
        )
    return [found[int(i)] for i in generation_ids]


class _FirstPerLanguage:
    """Keeps the first n generated queries of each (passage, language) of a stream sorted
    by passage and language; holds only the key it is counting."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.key: tuple[int, str] | None = None
        self.seen = 0

    def filter(self, generations: list[Generation]) -> list[Generation]:
        if self.n is None:
            return generations
        kept: list[Generation] = []
        for generation in generations:
            key = (generation.passage_id, generation.language)
            if key != self.key:
                self.key, self.seen = key, 0
            if self.seen < self.n:
                kept.append(generation)
                self.seen += 1
        return kept


class LanguageAgreement(NamedTuple):
    """How many generated queries of one requested language the detector agrees with."""

    language: str
    queries: int
    agreeing: int
    undetected: int


def undetected(store: Store, run_id: int, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` (id, text) of a run's generated queries with no detected language."""
    return [
        (int(row[0]), row[1])
        for row in store.execute(
            "SELECT id, text FROM generations WHERE run_id = ? AND detected_language IS NULL "
            "ORDER BY id LIMIT ?",
            (run_id, limit),
        )
    ]


def set_detected(store: Store, detected: Iterable[tuple[int, str, float]]) -> None:
    """Store (generation id, detected language, confidence) triples in one transaction."""
    with store.transaction():
        store.executemany(
            "UPDATE generations SET detected_language = ?, language_confidence = ? WHERE id = ?",
            ((language, confidence, gid) for gid, language, confidence in detected),
        )


def language_agreement(store: Store, run_id: int) -> list[LanguageAgreement]:
    """Per requested language: queries, those whose detected language is the same, and
    those not detected yet."""
    return [
        LanguageAgreement(row[0], int(row[1]), int(row[2]), int(row[3]))
        for row in store.execute(
            "SELECT language, count(*), coalesce(sum(detected_language = language), 0), "
            "sum(detected_language IS NULL) FROM generations WHERE run_id = ? "
            "GROUP BY language ORDER BY language",
            (run_id,),
        )
    ]


def generation_languages(store: Store, run_id: int) -> dict[str, int]:
    """Language -> number of generated queries in a run."""
    return {
        lang: int(n)
        for lang, n in store.execute(
            "SELECT language, count(*) FROM generations WHERE run_id = ? GROUP BY language "
            "ORDER BY language",
            (run_id,),
        )
    }


def held_out_query_ids(store: Store, run_ids: Iterable[int]) -> set[int]:
    """Queries that must not be evaluated because generation runs used them (or a translation).

    A stand-in generation copies a stored query; every query that shares its ``parallel_id``
    (its translations) is held out with it.
    """
    ids = list(run_ids)
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    rows = store.execute(
        "WITH used AS (SELECT DISTINCT q.id, q.collection_id, q.parallel_id "
        "FROM generations g JOIN queries q ON q.id = g.source_query_id "
        f"WHERE g.run_id IN ({marks})) "
        "SELECT id FROM used UNION SELECT q.id FROM queries q JOIN used u "
        "ON q.collection_id = u.collection_id AND q.parallel_id = u.parallel_id",
        ids,
    )
    return {int(r[0]) for r in rows}


def add_generation_batch(
    store: Store, run_id: int, batch: GenerationBatch, records: Sequence[GenerationRecord]
) -> bool:
    """Store one batch and its generated queries together; False if the batch was already stored.

    Joins the caller's transaction, so several batches can be committed at once.
    """
    with store.transaction():
        claimed = store.execute(
            "INSERT INTO generation_batches (run_id, batch, passages, samples, generations, "
            "dropped_empty, dropped_copies, dropped_duplicates, seconds, shard, device, "
            "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, batch) DO NOTHING",
            (run_id, *batch, runs.now()),
        ).rowcount
        if not claimed:
            return False
        add_generations(store, run_id, records)
    return True


def done_batches(store: Store, run_id: int) -> dict[int, int]:
    """Batch number -> passages, for the batches of a run that are stored."""
    return {
        int(batch): int(passages)
        for batch, passages in store.execute(
            "SELECT batch, passages FROM generation_batches WHERE run_id = ?", (run_id,)
        )
    }


def batch_totals(store: Store, run_id: int) -> dict[str, Any]:
    """Sums over the stored batches of a run, with the shards and devices that wrote them."""
    row = store.rows(
        "SELECT count(*) AS batches, coalesce(sum(passages), 0) AS passages, "
        "coalesce(sum(samples), 0) AS samples, coalesce(sum(generations), 0) AS generations, "
        "coalesce(sum(dropped_empty), 0) AS dropped_empty, "
        "coalesce(sum(dropped_copies), 0) AS dropped_copies, "
        "coalesce(sum(dropped_duplicates), 0) AS dropped_duplicates, "
        "coalesce(sum(seconds), 0.0) AS seconds FROM generation_batches WHERE run_id = ?",
        (run_id,),
    )[0]
    row["shards"] = [
        shard
        for (shard,) in store.execute(
            "SELECT DISTINCT shard FROM generation_batches WHERE run_id = ? ORDER BY shard",
            (run_id,),
        )
    ]
    row["devices"] = [
        device
        for (device,) in store.execute(
            "SELECT DISTINCT device FROM generation_batches WHERE run_id = ? ORDER BY device",
            (run_id,),
        )
    ]
    return row


def passage_sizes(
    store: Store, collection_id: int, after: int, limit: int
) -> list[tuple[int, int]]:
    """(id, characters of title and text) for the next ``limit`` passages after id ``after``."""
    return [
        (int(pid), int(size))
        for pid, size in store.execute(
            "SELECT id, length(title) + length(text) FROM passages "
            "WHERE collection_id = ? AND id > ? ORDER BY id LIMIT ?",
            (collection_id, after, limit),
        )
    ]


def passages_for_generation(store: Store, passage_ids: Sequence[int]) -> list[PassageInput]:
    """The passages with these ids, in the order given."""
    marks = ", ".join("?" * len(passage_ids))
    found = {
        int(row[0]): PassageInput(int(row[0]), row[1], row[2], row[3])
        for row in store.execute(
            f"SELECT id, docid, title, text FROM passages WHERE id IN ({marks})",
            list(passage_ids),
        )
    }
    return [found[pid] for pid in passage_ids]


def iter_generations_for_export(store: Store, run_id: int) -> Iterator[ExportedGeneration]:
    """Every generated query of a run in (passage, language, position) order, streamed."""
    cursor = store.execute(
        "SELECT p.docid, g.language, g.position, g.text FROM generations g "
        "JOIN passages p ON p.id = g.passage_id WHERE g.run_id = ? "
        "ORDER BY g.passage_id, g.language, g.position",
        (run_id,),
    )
    for docid, language, position, text in cursor:
        yield ExportedGeneration(docid, language, int(position), text)
