"""Read-only views for the terminal app: paging, full-text filter, lookups, run overviews."""

from __future__ import annotations

import pytest

from store import Store
from store import browse as b
from store.collections import add_answers, add_passages, add_qrels, add_queries, ensure_collection
from store.generations import add_generations
from store.records import AnswerRecord, GenerationRecord, PassageRecord, QrelRecord, QueryRecord
from store.results import put_query_metrics
from store.runs import fail_run, finish_run, start_run

PASSAGES = [
    PassageRecord("oslo", "Oslo", "Oslo is the capital of Norway."),
    PassageRecord("bergen", "Bergen", "Bergen is a rainy city on the west coast of Norway."),
    PassageRecord("paris", "Paris", "Paris is the capital of France."),
    PassageRecord("lyon", "Lyon", "Lyon lies where the Rhône meets the Saône."),
    PassageRecord("rome", "Rome", 'Rome is called "the eternal city".'),
]


@pytest.fixture
def cities(store: Store) -> int:
    """Five passages in one collection, ids 1..5."""
    collection = ensure_collection(store, "cities", "jsonl")
    add_passages(store, collection.id, PASSAGES)
    return collection.id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", None),
        ("   ", None),
        ("( - )", None),
        ("oslo", '"oslo"*'),
        ("oslo ", '"oslo"'),
        ("capital Nor", '"capital" "Nor"*'),
        ('say "hi', '"say" """hi"*'),
        ("a OR b", '"a" "OR" "b"*'),
        ("title:x NEAR(y", '"title:x" "NEAR(y"*'),
    ],
)
def test_typed_text_becomes_a_quoted_fts_query(typed: str, expected: str | None) -> None:
    assert b.fts_query(typed) == expected


def test_operators_and_quotes_typed_by_a_user_are_matched_literally(
    store: Store, cities: int
) -> None:
    for typed in ('"eternal', "capital AND", "NEAR(capital", "text:capital", "capital*"):
        b.list_passages(store, cities, typed)  # no FTS5 syntax error for any of them
    assert b.list_passages(store, cities, '"eternal').total == 1
    assert b.list_passages(store, cities, "capital AND").total == 0  # "and" is a word here


def test_the_whole_collection_pages_through_the_primary_key(store: Store, cities: int) -> None:
    listing = b.list_passages(store, cities)
    assert (listing.total, listing.first_id, listing.contiguous) == (5, 1, True)
    assert [line.docid for line in b.passage_page(store, listing, 0, 2)] == ["oslo", "bergen"]
    assert [line.docid for line in b.passage_page(store, listing, 3, 10)] == ["lyon", "rome"]
    assert b.passage_page(store, listing, 5, 10) == []
    assert b.passage_page(store, listing, 0, 1)[0].preview == "Oslo is the capital of Norway."
    assert b.passage_position(store, listing, 4) == 3


def test_a_collection_with_gaps_in_its_ids_pages_by_offset(store: Store, cities: int) -> None:
    other = ensure_collection(store, "other", "jsonl")
    add_passages(store, other.id, [PassageRecord("x", "", "between")])
    add_passages(store, cities, [PassageRecord("nice", "Nice", "Nice is on the coast.")])
    listing = b.list_passages(store, cities)
    assert (listing.total, listing.contiguous) == (6, False)
    assert [line.docid for line in b.passage_page(store, listing, 4, 5)] == ["rome", "nice"]
    assert b.passage_position(store, listing, 7) == 5
    assert b.passage_position(store, listing, 6) is None  # the other collection's passage


def test_filtering_counts_pages_and_places_matches(store: Store, cities: int) -> None:
    listing = b.list_passages(store, cities, "capit")
    assert listing.total == 2
    assert [line.docid for line in b.passage_page(store, listing, 0, 10)] == ["oslo", "paris"]
    assert [line.docid for line in b.passage_page(store, listing, 1, 10)] == ["paris"]
    assert b.passage_position(store, listing, 3) == 1
    assert b.passage_position(store, listing, 2) is None  # bergen does not match
    assert b.list_passages(store, cities, "rhone").total == 1  # diacritics removed
    assert b.list_passages(store, cities, "norway west").total == 1


def test_passages_by_id_and_by_docid(store: Store, cities: int) -> None:
    assert b.get_passage(store, 3) == b.Passage(3, cities, "paris", "Paris", PASSAGES[2].text)
    assert b.get_passage(store, 99) is None
    assert b.passage_by_docid(store, cities, " lyon ") == b.get_passage(store, 4)
    assert b.passage_by_docid(store, cities, "nowhere") is None
    assert sorted(b.passages_by_ids(store, [5, 1, 5, 42])) == [1, 5]


