"""The batch plan: fixed by the collection, sorted by length in windows, split by shards."""

from __future__ import annotations

import pytest

from pipelines.errors import InputError
from pipelines.generations.plan import Shard, batch_sizes, parse_shard, plan_batches
from pipelines.generations.settings import SORT_WINDOW_BATCHES
from store import Store
from store.collections import add_passages, ensure_collection
from store.records import PassageRecord


@pytest.fixture
def corpus(store: Store) -> int:
    collection = ensure_collection(store, "c", "jsonl")
    # 150 passages whose lengths run against their ids in places.
    add_passages(
        store,
        collection.id,
        [PassageRecord(f"d{i}", "t", "x" * ((i * 37) % 101)) for i in range(150)],
    )
    return collection.id


def test_batch_sizes_fill_windows_then_batches() -> None:
    assert batch_sizes(10, 4) == [4, 4, 2]
    window = SORT_WINDOW_BATCHES * 2
    assert batch_sizes(window + 3, 2) == [2] * SORT_WINDOW_BATCHES + [2, 1]
    assert batch_sizes(0, 8) == []


def test_plan_covers_every_passage_once_sorted_by_length_within_windows(
    store: Store, corpus: int
) -> None:
    plan = list(plan_batches(store, corpus, 2, Shard(1, 1), set()))
    assert [b.number for b in plan] == list(range(75))
    assert [len(b.passage_ids) for b in plan] == batch_sizes(150, 2)
    ids = [pid for batch in plan for pid in batch.passage_ids]
    assert sorted(ids) == list(range(1, 151))
    sizes = dict(store.execute("SELECT id, length(text) FROM passages"))
    window = 2 * SORT_WINDOW_BATCHES
    first, second = ids[:window], ids[window : 2 * window]
    assert [sizes[p] for p in first] == sorted(sizes[p] for p in range(1, window + 1))
    assert set(second) == set(range(window + 1, 2 * window + 1))
    assert [sizes[p] for p in second] == sorted(sizes[p] for p in second)


def test_shards_partition_the_plan_and_skip_what_is_done(store: Store, corpus: int) -> None:
    whole = {b.number: b.passage_ids for b in plan_batches(store, corpus, 4, Shard(1, 1), set())}
    shards = [list(plan_batches(store, corpus, 4, Shard(i, 3), set())) for i in (1, 2, 3)]
    assert [b.number for b in shards[1]] == list(range(1, len(whole), 3))
    merged = {b.number: b.passage_ids for shard in shards for b in shard}
    assert merged == whole
    left = list(plan_batches(store, corpus, 4, Shard(2, 3), {1, 7}))
    assert [b.number for b in left] == [n for n in range(4, len(whole), 3) if n != 7]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "--shard 0/4: shards are numbered 1 to N"),
        ("5/4", "--shard 5/4: shards are numbered 1 to N"),
        ("1/0", "--shard 1/0: shards are numbered 1 to N"),
        ("1-4", "--shard expects i/N such as 1/4, got '1-4'"),
    ],
)
def test_bad_shards_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_shard(text)
    assert parse_shard("3/4") == Shard(3, 4) and str(parse_shard(None)) == "1/1"
