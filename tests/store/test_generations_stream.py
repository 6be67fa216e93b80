"""Generated queries read back in bounded batches, in passage order, with the filters of
``augment`` (languages, the first n per passage and language) kept across batch edges."""

from __future__ import annotations

import pytest

from store import Store
from store.collections import add_passages, ensure_collection
from store.generations import Generation, add_generations, get_generations, iter_generations
from store.records import GenerationRecord, PassageRecord
from store.runs import start_run


def _stored(store: Store) -> tuple[int, list[int]]:
    """Three passages; written out of order, with gaps in positions (as a run that dropped
    duplicates leaves them) and a language another run does not have."""
    collection = ensure_collection(store, "c", "jsonl")
    add_passages(store, collection.id, [PassageRecord(f"d{i}", "", f"p {i}") for i in range(3)])
    p = [int(r[0]) for r in store.execute("SELECT id FROM passages ORDER BY id")]
    run = start_run(store, "generate", "g", {}, collection_id=collection.id).id
    other = start_run(store, "generate", "other", {}, collection_id=collection.id).id
    add_generations(store, other, [GenerationRecord(p[0], "fi", 0, "toinen")])
    add_generations(
        store,
        run,
        [
            GenerationRecord(p[2], "te", 0, "c-te-0", detected_language="te"),
            GenerationRecord(p[0], "te", 3, "a-te-3"),
            GenerationRecord(p[0], "de", 0, "a-de-0", detected_language="en"),
            GenerationRecord(p[0], "te", 1, "a-te-1"),
            GenerationRecord(p[0], "de", 2, "a-de-2"),
            GenerationRecord(p[1], "de", 4, "b-de-4"),
            GenerationRecord(p[0], "te", 0, "a-te-0"),
        ],
    )
    return run, p


def _texts(batches: list[list[Generation]]) -> list[list[str]]:
    return [[g.text for g in batch] for batch in batches]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_batches_follow_passage_language_position_order(store: Store, size: int) -> None:
    run, _ = _stored(store)
    batches = list(iter_generations(store, run, batch_size=size))
    order = ["a-de-0", "a-de-2", "a-te-0", "a-te-1", "a-te-3", "b-de-4", "c-te-0"]
    assert [t for batch in _texts(batches) for t in batch] == order
    assert max(len(b) for b in batches) <= size
    assert len(batches) == -(-7 // size)


@pytest.mark.parametrize("size", [1, 2, 4, 100])
def test_first_n_per_language_holds_across_batch_edges(store: Store, size: int) -> None:
    run, _ = _stored(store)
    kept = [
        g.text for b in iter_generations(store, run, per_language=2, batch_size=size) for g in b
    ]
    assert kept == ["a-de-0", "a-de-2", "a-te-0", "a-te-1", "b-de-4", "c-te-0"]
    one = [g.text for b in iter_generations(store, run, per_language=1, batch_size=size) for g in b]
    assert one == ["a-de-0", "a-te-0", "b-de-4", "c-te-0"]


def test_languages_and_ids_and_detected_language(store: Store) -> None:
    run, p = _stored(store)
    found = get_generations(store, run, languages=["te"], per_language=2)
    assert [(g.passage_id, g.position, g.text) for g in found] == [
        (p[0], 0, "a-te-0"),
        (p[0], 1, "a-te-1"),
        (p[2], 0, "c-te-0"),
    ]
    assert [g.detected_language for g in found] == [None, None, "te"]
    stored = store.scalar("SELECT id FROM generations WHERE text = 'c-te-0'")
    assert found[-1].id == stored
    assert list(iter_generations(store, run, languages=["ko"])) == []


def test_generated_queries_keep_one_index_and_the_stand_ins_source(store: Store) -> None:
    """Every index on the 630M-row table is paid on each insert: the key, and the source
    index over stand-ins only (a partial index: model rows, whose source is NULL, skip it)."""
    indexes = {row[1]: row for row in store.execute("PRAGMA index_list(generations)")}
    assert set(indexes) == {"sqlite_autoindex_generations_1", "generations_source"}
    assert indexes["generations_source"][4] == 1  # partial
    plan = " ".join(
        str(row[3])
        for row in store.execute(
            "EXPLAIN QUERY PLAN SELECT g.text FROM runs r JOIN generations g "
            "ON g.run_id = r.id AND g.passage_id = ? WHERE r.kind = 'generate'",
            (1,),
        )
    )
    assert "sqlite_autoindex_generations_1 (run_id=? AND passage_id=?)" in plan
