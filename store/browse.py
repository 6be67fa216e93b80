"""Read-only views for browsing a database: what the terminal app shows, asked of the store.

Every function here only reads, with parameters, and fetches whole results at once (no cursor
is left open, so no read transaction outlives a call and a writer in another process is
never held up). Passage lists are paged: nothing reads a whole table into memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from store import generations
from store.db import Store

PREVIEW_CHARS = 200
# Full-text matches first, then their passages by primary key. CROSS JOIN fixes that order:
# left to choose, SQLite may walk the passages and run the full-text query once per passage
# (minutes instead of milliseconds on 100k passages).
MATCHED = "passages_fts f CROSS JOIN passages p ON p.id = f.rowid"
INDEX_KINDS = ("index", "augment")


@dataclass(frozen=True)
class DatabaseSummary:
    """How much a database holds (an empty one gets a message instead of screens)."""

    collections: int
    passages: int
    queries: int
    runs: int


def database_summary(store: Store) -> DatabaseSummary:
    """Counts of collections, passages, queries and runs."""
    row = store.execute(
        "SELECT (SELECT count(*) FROM collections), (SELECT count(*) FROM passages), "
        "(SELECT count(*) FROM queries), (SELECT count(*) FROM runs)"
    ).fetchone()
    return DatabaseSummary(*(int(value) for value in row))


class CollectionInfo(NamedTuple):
    """A collection and how many passages it holds."""

    id: int
    name: str
    passages: int


def collections_with_counts(store: Store) -> list[CollectionInfo]:
    """Every collection with its passage count, oldest first."""
    rows = store.execute(
        "SELECT c.id, c.name, (SELECT count(*) FROM passages p WHERE p.collection_id = c.id) "
        "FROM collections c ORDER BY c.id"
    ).fetchall()
    return [CollectionInfo(int(i), str(name), int(n)) for i, name, n in rows]


# --- passages -------------------------------------------------------------------------------


def fts_query(text: str, *, shortest: int = 1) -> str | None:
    """A safe FTS5 query for what a user typed, or None when there is nothing to match.

    Each word becomes a quoted string (quotes inside doubled), so FTS5 operators and
    punctuation typed by the user are matched literally, never parsed; the last word matches
    as a prefix while it is still being typed (no trailing space). Words shorter than
    ``shortest`` characters are left out (the trigram index of generated queries matches
    nothing shorter than 3).
    """
    words = [
        word for word in text.split() if any(ch.isalnum() for ch in word) and len(word) >= shortest
    ]
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    if not text[-1].isspace():
        quoted[-1] += "*"
    return " ".join(quoted)


@dataclass(frozen=True)
class PassageListing:
    """The passages of a collection (optionally those matching an FTS5 query), in id order.

    ``contiguous`` says that the unfiltered ids run without gaps from ``first_id``, so a page
    at any position is found through the primary key instead of skipping rows.
    """

    collection_id: int
    match: str | None
    total: int
    first_id: int
    contiguous: bool
    # Match the generated queries of the passages (in this language only, if given) instead
    # of their title and text.
    in_generations: bool = False
    language: str | None = None
    # With in_generations: the collection's generation runs that are not in the word index
    # (not searched; ``xqg generate fts RUN`` adds one).
    unindexed: tuple[str, ...] = ()


class PassageLine(NamedTuple):
    """One row of a passage list: the start of the text only."""

    id: int
    docid: str
    title: str
    preview: str


class Passage(NamedTuple):
    """A whole stored passage."""

    id: int
    collection_id: int
    docid: str
    title: str
    text: str


# Passages with a generated query that matches (:m), in one language when :l is not NULL.
GENERATION_MATCHED = (
    "p.collection_id = :c AND p.id IN (SELECT g.passage_id FROM generations_fts f "
    "CROSS JOIN generations g ON g.id = f.rowid WHERE generations_fts MATCH :m "
    "AND (:l IS NULL OR g.language = :l))"
)
TRIGRAM = 3


def list_passages(
    store: Store,
    collection_id: int,
    text_filter: str = "",
    *,
    in_generations: bool = False,
    language: str | None = None,
) -> PassageListing:
    """Count the passages of a collection, or those matching ``text_filter`` (words, as
    typed): in their title and text, or with ``in_generations`` in their generated queries
    (of one ``language`` if given)."""
    if in_generations:
        match = fts_query(text_filter, shortest=TRIGRAM)
        if match is not None:
            total = store.scalar(
                f"SELECT count(*) FROM passages p WHERE {GENERATION_MATCHED}",
                {"c": collection_id, "m": match, "l": language},
            )
            unindexed = tuple(generations.unindexed_runs(store, collection_id))
            return PassageListing(
                collection_id, match, int(total), 0, False, True, language, unindexed
            )
    match = None if in_generations else fts_query(text_filter)
    if match is None:
        # The count reads the (collection, docid) index; "+collection_id" keeps that index
        # out of min/max, which then read the first and last rows of the primary key.
        total, first, last = store.execute(
            "SELECT (SELECT count(*) FROM passages WHERE collection_id = :c), "
            "(SELECT coalesce(min(id), 0) FROM passages WHERE +collection_id = :c), "
            "(SELECT coalesce(max(id), -1) FROM passages WHERE +collection_id = :c)",
            {"c": collection_id},
        ).fetchone()
        contiguous = int(last) - int(first) + 1 == int(total)
        return PassageListing(collection_id, None, int(total), int(first), contiguous)
    total = store.scalar(
        f"SELECT count(*) FROM {MATCHED} WHERE passages_fts MATCH ? AND p.collection_id = ?",
        (match, collection_id),
    )
    return PassageListing(collection_id, match, int(total), 0, False)


def passage_page(
    store: Store, listing: PassageListing, offset: int, limit: int
) -> list[PassageLine]:
    """``limit`` rows of a listing from position ``offset`` (0-based)."""
    columns = "p.id, p.docid, p.title, substr(p.text, 1, ?)"
    if listing.in_generations and listing.match is not None:
        rows = store.execute(
            f"SELECT {columns.replace('?', ':n')} FROM passages p WHERE {GENERATION_MATCHED} "
            "ORDER BY p.id LIMIT :limit OFFSET :offset",
            {
                **_generation_parameters(listing),
                "n": PREVIEW_CHARS,
                "limit": limit,
                "offset": offset,
            },
        ).fetchall()
    elif listing.match is not None:
        rows = store.execute(
            f"SELECT {columns} FROM {MATCHED} WHERE passages_fts MATCH ? "
            "AND p.collection_id = ? ORDER BY f.rowid LIMIT ? OFFSET ?",
            (PREVIEW_CHARS, listing.match, listing.collection_id, limit, offset),
        ).fetchall()
    elif listing.contiguous:
        rows = store.execute(
            f"SELECT {columns} FROM passages p WHERE p.id >= ? AND +p.collection_id = ? "
            "ORDER BY p.id LIMIT ?",
            (PREVIEW_CHARS, listing.first_id + offset, listing.collection_id, limit),
        ).fetchall()
    else:
        rows = store.execute(
            f"SELECT {columns} FROM passages p WHERE p.collection_id = ? "
            "ORDER BY p.id LIMIT ? OFFSET ?",
            (PREVIEW_CHARS, listing.collection_id, limit, offset),
        ).fetchall()
    return [PassageLine(int(i), str(d), str(t), " ".join(str(x).split())) for i, d, t, x in rows]


def passage_position(store: Store, listing: PassageListing, passage_id: int) -> int | None:
    """Position of a passage in a listing, or None when the listing does not hold it."""
    if listing.in_generations and listing.match is not None:
        before, inside = store.execute(
            "SELECT count(*) FILTER (WHERE p.id < :p), count(*) FILTER (WHERE p.id = :p) "
            f"FROM passages p WHERE {GENERATION_MATCHED}",
            {**_generation_parameters(listing), "p": passage_id},
        ).fetchone()
        return int(before) if inside else None
    if listing.match is None:
        inside = store.scalar(
            "SELECT count(*) FROM passages WHERE id = ? AND collection_id = ?",
            (passage_id, listing.collection_id),
        )
        if not inside:
            return None
        if listing.contiguous:
            return passage_id - listing.first_id
        return int(
            store.scalar(
                "SELECT count(*) FROM passages WHERE collection_id = ? AND id < ?",
                (listing.collection_id, passage_id),
            )
        )
    before, inside = store.execute(
        "SELECT count(*) FILTER (WHERE p.id < ?), count(*) FILTER (WHERE p.id = ?) "
        f"FROM {MATCHED} WHERE passages_fts MATCH ? AND p.collection_id = ?",
        (passage_id, passage_id, listing.match, listing.collection_id),
    ).fetchone()
    return int(before) if inside else None


def _generation_parameters(listing: PassageListing) -> dict[str, object]:
    return {"c": listing.collection_id, "m": listing.match, "l": listing.language}


def generation_languages(store: Store) -> list[str]:
    """The languages finished generation runs asked for (from their summaries), sorted."""
    found: set[str] = set()
    for (summary,) in store.execute(
        "SELECT summary FROM runs WHERE kind = 'generate' AND status = 'done'"
    ):
        found.update(json.loads(summary).get("per_language", {}))
    return sorted(found)


def get_passage(store: Store, passage_id: int) -> Passage | None:
    """A passage by its stored id."""
    row = store.execute(
        "SELECT id, collection_id, docid, title, text FROM passages WHERE id = ?", (passage_id,)
    ).fetchone()
    return None if row is None else Passage(*row)


def passage_by_docid(store: Store, collection_id: int, docid: str) -> Passage | None:
    """A passage by its external docid within a collection."""
    row = store.execute(
        "SELECT id, collection_id, docid, title, text FROM passages "
        "WHERE collection_id = ? AND docid = ?",
        (collection_id, docid.strip()),
    ).fetchone()
    return None if row is None else Passage(*row)


def passages_by_ids(store: Store, passage_ids: Iterable[int]) -> dict[int, Passage]:
    """Passage id -> passage, for the ids that exist."""
    ids = list(dict.fromkeys(int(i) for i in passage_ids))
    found: dict[int, Passage] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        for row in store.execute(
            f"SELECT id, collection_id, docid, title, text FROM passages WHERE id IN ({marks})",
            chunk,
        ).fetchall():
            found[int(row[0])] = Passage(*row)
    return found


@dataclass(frozen=True)
class PassageGenerations:
    """The queries one generation run generated for one passage, by language."""

    run_id: int
    run_name: str
    by_language: dict[str, list[str]]

    @property
    def count(self) -> int:
        """How many queries, over all languages."""
        return sum(len(texts) for texts in self.by_language.values())


def passage_generations(store: Store, passage_id: int) -> list[PassageGenerations]:
    """Generated queries of a passage per generation run (oldest run first), by language."""
    rows = store.execute(
        "SELECT g.run_id, r.name, g.language, g.text FROM runs r "
        "JOIN generations g ON g.run_id = r.id AND g.passage_id = ? "
        "WHERE r.kind = 'generate' ORDER BY g.run_id, g.language, g.position",
        (passage_id,),
    ).fetchall()
    found: dict[int, PassageGenerations] = {}
    for run_id, run_name, language, text in rows:
        group = found.setdefault(int(run_id), PassageGenerations(int(run_id), str(run_name), {}))
        group.by_language.setdefault(str(language), []).append(str(text))
    return list(found.values())


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownQuery:
    """A stored (evaluation) query with its answer strings and relevant passages."""

    id: int
    collection_id: int
    qid: str
    language: str
    text: str
    answers: tuple[str, ...]
    relevant: frozenset[int]


def queries_by_text(store: Store, text: str) -> list[KnownQuery]:
    """Stored queries whose text is ``text``, spaces around either ignored (387 of the
    14,280 XQuAD questions end with a space)."""
    stripped = text.strip()
    # A range over the (collection_id, text) index: the text and the texts it begins.
    rows = store.execute(
        "SELECT id, collection_id, qid, language, text FROM queries "
        "WHERE collection_id IN (SELECT id FROM collections) AND text >= ? AND text < ? "
        "ORDER BY id",
        (stripped, stripped + "\U0010ffff"),
    ).fetchall()
    found = []
    for query_id, collection_id, qid, language, query_text in rows:
        if query_text.strip() != stripped:
            continue
        answers = store.execute(
            "SELECT text FROM answers WHERE query_id = ? ORDER BY position", (query_id,)
        ).fetchall()
        relevant = store.execute(
            "SELECT passage_id FROM qrels WHERE query_id = ? AND relevance > 0", (query_id,)
        ).fetchall()
        found.append(
            KnownQuery(
                int(query_id),
                int(collection_id),
                str(qid),
                str(language),
                str(query_text),
                tuple(str(a) for (a,) in answers),
                frozenset(int(p) for (p,) in relevant),
            )
        )
    return found


def query_languages(store: Store) -> list[str]:
    """The languages of the stored queries, sorted."""
    return [
        str(lang)
        for (lang,) in store.execute(
            "SELECT DISTINCT language FROM queries ORDER BY language"
        ).fetchall()
    ]


# --- runs -----------------------------------------------------------------------------------


class ParentLink(NamedTuple):
    """A parent of a run: its role and the parent run."""

    role: str
    run_id: int
    name: str


@dataclass(frozen=True)
class RunOverview:
    """Everything a run record says, with its collection's name and its parents."""

    id: int
    kind: str
    name: str
    status: str
    collection: str | None
    params: dict[str, Any]
    versions: dict[str, Any]
    summary: dict[str, Any]
    error: str | None
    started_at: str
    ended_at: str | None
    parents: tuple[ParentLink, ...]


