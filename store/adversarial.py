"""What a model-aware attack spent and achieved on each adversarial query it wrote."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from store import results
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
    relevant passages were not retrieved are absent). Reads the packed rankings, not the
    ``results`` view, which decodes every stored hit in SQL."""
    rankings = results.get_rankings(store, search_run_id)
    relevant: dict[int, set[int]] = {}
    rows = store.execute(
        "SELECT j.query_id, j.passage_id FROM qrels j JOIN rankings r "
        "ON r.query_id = j.query_id WHERE r.run_id = ? AND j.relevance > 0",
        (search_run_id,),
    )
    for query_id, passage_id in rows:
        relevant.setdefault(int(query_id), set()).add(int(passage_id))
    ranks: dict[int, int] = {}
    for query_id, wanted in relevant.items():
        for rank, (passage_id, _) in enumerate(rankings.get(query_id, []), start=1):
            if passage_id in wanted:
                ranks[query_id] = rank
                break
    return ranks
