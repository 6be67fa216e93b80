"""The fixed batches of a generation run, and which of them a shard takes.

Passages are read in id order in windows of ``SORT_WINDOW_BATCHES * batch_size``; inside a
window they are sorted by length (title and text characters; less padding) and cut into
batches of ``batch_size``, numbered 0, 1, ... over the whole collection. The batches depend
only on the collection and the batch size, never on the shard, the engine or what is
already done, so every batch is generated with exactly the same neighbours — and hence the
same numbers — in a clean run, a resumed one, any shard and any Ray worker. Shard ``i/N``
takes the batches whose number is ``i - 1`` modulo ``N``: lengths stay mixed across shards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pipelines.errors import InputError
from pipelines.generations.settings import SORT_WINDOW_BATCHES
from store import generations
from store.db import Store


class Shard(NamedTuple):
    """Shard ``number`` (1-based) of ``total``."""

    number: int
    total: int

    def __str__(self) -> str:
        return f"{self.number}/{self.total}"

    def takes(self, batch: int) -> bool:
        """Whether this shard generates batch number ``batch``."""
        return batch % self.total == self.number - 1


WHOLE = Shard(1, 1)


class Batch(NamedTuple):
    """A batch of the plan: its number and its passage ids in generation order."""

    number: int
    passage_ids: list[int]


def parse_shard(text: str | None) -> Shard:
    """``"2/8"`` -> Shard(2, 8); None -> the whole collection."""
    if text is None:
        return WHOLE
    number, _, total = text.partition("/")
    try:
        shard = Shard(int(number), int(total))
    except ValueError:
        raise InputError(f"--shard expects i/N such as 1/4, got {text!r}") from None
    if shard.total < 1 or not 1 <= shard.number <= shard.total:
        raise InputError(f"--shard {text}: shards are numbered 1 to N (e.g. 1/4 ... 4/4)")
    return shard


def batch_sizes(passages: int, batch_size: int) -> list[int]:
    """Passages in each batch of the plan, by batch number."""
    window = SORT_WINDOW_BATCHES * batch_size
    sizes: list[int] = []
    for start in range(0, passages, window):
        left = min(window, passages - start)
        sizes.extend(min(batch_size, left - offset) for offset in range(0, left, batch_size))
    return sizes


def plan_batches(
    store: Store, collection_id: int, batch_size: int, shard: Shard, skip: set[int]
) -> Iterator[Batch]:
    """The batches of this shard in order, without those in ``skip``; reads window by window."""
    window = SORT_WINDOW_BATCHES * batch_size
    number, after = 0, -1
    while True:
        sizes = generations.passage_sizes(store, collection_id, after, window)
        if not sizes:
            return
        after = sizes[-1][0]
        ordered = [pid for pid, _ in sorted(sizes, key=lambda row: (row[1], row[0]))]
        for start in range(0, len(ordered), batch_size):
            if shard.takes(number) and number not in skip:
                yield Batch(number, ordered[start : start + batch_size])
            number += 1