def runs_overview(store: Store) -> list[RunOverview]:
    """Every run (running and failed ones too), oldest first, with parents."""
    parents: dict[int, list[ParentLink]] = {}
    for run_id, role, parent_id, parent_name in store.execute(
        "SELECT p.run_id, p.role, p.parent_id, r.name FROM run_parents p "
        "JOIN runs r ON r.id = p.parent_id ORDER BY p.rowid"
    ).fetchall():
        parents.setdefault(int(run_id), []).append(ParentLink(role, int(parent_id), parent_name))
    rows = store.execute(
        "SELECT r.id, r.kind, r.name, r.status, c.name, r.params, r.versions, r.summary, "
        "r.error, r.started_at, r.ended_at FROM runs r "
        "LEFT JOIN collections c ON c.id = r.collection_id ORDER BY r.id"
    ).fetchall()
    return [
        RunOverview(
            id=int(row[0]),
            kind=row[1],
            name=row[2],
            status=row[3],
            collection=row[4],
            params=json.loads(row[5]),
            versions=json.loads(row[6]),
            summary=json.loads(row[7]),
            error=row[8],
            started_at=row[9],
            ended_at=row[10],
            parents=tuple(parents.get(int(row[0]), ())),
        )
        for row in rows
    ]


class IndexRun(NamedTuple):
    """A finished run that wrote a searchable passage index (baseline or xQG)."""

    id: int
    kind: str
    name: str
    collection_id: int | None


