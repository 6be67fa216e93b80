"""Typed records that cross the store's boundary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class PassageRecord(NamedTuple):
    """A passage as a dataset file gives it."""

    docid: str
    title: str
    text: str


class QueryRecord(NamedTuple):
    """A query as a dataset file gives it; ``parallel_id`` links translations of one question."""

    qid: str
    language: str
    text: str
    split: str = "test"
    parallel_id: str | None = None


class VariantRecord(NamedTuple):
    """A perturbed copy of a stored query (language, parallel id and judgements are copied)."""

    original_id: int
    qid: str
    text: str
    split: str


class QrelRecord(NamedTuple):
    """Relevance of a passage for a query, by external ids."""

    qid: str
    docid: str
    relevance: int = 1


class AnswerRecord(NamedTuple):
    """The answer strings of a query (for answer-string metrics such as R@kt)."""

    qid: str
    answers: tuple[str, ...]


class GenerationRecord(NamedTuple):
    """One generated query for a passage (stored ids), with the language a detector found
    in it and its confidence (None: not detected)."""

    passage_id: int
    language: str
    position: int
    text: str
    source_query_id: int | None = None
    detected_language: str | None = None
    language_confidence: float | None = None


class Query(NamedTuple):
    """A stored query; ``original_id`` is set on perturbed copies of another query."""

    id: int
    qid: str
    language: str
    text: str
    split: str
    parallel_id: str | None
    original_id: int | None = None


class SearchHit(NamedTuple):
    """One ranked passage for one query."""

    query_id: int
    rank: int
    passage_id: int
    score: float


@dataclass(frozen=True)
class Collection:
    """A named corpus with its queries."""

    id: int
    name: str
    source: str


@dataclass(frozen=True)
class Run:
    """A run record: one execution of a pipeline step."""

    id: int
    kind: str
    name: str
    status: str
    params: dict[str, Any]
    started_at: str
    ended_at: str | None = None
    collection_id: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        """Build from a ``runs`` row."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            name=row["name"],
            status=row["status"],
            params=json.loads(row["params"]),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            collection_id=row["collection_id"],
            summary=json.loads(row["summary"]),
            error=row["error"],
        )


@dataclass(frozen=True)
class VectorSet:
    """A vector set registered in the database: its totals (the files are its shards,
    :class:`VectorShard`; ``path`` and ``sha256`` are the first shard's)."""

    id: int
    run_id: int
    kind: str
    collection_id: int
    source_run_id: int | None
    encoder: str
    encoder_config: dict[str, Any]
    dim: int
    metric: str
    dtype: str
    count: int
    path: str
    sha256: str
    keys_sha256: str | None = None  # None for files written before schema 6
    shard_size: int | None = None  # None for sets written before shards (one shard)
    complete: bool = True  # False while its shards are being written

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VectorSet:
        """Build from a ``vector_sets`` row."""
        return cls(
            id=row["id"],
            run_id=row["run_id"],
            kind=row["kind"],
            collection_id=row["collection_id"],
            source_run_id=row["source_run_id"],
            encoder=row["encoder"],
            encoder_config=json.loads(row["encoder_config"]),
            dim=row["dim"],
            metric=row["metric"],
            dtype=row["dtype"],
            count=row["count"],
            path=row["path"],
            sha256=row["sha256"],
            keys_sha256=row.get("keys_sha256"),
            shard_size=row.get("shard_size"),
            complete=bool(row.get("complete", 1)),
        )


@dataclass(frozen=True)
class VectorShard:
    """One file of a vector set: at most its shard size of vectors, a usearch file."""

    vector_set_id: int
    shard: int
    path: str
    count: int
    dim: int
    dtype: str
    sha256: str
    keys_sha256: str | None
    graph: dict[str, Any] | None  # HNSW parameters when the file holds a graph, else None
    created_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VectorShard:
        """Build from a ``vector_shards`` row."""
        return cls(
            vector_set_id=row["vector_set_id"],
            shard=row["shard"],
            path=row["path"],
            count=row["count"],
            dim=row["dim"],
            dtype=row["dtype"],
            sha256=row["sha256"],
            keys_sha256=row["keys_sha256"],
            graph=json.loads(row["graph"]) if row["graph"] else None,
            created_at=row["created_at"],
        )
