"""Ranked search results and per-query metric values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from store.db import Store
from store.packed import pack, unpack
from store.records import SearchHit

# One query's ranking, best first: (passage id, score) pairs; a passage id of None is a
# docid the collection does not hold (an imported run's unknown docid).
Ranked = Sequence[tuple[int | None, float | None]]


def add_results(store: Store, run_id: int, hits: Iterable[SearchHit]) -> int:
    """Store ranked hits of a search run; returns how many.

    Ranks may leave gaps: a rank without a hit is a passage the collection does not hold
    (an imported run's unknown docid), retrieved and non-relevant.
    """
    by_query: dict[int, dict[int, SearchHit]] = {}
    for hit in hits:
        by_query.setdefault(hit.query_id, {})[hit.rank] = hit
    rankings: dict[int, list[tuple[int | None, float | None]]] = {}
    for query_id, by_rank in by_query.items():
        ranked: list[tuple[int | None, float | None]] = [(None, None)] * max(by_rank)
        for rank, hit in by_rank.items():
            ranked[rank - 1] = (hit.passage_id, hit.score)
        rankings[query_id] = ranked
    add_rankings(store, run_id, rankings)
    return sum(len(by_rank) for by_rank in by_query.values())


def add_rankings(store: Store, run_id: int, rankings: Mapping[int, Ranked]) -> int:
    """Store each query's whole ranking, best first: (passage id, score) pairs, where a
    passage id of None is a docid the collection does not hold. Returns the queries stored.

    One row per query, the passage ids and scores packed (:mod:`store.packed`); the
    ``results`` view gives them back one row per ranked passage.
    """
    with store.transaction():
        return store.executemany(
            "INSERT INTO rankings (run_id, query_id, passages, scores) VALUES (?, ?, ?, ?)",
            ((run_id, query_id, *pack(ranked)) for query_id, ranked in rankings.items()),
        ).rowcount


def get_rankings(
    store: Store, run_id: int, depth: int | None = None
) -> dict[int, list[tuple[int | None, float | None]]]:
    """Query id -> its whole ranking, best first, unknown passages (None) in place: what
    trec_eval measures. Queries whose ranked passages are all unknown are included."""
    found: dict[int, list[tuple[int | None, float | None]]] = {}
    rows = store.execute(
        "SELECT query_id, passages, scores FROM rankings WHERE run_id = ? ORDER BY query_id",
        (run_id,),
    )
    for query_id, passages, scores in rows:
        found[int(query_id)] = unpack(passages, scores, depth)
    return found


def get_results(
    store: Store, run_id: int, depth: int | None = None
) -> dict[int, list[tuple[int, float]]]:
    """Query id -> [(passage id, score)] in rank order, the passages the collection holds
    among the first ``depth`` ranks (queries with none are left out)."""
    found: dict[int, list[tuple[int, float]]] = {}
    for query_id, ranked in get_rankings(store, run_id, depth).items():
        known = [(int(p), float(s)) for p, s in ranked if p is not None and s is not None]
        if known:
            found[query_id] = known
    return found


def put_query_metrics(
    store: Store, eval_run_id: int, rows: Iterable[tuple[int, int, str, float]]
) -> int:
    """Store (search run, query, measure, value) rows; re-evaluation replaces changed values.

    A value equal to the stored one keeps the evaluate run that stored it first: deleting a
    later evaluate run (its rows go with it) must not take an earlier run's values along.
    """
    with store.transaction():
        return store.executemany(
            "INSERT INTO query_metrics (run_id, query_id, measure, value, eval_run_id) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, measure, query_id) DO UPDATE SET "
            "value = excluded.value, eval_run_id = excluded.eval_run_id "
            "WHERE value IS NOT excluded.value",
            (
                (run_id, query_id, measure, value, eval_run_id)
                for run_id, query_id, measure, value in rows
            ),
        ).rowcount


def get_query_metrics(
    store: Store, run_id: int, measures: Sequence[str] | None = None
) -> dict[str, dict[int, float]]:
    """Measure -> {query id: value} for one search run."""
    found: dict[str, dict[int, float]] = {}
    for query_id, measure, value in store.execute(
        "SELECT query_id, measure, value FROM query_metrics WHERE run_id = ?", (run_id,)
    ):
        if measures is None or measure in measures:
            found.setdefault(measure, {})[int(query_id)] = float(value)
    return found


def stored_measures(store: Store, run_id: int) -> set[str]:
    """The measures that have per-query values stored for one search run."""
    return {
        str(row[0])
        for row in store.execute(
            "SELECT DISTINCT measure FROM query_metrics WHERE run_id = ?", (run_id,)
        )
    }