def index_runs(store: Store) -> list[IndexRun]:
    """Finished index and augment runs that hold passage vectors, oldest first."""
    rows = store.execute(
        "SELECT r.id, r.kind, r.name, r.collection_id FROM runs r WHERE r.status = 'done' "
        "AND r.kind IN (?, ?) AND EXISTS (SELECT 1 FROM vector_sets v "
        "WHERE v.run_id = r.id AND v.kind = 'passages') ORDER BY r.id",
        INDEX_KINDS,
    ).fetchall()
    return [IndexRun(int(i), k, n, None if c is None else int(c)) for i, k, n, c in rows]


# --- evaluation -----------------------------------------------------------------------------


class EvaluatedRun(NamedTuple):
    """A search run with stored per-query metric values."""

    id: int
    name: str
    collection_id: int | None
    index_run_id: int | None


def evaluated_search_runs(store: Store) -> list[EvaluatedRun]:
    """Search runs that have per-query metric values, oldest first, with their index run."""
    rows = store.execute(
        "SELECT r.id, r.name, r.collection_id, (SELECT p.parent_id FROM run_parents p "
        "WHERE p.run_id = r.id AND p.role = 'index') FROM runs r WHERE r.kind = 'search' "
        "AND EXISTS (SELECT 1 FROM query_metrics m WHERE m.run_id = r.id) ORDER BY r.id"
    ).fetchall()
    return [
        EvaluatedRun(int(i), n, None if c is None else int(c), None if x is None else int(x))
        for i, n, c, x in rows
    ]


