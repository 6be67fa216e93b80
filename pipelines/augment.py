"""The xQG augmentation: fold generated-query embeddings into passage vectors.

    e_p' = (1 - alpha) * e_p + alpha * SUM_{l, i} e_{q(p, l, i)}

exactly as the released fusion script (no normalisation; ``mean`` replaces the sum by the
average). The formula assumes every passage has the same number of generated queries; when
counts differ, the passages with more drift toward the common "query" direction and win
searches they should not. ``center`` subtracts the mean generated-query embedding first,
which removes that drift. The baseline vector set is never modified.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any, TypedDict

import numpy as np

from pipelines.encoders.base import EncoderConfig
from pipelines.encoding import Encoding, TextBatch, batch_size, make_encoding
from pipelines.errors import InputError
from pipelines.options import AGGREGATIONS, DEFAULT_ALPHA, Aggregation, EngineName
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.vectors import cached_vector_set
from store import generations, runs, vectors
from store.db import Store
from store.records import Run, VectorSet

# Passages fused at a time (their float64 sums: 65,536 x 768 x 8 bytes = 403 MB), and
# generated-query vectors read from a stored vector set at a time.
CHUNK = 65_536
BATCH = 65_536


def fuse(
    passage_vectors: np.ndarray,
    query_vectors: np.ndarray,
    owners: np.ndarray,
    *,
    alpha: float,
    aggregation: Aggregation = "sum",
    center: np.ndarray | None = None,
) -> np.ndarray:
    """Augmented passage vectors.

    Args:
        passage_vectors: (n, d) baseline passage embeddings.
        query_vectors: (m, d) generated-query embeddings.
        owners: (m,) row in ``passage_vectors`` that each generated query belongs to.
        alpha: weight of the generated queries.
        aggregation: ``sum`` (the paper) or ``mean`` over a passage's generated queries.
        center: vector subtracted from every generated-query embedding first, or None.
    """
    n = len(passage_vectors)
    shifted = query_vectors.astype(np.float64)
    if center is not None:
        shifted = shifted - center.astype(np.float64)
    totals = owner_sums(shifted, owners, n)
    counts = np.bincount(owners, minlength=n)
    return combine(passage_vectors, totals, counts, alpha=alpha, aggregation=aggregation)


def combine(
    passage_vectors: np.ndarray,
    totals: np.ndarray,
    counts: np.ndarray,
    *,
    alpha: float,
    aggregation: Aggregation,
) -> np.ndarray:
    """The fused float32 vectors from each passage's float64 sum of generated-query vectors
    (already centred where asked) and how many there were."""
    if aggregation == "mean":
        totals = totals / np.maximum(counts.astype(np.float64), 1.0)[:, None]
    fused = (1.0 - alpha) * passage_vectors.astype(np.float64) + alpha * totals
    return fused.astype(np.float32)


class PassageSums:
    """The float64 sum and the count of the generated-query vectors of each passage of a
    block, added batch by batch: fusion is linear, so no batch is needed twice.

    Each passage's vectors are added one after another in their order, starting from what
    earlier batches left, exactly as :func:`owner_sums` adds them (the same sums, bit for
    bit, however the vectors are split into batches). The loop runs over positions within
    a passage (35 at the paper's 7 x 5), each step one gather and one vectorised add over
    every passage that has a vector there: about 0.35 of a memory copy's speed
    (``benchmarks/bench_store.py``), where ``np.add.at`` reached 0.017.
    """

    def __init__(self, passages: int, dim: int) -> None:
        self._sums = np.zeros((passages, dim), dtype=np.float64)
        self._counts = np.zeros(passages, dtype=np.int64)
        self.sums, self.counts = self._sums, self._counts

    def reset(self, passages: int) -> None:
        """Start a new block of at most as many passages as the first, in the same memory
        (a fresh one would fault in its pages again: 200 MB a block at 384 dimensions)."""
        self.sums, self.counts = self._sums[:passages], self._counts[:passages]
        self.sums.fill(0.0)
        self.counts.fill(0)

    def add(self, rows_of: np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` (m, dim) to the block's passages ``rows_of`` (m,), which must be
        sorted (a passage's vectors together, in their order)."""
        rows_of = np.asarray(rows_of, dtype=np.int64)
        if not len(rows_of):
            return
        change = np.flatnonzero(rows_of[1:] != rows_of[:-1]) + 1
        if (rows_of[change] < rows_of[change - 1]).any():
            raise ValueError("generated-query vectors must come sorted by passage")
        starts = np.concatenate(([0], change))
        lengths = np.diff(np.concatenate((starts, [len(rows_of)])))
        # Longest run first: the passages that have a j-th vector are then a prefix.
        order = np.argsort(-lengths, kind="stable")
        starts, lengths = starts[order], lengths[order]
        owners = rows_of[starts]
        totals = self.sums[owners]
        live = len(owners)
        for j in range(int(lengths[0])):
            while lengths[live - 1] <= j:
                live -= 1
            totals[:live] += vectors[starts[:live] + j]
        self.sums[owners] = totals
        self.counts[owners] += lengths


def owner_sums(rows: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """(n, d) float64: row ``i`` is the sum of the ``rows`` whose owner is ``i``.

    One sparse product (an n x m matrix of ones, row ``i`` marking the rows ``i`` owns):
    each passage's rows are added one after another in their order, as ``np.add.at``
    would add them (the same float64 sums, bit for bit), without its per-row dispatch.
    """
    from scipy import sparse

    rows = np.asarray(rows, dtype=np.float64)
    ones = np.ones(len(owners), dtype=np.float64)
    marks = sparse.csr_matrix((ones, (owners, np.arange(len(owners)))), shape=(n, len(owners)))
    return np.asarray(marks @ rows, dtype=np.float64).reshape(n, rows.shape[1])


class CountDistribution(TypedDict):
    """How many generated queries the passages have."""

    min: int
    max: int
    mean: float
    passages_without: int
    # count (as text: a JSON key) -> passages with that many
    histogram: dict[str, int]


class LanguageCheck(TypedDict):
    """What ``--require-language`` kept and dropped."""

    kept: int
    dropped: int
    dropped_per_language: dict[str, int]


class _Fused(TypedDict):
    passages: int
    generations_used: int
    per_passage: CountDistribution
    warnings: list[str]


class AugmentSummary(_Fused, total=False):
    """An augment run's summary (``runs.summary``); ``language_check`` only with
    ``--require-language``."""

    language_check: LanguageCheck


def count_distribution(counts: Sequence[int] | np.ndarray) -> CountDistribution:
    """How many generated queries the passages have: min, max, mean and a histogram."""
    values = np.asarray(counts, dtype=np.int64)
    histogram = Counter(values.tolist())
    return {
        "min": int(values.min()),
        "max": int(values.max()),
        "mean": round(float(values.mean()), 3),
        "passages_without": int((values == 0).sum()),
        "histogram": {str(k): histogram[k] for k in sorted(histogram)},
    }


# Passages whose counts all lie within this share of the largest count are even enough: one
# stand-in of 11 dropped (a leak) moves a passage's sum by 0.1 alpha, not the damage above.
EVEN_SHARE = 0.8


def is_uneven(distribution: CountDistribution) -> bool:
    """Whether generated-query counts differ enough between passages to bias the sum: some
    passage has none, or fewer than ``EVEN_SHARE`` of the most any passage has."""
    return distribution["passages_without"] > 0 or (
        distribution["min"] < EVEN_SHARE * distribution["max"]
    )


def augment(
    store: Store,
    index: str | int,
    generation_run: str | int,
    *,
    alpha: float = DEFAULT_ALPHA,
    aggregation: Aggregation = "sum",
    languages: Sequence[str] | None = None,
    per_language: int | None = None,
    center: bool = False,
    require_language: bool = False,
    stream: bool = False,
    engine: EngineName = "local",
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    threads: int | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Build an xQG vector set from a baseline index run and a generation run.

    ``require_language`` keeps only the generated queries whose detected language is the
    one they were generated for (a generator asked for Telugu that wrote English is left
    out); the run summary counts what was dropped per language.
    ``stream`` encodes the generated queries straight into per-passage sums and stores no
    generated-query vectors (nothing to reuse: a later augment encodes them again); by
    default they are stored once per encoder and read back in batches.
    ``engine`` (with ``actors``, ``gpus_per_actor``, ``threads``) says where generated
    queries not encoded before are encoded, as in :func:`pipelines.index.build_index`.
    """
    base_run = require_done(runs.get_run(store, index, kind="index"))
    gen_run = require_done(runs.get_run(store, generation_run, kind="generate"))
    base = vectors.run_vector_set(store, base_run.id, "passages")
    if gen_run.collection_id != base.collection_id:
        raise InputError(
            f"generation run {gen_run.name!r} and index {base_run.name!r} belong "
            "to different collections"
        )
    if aggregation not in AGGREGATIONS:
        raise InputError(
            f"unknown aggregation {aggregation!r}; expected {' or '.join(AGGREGATIONS)}"
        )
    if per_language is not None and per_language < 1:
        raise InputError("--per-lang must be at least 1")
    if not 0 <= alpha <= 1:
        raise InputError(
            f"--alpha must lie in [0, 1] (the paper: {DEFAULT_ALPHA:g}), got {alpha:g}"
        )
    runtime = {**base_run.params["runtime"], "engine": engine}
    if stream:  # absent otherwise, as require_language: earlier runs keep their identity
        runtime["store_query_vectors"] = False
    params = {
        "index": base_run.name,
        "generations": gen_run.name,
        "alpha": alpha,
        "aggregation": aggregation,
        "languages": sorted(languages) if languages else None,
        "per_language": per_language,
        "center": center,
        "encoder": base.encoder_config,
        "runtime": runtime,
    }
    if require_language:  # absent otherwise: runs made before the option keep their identity
        _require_detected(store, gen_run)
        params["require_language"] = True
    encoding = make_encoding(
        EncoderConfig.from_identity(base.encoder_config, runtime),
        engine,
        actors=actors,
        gpus_per_actor=gpus_per_actor,
        threads=threads,
    )

    def body(run: Run) -> AugmentSummary:
        with encoding:
            return _build(store, run, base, gen_run, params, encoding, progress)

    return run_step(
        store,
        "augment",
        params,
        body,
        name=name,
        default_name=f"xqg-{base_run.name}-a{alpha}-{aggregation}",
        parents=[("index", base_run.id), ("generations", gen_run.id)],
        collection_id=base.collection_id,
        progress=progress,
    )


def _build(
    store: Store,
    run: Run,
    base: VectorSet,
    gen_run: Run,
    params: dict[str, Any],
    encoding: Encoding,
    progress: Progress,
) -> AugmentSummary:
    baseline = vectors.open_index(store, base)
    passage_ids = np.sort(np.asarray(baseline.keys, dtype=np.int64))
    chosen = _Chosen(store, gen_run, params, passage_ids)
    with vectors.vector_writer(
        store,
        run_id=run.id,
        kind="passages",
        collection_id=base.collection_id,
        encoder=base.encoder,
        encoder_config=base.encoder_config,
        dim=base.dim,
        dtype=base.dtype,  # the xQG index is stored as its baseline is
        shard_size=base.shard_size or vectors.SHARD_SIZE,
    ) as writer:
        fusion = _Fusion(store, run, writer, baseline, passage_ids, params)
        if params["runtime"].get("store_query_vectors", True):
            batches = _stored_vectors(store, run, base, gen_run, chosen, encoding, progress)
            task = progress.task("fusing passage vectors", len(passage_ids))
        else:
            batches = _encoded_vectors(chosen, encoding, progress)
            task = nullcontext(fusion.advance)
        with task as advance, fusion:
            fusion.advance = advance
            for rows, found in batches:
                fusion.add(rows, found)
            if not chosen.used:
                raise _nothing_chosen(gen_run)
            counts = fusion.close()
    distribution = count_distribution(counts)
    warnings = []
    if is_uneven(distribution) and not params["center"]:
        warnings.append(
            f"generated-query counts differ between passages (min {distribution['min']}, max "
            f"{distribution['max']}, {distribution['passages_without']} passages have none): "
            "with uneven counts the augmented passages drift toward the common query "
            "direction and win searches they should not; rerun with --center"
        )
    for warning in warnings:
        progress.note(f"WARNING: {warning}")
    summary: AugmentSummary = {
        "passages": len(passage_ids),
        "generations_used": chosen.used,
        "per_passage": distribution,
        "warnings": warnings,
    }
    if params.get("require_language"):
        summary["language_check"] = chosen.language_check()
    return summary


class _Chosen:
    """The generated queries an augmentation uses, streamed in passage order in bounded
    batches (``--langs``, ``--per-lang``, then ``--require-language``), each batch as the
    generation ids, their passages' rows in the index, and their texts."""

    def __init__(
        self, store: Store, gen_run: Run, params: dict[str, Any], passage_ids: np.ndarray
    ) -> None:
        self.store, self.gen_run, self.params = store, gen_run, params
        self.passage_ids = passage_ids
        self.used = 0
        self.dropped: Counter[str] = Counter()

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
        """(generation ids, index rows, texts) of each batch; raises InputError at the first
        generated query of a passage the index lacks."""
        require = bool(self.params.get("require_language"))
        for batch in generations.iter_generations(
            self.store,
            self.gen_run.id,
            languages=self.params["languages"],
            per_language=self.params["per_language"],
        ):
            if require:
                self.dropped.update(g.language for g in batch if g.detected_language != g.language)
                batch = [g for g in batch if g.detected_language == g.language]
            if not batch:
                continue
            self.used += len(batch)
            ids = np.fromiter((g.id for g in batch), dtype=np.int64, count=len(batch))
            owners = np.fromiter((g.passage_id for g in batch), dtype=np.int64, count=len(batch))
            yield ids, self.rows(owners), [g.text for g in batch]

    def rows(self, owners: np.ndarray) -> np.ndarray:
        """Rows in the sorted index keys of these passage ids."""
        rows = np.searchsorted(self.passage_ids, owners)
        known = rows < len(self.passage_ids)
        known[known] = self.passage_ids[rows[known]] == owners[known]
        if not known.all():
            raise InputError(
                f"generation run {self.gen_run.name!r} has queries for passages that index "
                f"{self.params['index']!r} lacks (e.g. passage id {int(owners[~known][0])}); "
                "rebuild the index"
            )
        return rows

    def language_check(self) -> LanguageCheck:
        """What ``--require-language`` kept and dropped."""
        return {
            "kept": self.used,
            "dropped": sum(self.dropped.values()),
            "dropped_per_language": dict(sorted(self.dropped.items())),
        }


VectorBatches = Iterator[tuple[np.ndarray, np.ndarray]]


def _stored_vectors(
    store: Store,
    run: Run,
    base: VectorSet,
    gen_run: Run,
    chosen: _Chosen,
    encoding: Encoding,
    progress: Progress,
) -> VectorBatches:
    """(index rows, vectors) in passage order, read in batches from the generated-query
    vector set of this encoder, after encoding and storing the ones it lacks (done before
    the first batch is asked for). Holds the chosen ids and their rows: 16 bytes a
    generated query."""
    ids, rows = [], []
    for found, owners, _ in chosen.batches():
        ids.append(found)
        rows.append(owners)
    if not ids:
        raise _nothing_chosen(gen_run)
    all_ids, all_rows = np.concatenate(ids), np.concatenate(rows)
    del ids, rows
    index = cached_vector_set(
        store,
        encoding,
        kind="generations",
        collection_id=base.collection_id,
        keys=all_ids,
        texts_for=lambda keys: generations.generation_texts(store, keys),
        run_id=run.id,
        source_run_id=gen_run.id,
        progress=progress,
    )
    return (
        (
            all_rows[start : start + BATCH],
            vectors.load_vectors(index, all_ids[start : start + BATCH]),
        )
        for start in range(0, len(all_ids), BATCH)
    )


def _nothing_chosen(gen_run: Run) -> InputError:
    return InputError(
        f"generation run {gen_run.name!r} has no generated queries in the chosen languages"
    )


def _encoded_vectors(chosen: _Chosen, encoding: Encoding, progress: Progress) -> VectorBatches:
    """(index rows, vectors) in passage order, encoded as they are read; nothing stored."""
    size = batch_size(encoding.config)
    pending: deque[np.ndarray] = deque()

    def texts() -> Iterator[TextBatch]:
        for ids, owners, found in chosen.batches():
            for start in range(0, len(ids), size):
                pending.append(owners[start : start + size])
                yield TextBatch(ids[start : start + size].tolist(), found[start : start + size])

    upper = sum(
        n
        for language, n in generations.generation_languages(chosen.store, chosen.gen_run.id).items()
        if chosen.params["languages"] is None or language in chosen.params["languages"]
    )
    with progress.task("encoding generated queries into passage sums", upper) as advance:
        for batch, found in encoding.vectors(texts()):
            yield pending.popleft(), found
            advance(len(batch.keys))


class _Fusion:
    """Fused passage vectors, written block by block (``CHUNK`` passages in id order) as
    the generated-query vectors of their passages arrive in the same order.

    Holds one block's float64 sums and its passages' baseline vectors. With ``--center``
    the mean generated-query vector is known only at the end: each block's sums go to a
    scratch file beside the database (8 bytes a dimension and passage), then every block
    is fused as ``sum - count x mean``, with no second pass over the generated queries.
    A context manager: the scratch file is gone when the block ends, whatever happened.
    """

    def __init__(
        self,
        store: Store,
        run: Run,
        writer: vectors.VectorWriter,
        baseline: Any,
        passage_ids: np.ndarray,
        params: dict[str, Any],
    ) -> None:
        self.advance: Callable[[int], None] = lambda _: None
        self.writer, self.baseline, self.passage_ids = writer, baseline, passage_ids
        self.alpha, self.aggregation = params["alpha"], params["aggregation"]
        self.counts = np.zeros(len(passage_ids), dtype=np.int64)
        self.start = 0
        self.block = PassageSums(self._size(), writer.dim)
        self.total = np.zeros(writer.dim, dtype=np.float64)
        self.scratch = store.vectors_dir / f"run{run.id}-sums.partial" if params["center"] else None

    def __enter__(self) -> _Fusion:
        if self.scratch is not None:  # one left by a killed attempt of this run
            self.scratch.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.scratch is not None:
            self.scratch.unlink(missing_ok=True)

    def _size(self) -> int:
        return max(0, min(CHUNK, len(self.passage_ids) - self.start))

    def add(self, rows: np.ndarray, found: np.ndarray) -> None:
        """Add vectors of generated queries whose passages are at index rows ``rows``
        (sorted, and not before any row added earlier)."""
        while len(rows):
            cut = int(np.searchsorted(rows, self.start + len(self.block.counts)))
            self.block.add(rows[:cut] - self.start, found[:cut])
            if cut == len(rows):
                return
            self._finish_block()
            rows, found = rows[cut:], found[cut:]

    def close(self) -> np.ndarray:
        """Write every remaining block; returns how many generated queries each passage got."""
        while self.start < len(self.passage_ids):
            self._finish_block()
        if self.scratch is not None:
            self._fuse_centred()
        return self.counts

    def _finish_block(self) -> int:
        ids = self.passage_ids[self.start : self.start + len(self.block.counts)]
        self.counts[self.start : self.start + len(ids)] = self.block.counts
        if self.scratch is None:
            self._write(ids, self.block.sums, self.block.counts)
        else:
            self.scratch.parent.mkdir(parents=True, exist_ok=True)
            with self.scratch.open("ab") as handle:
                self.block.sums.tofile(handle)
            self.total += self.block.sums.sum(axis=0)
        self.start += len(ids)
        self.block.reset(self._size())
        if self.scratch is None:
            self.advance(len(ids))
        return len(ids)

    def _fuse_centred(self) -> None:
        assert self.scratch is not None
        mean = self.total / max(int(self.counts.sum()), 1)
        with self.scratch.open("rb") as handle:
            for start in range(0, len(self.passage_ids), CHUNK):
                ids = self.passage_ids[start : start + CHUNK]
                sums = np.fromfile(handle, dtype=np.float64, count=len(ids) * len(mean))
                counts = self.counts[start : start + len(ids)]
                self._write(ids, sums.reshape(len(ids), -1) - counts[:, None] * mean, counts)
                self.advance(len(ids))

    def _write(self, ids: np.ndarray, totals: np.ndarray, counts: np.ndarray) -> None:
        passages = vectors.load_vectors(self.baseline, ids)
        for shard in self.baseline.shards:  # memory: the baseline's pages a block at a time
            shard.release()
        self.writer.add(
            ids,
            combine(passages, totals, counts, alpha=self.alpha, aggregation=self.aggregation),
        )


def _require_detected(store: Store, gen_run: Run) -> None:
    """Refuse, before any run starts, a generation run stored before language ID."""
    missing = sum(a.undetected for a in generations.language_agreement(store, gen_run.id))
    if missing:
        raise InputError(
            f"generation run {gen_run.name!r} has {missing} generated queries with no detected "
            f"language (stored before language ID); run `xqg generate languages "
            f"{gen_run.name}` once, then augment again"
        )
