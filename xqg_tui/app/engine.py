"""Searching typed text against stored indexes: what the Search screen runs in a worker.

Encoders and memory-mapped indexes are loaded once and kept, so only the first search (or
the first with a new index) pays for loading; afterwards a search is one query encoding
per encoder plus one exact inner-product search per index (``pipelines.search.rank``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.encoders.base import Encoder, index_encoder_config, load_encoder
from pipelines.search import rank
from store import browse, runs, vectors
from store.browse import KnownQuery
from xqg_tui.app.library import Library
from xqg_tui.app.rankings import Hit, Ranking, SearchOutcome
from xqg_tui.app.scripts import detect_query_language

AUTO = "auto"
SHOWN = 20
DEPTH = 100


@dataclass(frozen=True)
class _LoadedIndex:
    run_id: int
    name: str
    kind: str
    index: Any
    encoder_key: str


class SearchEngine:
    """Loads encoders and indexes on first use and searches them."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self._encoders: dict[str, Encoder] = {}
        self._indexes: dict[int, _LoadedIndex] = {}
        # Workers replaced by newer ones keep running: one loads or searches at a time.
        self._lock = threading.RLock()

    def is_ready(self, run_ids: Sequence[int]) -> bool:
        """Whether every index (and its encoder) is loaded."""
        return all(run_id in self._indexes for run_id in run_ids)

    def prepare(self, run_ids: Sequence[int]) -> None:
        """Load the indexes and their encoders (slow the first time: model weights)."""
        with self._lock:
            for run_id in run_ids:
                if run_id not in self._indexes:
                    self._indexes[run_id] = self._load(run_id)

    def _load(self, run_id: int) -> _LoadedIndex:
        run = self._library.read(runs.get_run, run_id)
        vector_set = self._library.read(vectors.run_vector_set, run_id, "passages")
        config = index_encoder_config(vector_set, run)
        key = json.dumps(config.identity(), sort_keys=True)
        if key not in self._encoders:
            self._encoders[key] = load_encoder(config)
        # The first encoding is slow, and the memory-mapped vectors are read from disk by the
        # first exact search: both happen here, not in the user's first search.
        probe = self._encoders[key].encode_queries(["warm-up"])
        index = self._library.read(vectors.open_index, vector_set)
        rank(index, probe, 1)
        return _LoadedIndex(run.id, run.name, run.kind, index, key)

    def search(
        self, text: str, run_ids: Sequence[int], *, language: str = AUTO, shown: int = SHOWN
    ) -> SearchOutcome:
        """Rank passages for ``text`` with each index; the first ``index`` run is the baseline."""
        with self._lock:
            return self._search(text, run_ids, language, shown)

    def _search(
        self, text: str, run_ids: Sequence[int], language: str, shown: int
    ) -> SearchOutcome:
        self.prepare(run_ids)
        loaded = [self._indexes[run_id] for run_id in run_ids]
        started = time.perf_counter()
        query_vectors = {
            key: self._encoders[key].encode_queries([text])
            for key in dict.fromkeys(item.encoder_key for item in loaded)
        }
        encoded = time.perf_counter()
        found = [rank(item.index, query_vectors[item.encoder_key], DEPTH) for item in loaded]
        ranked = [ids[0].tolist() for ids, _ in found]
        scores = [values[0][:shown].tolist() for _, values in found]
        searched = time.perf_counter()
        passages = self._library.read(
            browse.passages_by_ids, {pid for ids in ranked for pid in ids[:shown]}
        )
        known = self._library.read(browse.queries_by_text, text)
        finished = time.perf_counter()
        resolved, known = resolve_language(text, language, known)
        baseline = _baseline_position(loaded)
        rankings = [
            _ranking(
                item,
                ids,
                item_scores,
                None if baseline is None else ranked[baseline],
                passages,
                known,
                shown,
                i == baseline,
            )
            for i, (item, ids, item_scores) in enumerate(zip(loaded, ranked, scores, strict=True))
        ]
        return SearchOutcome(
            text,
            resolved,
            known,
            rankings,
            1000 * (encoded - started),
            1000 * (searched - encoded),
            1000 * (finished - searched),
        )


def resolve_language(
    text: str, language: str, known: list[KnownQuery]
) -> tuple[str, list[KnownQuery]]:
    """The query's language (chosen, else the stored question's, else detected from the
    text; ``""`` when unknown) and the stored questions in that language."""
    if language != AUTO:
        return language, [query for query in known if query.language == language]
    if known:
        return known[0].language, [query for query in known if query.language == known[0].language]
    return detect_query_language(text) or "", []


def _baseline_position(loaded: Sequence[_LoadedIndex]) -> int | None:
    """The first plain index run (no xQG); None when only xQG indexes are picked."""
    return next((i for i, item in enumerate(loaded) if item.kind == "index"), None)


def _ranking(
    item: _LoadedIndex,
    ids: list[int],
    scores: list[float],
    baseline_ids: list[int] | None,
    passages: dict[int, browse.Passage],
    known: list[KnownQuery],
    shown: int,
    is_baseline: bool,
) -> Ranking:
    """One index's hits; ``baseline_ids`` is the baseline's ranking (None: no baseline, no
    rank change)."""
    baseline_rank = {pid: position + 1 for position, pid in enumerate(baseline_ids or [])}
    relevant = {pid for query in known for pid in query.relevant}
    hits = [
        Hit(
            rank=position + 1,
            passage_id=pid,
            score=float(score),
            docid=passages[pid].docid,
            title=passages[pid].title,
            text=passages[pid].text,
            baseline_rank=baseline_rank.get(pid),
            relevant=pid in relevant,
        )
        for position, (pid, score) in enumerate(zip(ids[:shown], scores, strict=True))
    ]
    return Ranking(item.run_id, item.name, is_baseline, hits, compared=baseline_ids is not None)