def evaluation_statistics(store: Store) -> dict[str, Any]:
    """How the newest finished evaluate run marks significance (its ``statistics``:
    test, correction, alpha); empty when there is none or it predates the record."""
    row = store.execute(
        "SELECT summary FROM runs WHERE kind = 'evaluate' AND status = 'done' "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    statistics = json.loads(row[0]).get("statistics", {}) if row else {}
    return dict(statistics)


def latest_comparison(store: Store) -> tuple[int, list[int]] | None:
    """(baseline, systems) search run ids of the newest finished evaluate run, if any."""
    row = store.execute(
        "SELECT id FROM runs WHERE kind = 'evaluate' AND status = 'done' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    parents = store.execute(
        "SELECT parent_id, role FROM run_parents WHERE run_id = ? ORDER BY rowid", (row[0],)
    ).fetchall()
    baseline = [int(p) for p, role in parents if role == "baseline"]
    systems = [int(p) for p, role in parents if role == "system"]
    return (baseline[0], systems) if baseline else None


def stored_measures(store: Store, run_ids: Iterable[int]) -> list[str]:
    """Measures that every one of these search runs has values for, sorted by name."""
    ids = list(dict.fromkeys(int(i) for i in run_ids))
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = store.execute(
        f"SELECT measure FROM query_metrics WHERE run_id IN ({marks}) "
        "GROUP BY measure HAVING count(DISTINCT run_id) = ? ORDER BY measure",
        (*ids, len(ids)),
    ).fetchall()
    return [str(m) for (m,) in rows]


class QueryDelta(NamedTuple):
    """One query's value under the baseline and under a system, for one measure."""

    query_id: int
    qid: str
    language: str
    text: str
    baseline: float
    system: float

    @property
    def delta(self) -> float:
        """System minus baseline."""
        return self.system - self.baseline


def query_deltas(
    store: Store,
    baseline_run_id: int,
    system_run_id: int,
    measure: str,
    *,
    language: str | None = None,
    helped: bool = True,
    limit: int = 10,
) -> list[QueryDelta]:
    """The queries a system helped most (or hurt most) against the baseline.

    Only queries whose value changed are listed; ``language`` None means every language.
    """
    order = "DESC" if helped else "ASC"
    sign = ">" if helped else "<"
    rows = store.execute(
        "SELECT q.id, q.qid, q.language, q.text, b.value, x.value FROM query_metrics b "
        "JOIN query_metrics x ON x.query_id = b.query_id AND x.measure = b.measure "
        "JOIN queries q ON q.id = b.query_id "
        "WHERE b.run_id = ? AND x.run_id = ? AND b.measure = ? "
        f"AND (? IS NULL OR q.language = ?) AND x.value {sign} b.value "
        f"ORDER BY x.value - b.value {order}, q.id LIMIT ?",
        (baseline_run_id, system_run_id, measure, language, language, limit),
    ).fetchall()
    return [QueryDelta(int(r[0]), r[1], r[2], r[3], float(r[4]), float(r[5])) for r in rows]
