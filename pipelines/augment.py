"""The xQG augmentation: fold generated-query embeddings into passage vectors.

    e_p' = (1 - alpha) * e_p + alpha * SUM_{l, i} e_{q(p, l, i)}

exactly as the released fusion script (no normalisation; ``mean`` replaces the sum by the
average). The formula assumes every passage has the same number of generated queries; when
counts differ, the passages with more drift toward the common "query" direction and win
searches they should not. ``center`` subtracts the mean generated-query embedding first,
which removes that drift. The baseline vector set is never modified.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np

from pipelines.encoders.base import EncoderConfig
from pipelines.encoding import Encoding, make_encoding
from pipelines.errors import InputError
from pipelines.options import AGGREGATIONS, DEFAULT_ALPHA, Aggregation, EngineName
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from pipelines.vectors import cached_vectors
from store import generations, runs, vectors
from store.db import Store
from store.records import Run, VectorSet

CHUNK = 65_536


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
    if aggregation == "mean":
        counts = np.bincount(owners, minlength=n).astype(np.float64)
        totals /= np.maximum(counts, 1.0)[:, None]
    fused = (1.0 - alpha) * passage_vectors.astype(np.float64) + alpha * totals
    return fused.astype(np.float32)


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
    chosen = generations.get_generations(
        store, gen_run.id, languages=params["languages"], per_language=params["per_language"]
    )
    language_check = None
    if params.get("require_language"):
        chosen, language_check = _in_requested_language(store, gen_run, chosen)
    if not chosen:
        raise InputError(
            f"generation run {gen_run.name!r} has no generated queries in the chosen languages"
        )
    texts = {g.id: g.text for g in chosen}
    query_vectors = cached_vectors(
        store,
        encoding,
        kind="generations",
        collection_id=base.collection_id,
        keys=[g.id for g in chosen],
        texts_for=lambda ids: [texts[i] for i in ids],
        run_id=run.id,
        source_run_id=gen_run.id,
        progress=progress,
    )
    center = query_vectors.mean(axis=0) if params["center"] else None
    baseline = vectors.open_index(store, base)
    passage_ids = np.sort(np.asarray(baseline.keys, dtype=np.int64))
    owner_ids = np.asarray([g.passage_id for g in chosen], dtype=np.int64)
    stray = np.setdiff1d(owner_ids, passage_ids)
    if len(stray):
        raise InputError(
            f"generation run {gen_run.name!r} has queries for {len(stray)} "
            f"passages that index {params['index']!r} lacks; rebuild the index"
        )
    counts = np.zeros(len(passage_ids), dtype=np.int64)
    with (
        vectors.vector_writer(
            store,
            run_id=run.id,
            kind="passages",
            collection_id=base.collection_id,
            encoder=base.encoder,
            encoder_config=base.encoder_config,
            dim=base.dim,
        ) as writer,
        progress.task("fusing passage vectors", len(passage_ids)) as advance,
    ):
        for start in range(0, len(passage_ids), CHUNK):
            ids = passage_ids[start : start + CHUNK]
            # Generations come sorted by passage id: each chunk owns one contiguous slice.
            mine = slice(
                np.searchsorted(owner_ids, ids[0]),
                np.searchsorted(owner_ids, ids[-1], side="right"),
            )
            owners = np.searchsorted(ids, owner_ids[mine])
            counts[start : start + len(ids)] = np.bincount(owners, minlength=len(ids))
            writer.add(
                ids,
                fuse(
                    vectors.load_vectors(baseline, ids),
                    query_vectors[mine],
                    owners,
                    alpha=params["alpha"],
                    aggregation=params["aggregation"],
                    center=center,
                ),
            )
            advance(len(ids))
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
        "generations_used": len(chosen),
        "per_passage": distribution,
        "warnings": warnings,
    }
    if language_check is not None:
        summary["language_check"] = language_check
    return summary


def _require_detected(store: Store, gen_run: Run) -> None:
    """Refuse, before any run starts, a generation run stored before language ID."""
    missing = sum(a.undetected for a in generations.language_agreement(store, gen_run.id))
    if missing:
        raise InputError(
            f"generation run {gen_run.name!r} has {missing} generated queries with no detected "
            f"language (stored before language ID); run `xqg generate languages "
            f"{gen_run.name}` once, then augment again"
        )


def _in_requested_language(
    store: Store, gen_run: Run, chosen: list[generations.Generation]
) -> tuple[list[generations.Generation], LanguageCheck]:
    """The generated queries whose detected language is the requested one, and what was
    dropped."""
    detected = generations.detected_languages(store, gen_run.id)
    kept = [g for g in chosen if detected.get(g.id) == g.language]
    dropped = Counter(g.language for g in chosen if detected.get(g.id) != g.language)
    return kept, {
        "kept": len(kept),
        "dropped": sum(dropped.values()),
        "dropped_per_language": dict(sorted(dropped.items())),
    }