def test_generations_are_grouped_by_run_and_language(store: Store, cities: int) -> None:
    first = start_run(store, "generate", "mt5", {})
    second = start_run(store, "generate", "stand-ins", {})
    add_generations(
        store,
        first.id,
        [
            GenerationRecord(1, "fi", 1, "Mikä on Norjan pääkaupunki?"),
            GenerationRecord(1, "de", 0, "Was ist die Hauptstadt Norwegens?"),
            GenerationRecord(1, "fi", 0, "Missä Oslo on?"),
            GenerationRecord(2, "fi", 0, "Sataako Bergenissä?"),
        ],
    )
    add_generations(store, second.id, [GenerationRecord(1, "ja", 0, "オスロはどこ？")])
    groups = b.passage_generations(store, 1)
    assert [(g.run_name, g.count) for g in groups] == [("mt5", 3), ("stand-ins", 1)]
    assert groups[0].by_language == {
        "de": ["Was ist die Hauptstadt Norwegens?"],
        "fi": ["Missä Oslo on?", "Mikä on Norjan pääkaupunki?"],
    }
    assert b.passage_generations(store, 3) == []


def test_a_typed_query_is_found_with_its_answers_and_relevant_passages(
    store: Store, cities: int
) -> None:
    add_queries(
        store,
        cities,
        [
            QueryRecord("q1", "fi", "Mikä on Norjan pääkaupunki?"),
            QueryRecord("q2", "de", "Hauptstadt Frankreichs?"),
            QueryRecord("q3", "th", "กรุงออสโลอยู่ที่ไหน "),  # stored with a space, as XQuAD has
        ],
    )
    add_answers(store, cities, [AnswerRecord("q1", ("Oslo", "Kristiania"))])
    add_qrels(store, cities, [QrelRecord("q1", "oslo"), QrelRecord("q1", "bergen", 0)])
    [found] = b.queries_by_text(store, "  Mikä on Norjan pääkaupunki? ")
    assert (found.qid, found.language) == ("q1", "fi")
    assert found.answers == ("Oslo", "Kristiania")
    assert found.relevant == frozenset({1})  # relevance 0 is not relevant
    assert b.queries_by_text(store, "Mikä on Norjan") == []
    assert [q.qid for q in b.queries_by_text(store, "กรุงออสโลอยู่ที่ไหน")] == ["q3"]
    assert b.query_languages(store) == ["de", "fi", "th"]


def test_runs_overview_lists_every_status_with_parents(store: Store, cities: int) -> None:
    index = start_run(store, "index", "base", {"encoder": {"name": "e5-small"}})
    finish_run(store, index.id, {"passages": 5})
    broken = start_run(store, "augment", "xqg", {"alpha": 0.01}, parents=[("index", index.id)])
    fail_run(store, broken.id, "out of memory")
    start_run(store, "search", "s", {}, parents=[("index", index.id)], collection_id=cities)
    overview = b.runs_overview(store)
    assert [(r.name, r.status) for r in overview] == [
        ("base", "done"),
        ("xqg", "failed"),
        ("s", "running"),
    ]
    assert overview[1].parents == (b.ParentLink("index", index.id, "base"),)
    assert overview[1].error == "out of memory"
    assert overview[1].params == {"alpha": 0.01}
    assert "python" in overview[0].versions
    assert (overview[2].collection, overview[2].ended_at) == ("cities", None)
    assert b.index_runs(store) == []  # no run has written passage vectors


def test_query_deltas_list_the_largest_gains_and_losses(store: Store, cities: int) -> None:
    add_queries(
        store, cities, [QueryRecord(f"q{i}", "fi" if i < 4 else "de", f"q {i}") for i in range(6)]
    )
    base = start_run(store, "search", "base", {}, collection_id=cities)
    xqg = start_run(store, "search", "xqg", {}, collection_id=cities)
    evaluation = start_run(
        store, "evaluate", "eval", {}, parents=[("baseline", base.id), ("system", xqg.id)]
    )
    finish_run(store, evaluation.id, {})
    before = [0.5, 0.2, 1.0, 0.0, 0.3, 0.9]
    after = [1.0, 0.2, 0.5, 0.25, 0.9, 0.1]
    put_query_metrics(
        store,
        evaluation.id,
        [(base.id, i + 1, "MRR@10", v) for i, v in enumerate(before)]
        + [(xqg.id, i + 1, "MRR@10", v) for i, v in enumerate(after)]
        + [(base.id, 1, "R@2kt", 1.0)],
    )
    helped = b.query_deltas(store, base.id, xqg.id, "MRR@10")
    assert [(d.qid, round(d.delta, 2)) for d in helped] == [("q4", 0.6), ("q0", 0.5), ("q3", 0.25)]
    hurt = b.query_deltas(store, base.id, xqg.id, "MRR@10", helped=False, limit=1)
    assert [(d.qid, round(d.delta, 2)) for d in hurt] == [("q5", -0.8)]
    finnish = b.query_deltas(store, base.id, xqg.id, "MRR@10", language="fi", helped=False)
    assert [d.qid for d in finnish] == ["q2"]
    assert b.stored_measures(store, [base.id, xqg.id]) == ["MRR@10"]
    assert b.stored_measures(store, [base.id]) == ["MRR@10", "R@2kt"]
    assert [r.name for r in b.evaluated_search_runs(store)] == ["base", "xqg"]
    assert b.latest_comparison(store) == (base.id, [xqg.id])


def test_an_empty_database_says_so(store: Store) -> None:
    assert b.database_summary(store) == b.DatabaseSummary(0, 0, 0, 0)
    assert b.latest_comparison(store) is None
    assert b.collections_with_counts(store) == []
