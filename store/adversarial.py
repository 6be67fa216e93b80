"""What a model-aware attack spent and achieved on each adversarial query it wrote."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from store.db import Store


class AdversarialRecord(NamedTuple):
    """One adversarial query (a stored variant) of an attack run, against its target."""

    query_id: int
    moves: list[str]
    edits: int
    model_calls: int
    encoded: int
    rank_before: int
    rank_after: int
    margin_before: float
    margin_after: float


def add_adversarial(store: Store, run_id: int, records: Iterable[AdversarialRecord]) -> int:
    """Store the attack's record of each adversarial query (a query already recorded for the
    run keeps its first record); returns how many were new."""
    with store.transaction():
        return store.executemany(
            "INSERT OR IGNORE INTO adversarial_queries (run_id, query_id, moves, edits, "
            "model_calls, encoded, rank_before, rank_after, margin_before, margin_after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (run_id, r.query_id, json.dumps(r.moves, ensure_ascii=False), *r[2:])
                for r in records
            ),
        ).rowcount


def get_adversarial(store: Store, run_id: int) -> list[AdversarialRecord]:
    """An attack run's records, in query id order."""
    rows = store.execute(
        "SELECT query_id, moves, edits, model_calls, encoded, rank_before, rank_after, "
        "margin_before, margin_after FROM adversarial_queries WHERE run_id = ? ORDER BY query_id",
        (run_id,),
    )
    return [AdversarialRecord(row[0], json.loads(row[1]), *row[2:]) for row in rows]


def relevant_ranks(store: Store, search_run_id: int) -> dict[int, int]:
    """Query id -> rank of its best-ranked relevant passage in a search run (queries whose
    relevant passages were not retrieved are absent)."""
    rows = store.execute(
        "SELECT r.query_id, MIN(r.rank) FROM results r JOIN qrels j ON j.query_id = r.query_id "
        "AND j.passage_id = r.passage_id AND j.relevance > 0 WHERE r.run_id = ? "
        "GROUP BY r.query_id",
        (search_run_id,),
    )
    return {int(query_id): int(rank) for query_id, rank in rows}
