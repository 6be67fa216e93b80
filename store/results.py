"""Ranked search results and per-query metric values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from store.db import Store
from store.records import SearchHit


def add_results(store: Store, run_id: int, hits: Iterable[SearchHit]) -> int:
    """Store ranked hits of a search run."""
    with store.transaction():
        return store.executemany(
            "INSERT INTO results (run_id, query_id, rank, passage_id, score) "
            "VALUES (?, ?, ?, ?, ?)",
            ((run_id, *hit) for hit in hits),
        ).rowcount


def get_results(
    store: Store, run_id: int, depth: int | None = None
) -> dict[int, list[tuple[int, float]]]:
    """Query id -> [(passage id, score)] in rank order."""
    found: dict[int, list[tuple[int, float]]] = {}
    rows = store.execute(
        "SELECT query_id, passage_id, score FROM results WHERE run_id = ? "
        "AND rank <= ? ORDER BY query_id, rank",
        (run_id, depth if depth is not None else 2**62),
    )
    for query_id, passage_id, score in rows:
        found.setdefault(int(query_id), []).append((int(passage_id), float(score)))
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
