"""Generated queries per passage, per language, per generation run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from store.db import Store
from store.records import GenerationRecord


class Generation(NamedTuple):
    """A stored generated query."""

    id: int
    passage_id: int
    language: str
    position: int
    text: str


def add_generations(store: Store, run_id: int, records: Iterable[GenerationRecord]) -> int:
    """Store generated queries of a run; returns how many rows were written."""
    with store.transaction():
        return store.executemany(
            "INSERT INTO generations (run_id, passage_id, language, position, text, "
            "source_query_id) VALUES (?, ?, ?, ?, ?, ?)",
            ((run_id, *record) for record in records),
        ).rowcount


def get_generations(
    store: Store,
    run_id: int,
    *,
    languages: Sequence[str] | None = None,
    per_language: int | None = None,
) -> list[Generation]:
    """Generated queries of a run in (passage, language, position) order.

    Args:
        languages: keep only these languages.
        per_language: keep only the first n positions per passage and language.
    """
    rows = store.execute(
        "SELECT id, passage_id, language, position, text FROM generations WHERE run_id = ? "
        "ORDER BY passage_id, language, position",
        (run_id,),
    )
    found = [Generation(int(r[0]), int(r[1]), r[2], int(r[3]), r[4]) for r in rows]
    if languages is not None:
        found = [g for g in found if g.language in languages]
    if per_language is not None:
        found = _first_per_language(found, per_language)
    return found


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


def _first_per_language(generations: list[Generation], n: int) -> list[Generation]:
    kept: list[Generation] = []
    seen: dict[tuple[int, str], int] = {}
    for generation in generations:
        key = (generation.passage_id, generation.language)
        if seen.get(key, 0) < n:
            kept.append(generation)
            seen[key] = seen.get(key, 0) + 1
    return kept
