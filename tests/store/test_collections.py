"""Adding passages, queries, qrels and answers: idempotent, conflicts refused whole."""

from __future__ import annotations

import pytest

from store import ConflictError, Store
from store.collections import (
    add_answers,
    add_passages,
    add_qrels,
    add_queries,
    answers_for,
    ensure_collection,
    get_queries,
    iter_passages,
    qrels_for,
)
from store.records import AnswerRecord, PassageRecord, QrelRecord, QueryRecord

PASSAGES = [
    PassageRecord("d1", "Oslo", "Oslo is the capital of Norway."),
    PassageRecord("d2", "Lima", "Lima is the capital of Peru."),
]
QUERIES = [
    QueryRecord("q1-de", "de", "Was ist die Hauptstadt Norwegens?", "test", "q1"),
    QueryRecord("q1-fi", "fi", "Mikä on Norjan pääkaupunki?", "test", "q1"),
]


def _fill(store: Store) -> int:
    collection = ensure_collection(store, "c", "jsonl")
    add_passages(store, collection.id, PASSAGES)
    add_queries(store, collection.id, QUERIES)
    add_qrels(store, collection.id, [QrelRecord("q1-de", "d1"), QrelRecord("q1-fi", "d1")])
    add_answers(
        store, collection.id, [AnswerRecord("q1-de", ("Oslo",)), AnswerRecord("q1-fi", ("Oslo",))]
    )
    return collection.id


def test_rows_land_with_ids_in_input_order(store: Store) -> None:
    collection_id = _fill(store)
    batches = list(iter_passages(store, collection_id, batch_size=1))
    assert [[text for _, _, text in batch] for batch in batches] == [
        ["Oslo is the capital of Norway."],
        ["Lima is the capital of Peru."],
    ]
    queries = get_queries(store, collection_id)
    assert [(q.qid, q.language, q.parallel_id) for q in queries] == [
        ("q1-de", "de", "q1"),
        ("q1-fi", "fi", "q1"),
    ]
    assert get_queries(store, collection_id, languages=["fi"])[0].qid == "q1-fi"
    first_passage = batches[0][0][0]
    assert qrels_for(store, [q.id for q in queries]) == {
        queries[0].id: {first_passage: 1},
        queries[1].id: {first_passage: 1},
    }
    assert answers_for(store, [queries[0].id]) == {queries[0].id: ("Oslo",)}


def test_adding_the_same_rows_again_adds_nothing(store: Store) -> None:
    collection_id = _fill(store)
    assert add_passages(store, collection_id, PASSAGES) == 0
    assert add_queries(store, collection_id, QUERIES) == 0
    assert add_qrels(store, collection_id, [QrelRecord("q1-de", "d1")]) == 0
    assert add_answers(store, collection_id, [AnswerRecord("q1-de", ("Oslo",))]) == 0
    assert store.scalar("SELECT count(*) FROM passages") == 2
    assert store.scalar("SELECT count(*) FROM answers") == 2


def test_same_id_with_other_text_is_refused_and_nothing_is_written(store: Store) -> None:
    collection_id = _fill(store)
    changed = [PassageRecord("d3", "", "new"), PassageRecord("d2", "Lima", "Lima, Peru.")]
    with pytest.raises(ConflictError, match="passage 'd2' already stored"):
        add_passages(store, collection_id, changed)
    assert store.scalar("SELECT count(*) FROM passages") == 2


def test_changed_answers_are_refused(store: Store) -> None:
    collection_id = _fill(store)
    with pytest.raises(ConflictError, match="answer list of query 'q1-de'"):
        add_answers(store, collection_id, [AnswerRecord("q1-de", ("Bergen",))])


def test_qrels_must_name_stored_rows(store: Store) -> None:
    collection_id = _fill(store)
    with pytest.raises(ConflictError, match=r"\('q1-de', 'd9'\)"):
        add_qrels(store, collection_id, [QrelRecord("q1-de", "d9")])
    with pytest.raises(ConflictError, match="qrel 'q1-de/d1'"):
        add_qrels(store, collection_id, [QrelRecord("q1-de", "d1", 2)])


def test_same_docid_in_two_collections_gets_two_ids(store: Store) -> None:
    first = ensure_collection(store, "a", "jsonl")
    second = ensure_collection(store, "b", "beir")
    add_passages(store, first.id, PASSAGES[:1])
    add_passages(store, second.id, PASSAGES[:1])
    assert store.scalar("SELECT count(DISTINCT id) FROM passages WHERE docid = 'd1'") == 2
