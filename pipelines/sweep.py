"""The alpha sweep, the paper's main ablation: one xQG index per (aggregation, generated
queries per language, alpha), each searched and evaluated against the baseline.

Every point reuses the encoded generated-query and query vectors (vector sets are cached
per encoder), so a point costs a fusion and a search, not an encoding. All points are
compared on the same queries: the baseline is searched without the queries the generation
run holds out (``search(exclude=...)``), as every augmented index is through its lineage,
and the report is built on the queries every run answered. ``alpha = 0`` is the baseline
itself ((1 - 0) e_p + 0 = e_p exactly), so it reuses the baseline search. Each step has a
name derived from ``prefix``: a second sweep reuses every finished point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any, TypedDict

from pipelines.augment import augment
from pipelines.compare import compare
from pipelines.errors import InputError
from pipelines.evaluate import EvaluationJson, EvaluationReport, kt_measure
from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES
from pipelines.metrics.paired import ALPHA, Comparison
from pipelines.metrics.significance import Correction, Test
from pipelines.options import AGGREGATIONS, Aggregation
from pipelines.progress import SILENT, Progress
from pipelines.search import search
from pipelines.steps import require_done
from store import runs
from store.db import Store
from store.records import Run


@dataclass(frozen=True)
class SweepPoint:
    """One setting of the sweep and the runs that hold it: ``generations_used`` generated
    queries folded in, ``per_passage`` of them per passage on average."""

    aggregation: str
    alpha: float
    per_language: int | None
    index: str
    search: str
    generations_used: int
    per_passage: float


class SweepJson(TypedDict):
    """A sweep as written to ``--json`` files (:meth:`SweepReport.to_json`); ``points`` are
    :class:`SweepPoint` fields."""

    index: str
    generations: str
    baseline: str
    points: list[dict[str, Any]]
    report: EvaluationJson
    warnings: list[str]


@dataclass
class SweepReport:
    """The points of a sweep and their evaluation (baseline first)."""

    index: str
    generations: str
    baseline: str
    points: list[SweepPoint]
    report: EvaluationReport
    warnings: list[str] = field(default_factory=list)

    def value(self, point: SweepPoint, measure: str, language: str) -> float | None:
        """The point's mean of ``measure`` in ``language`` (``avg``: macro average)."""
        return self.report.metrics[point.search].get(language, {}).get(measure)

    def comparison(self, point: SweepPoint, measure: str, language: str) -> Comparison | None:
        """The point's test against the baseline (None at alpha 0: it is the baseline)."""
        return self.report.comparison(point.search, measure, language)

    def to_json(self) -> SweepJson:
        """The points, and the evaluation report's JSON."""
        return {
            "index": self.index,
            "generations": self.generations,
            "baseline": self.baseline,
            "points": [asdict(point) for point in self.points],
            "report": self.report.to_json(),
            "warnings": self.warnings,
        }


def sweep(
    store: Store,
    index: str | int,
    generations: str | int,
    *,
    alphas: Sequence[float],
    aggregations: Sequence[Aggregation] = ("sum",),
    per_language: Sequence[int | None] = (None,),
    center: bool = False,
    depth: int = 100,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kt: Sequence[int] = DEFAULT_KT,
    test: Test = "t",
    correction: Correction = "holm",
    alpha_level: float = ALPHA,
    prefix: str | None = None,
    progress: Progress = SILENT,
) -> SweepReport:
    """Build, search and evaluate every point of alphas x aggregations x per-language counts.

    Args:
        index: the baseline index run.
        generations: the generation run whose queries are folded in.
        alphas: fusion weights; 0 is the baseline.
        aggregations: ``sum`` (the paper) and/or ``mean``.
        per_language: generated queries per language and passage (None: all of them).
        alpha_level: significance level of the tests (``alpha`` is the fusion weight here).
        prefix: names of the sweep's runs (default ``sweep-<index>-<generations>``).
    """
    base = require_done(runs.get_run(store, index, kind="index"))
    generation_run = require_done(runs.get_run(store, generations, kind="generate"))
    _check_grid(alphas, aggregations, per_language)
    prefix = prefix or f"sweep-{base.name}-{generation_run.name}"
    heldout = generation_run.params.get("source") == "heldout"
    baseline = search(
        store,
        base.name,
        depth=depth,
        exclude=[generation_run.name] if heldout else [],
        name=f"{prefix}-baseline",
        progress=progress,
    )
    points = [
        _point(store, base, generation_run, baseline, setting, center, depth, prefix, progress)
        for setting in _grid(alphas, aggregations, per_language)
    ]
    searched = list(dict.fromkeys([baseline.name, *(p.search for p in points)]))
    report = compare(
        store,
        searched,
        measures=[kt_measure(k) for k in kt] + list(measures),
        test=test,
        correction=correction,
        alpha=alpha_level,
        progress=progress,
    )
    return SweepReport(
        base.name, generation_run.name, baseline.name, points, report, _warnings(points)
    )


Setting = tuple[Aggregation, int | None, float]


def _grid(
    alphas: Sequence[float],
    aggregations: Sequence[Aggregation],
    per_language: Sequence[int | None],
) -> list[Setting]:
    return [(agg, n, alpha) for agg in aggregations for n in per_language for alpha in alphas]


def _check_grid(
    alphas: Sequence[float],
    aggregations: Sequence[str],
    per_language: Sequence[int | None],
) -> None:
    if not alphas or not aggregations or not per_language:
        raise InputError("a sweep needs at least one alpha, aggregation and --per-lang value")
    bad = [a for a in alphas if not (math.isfinite(a) and 0 <= a <= 1)]
    if bad:
        raise InputError(f"alpha must lie between 0 and 1, got {bad[0]}")
    if all(a == 0 for a in alphas):
        raise InputError("every alpha is 0, the baseline itself; add a positive alpha")
    unknown = [a for a in aggregations if a not in AGGREGATIONS]
    if unknown:
        raise InputError(
            f"unknown aggregation {unknown[0]!r}; expected {' or '.join(AGGREGATIONS)}"
        )
    if any(n is not None and n < 1 for n in per_language):
        raise InputError("--per-lang values must be at least 1")
    for name, values in (("alpha", alphas), ("aggregation", aggregations)):
        if len(set(values)) != len(values):
            raise InputError(f"an {name} is listed twice")


def _point(
    store: Store,
    base: Run,
    generation_run: Run,
    baseline: Run,
    setting: Setting,
    center: bool,
    depth: int,
    prefix: str,
    progress: Progress,
) -> SweepPoint:
    aggregation, per_language, alpha = setting
    if alpha == 0:
        return SweepPoint(aggregation, 0.0, per_language, base.name, baseline.name, 0, 0.0)
    label = f"{aggregation}-a{alpha:g}" + (f"-n{per_language}" if per_language else "")
    augmented = augment(
        store,
        base.name,
        generation_run.name,
        alpha=alpha,
        aggregation=aggregation,
        per_language=per_language,
        center=center,
        name=f"{prefix}-{label}",
        progress=progress,
    )
    found = search(
        store, augmented.name, depth=depth, name=f"{prefix}-search-{label}", progress=progress
    )
    return SweepPoint(
        aggregation,
        alpha,
        per_language,
        augmented.name,
        found.name,
        int(augmented.summary["generations_used"]),
        float(augmented.summary["per_passage"]["mean"]),
    )


def _warnings(points: list[SweepPoint]) -> list[str]:
    """Say when more generated queries per language add nothing (the run has fewer)."""
    found = []
    used: dict[tuple[str, float], dict[int, int]] = {}
    for point in points:
        if point.per_language is not None and point.alpha != 0:
            used.setdefault((point.aggregation, point.alpha), {})[point.per_language] = (
                point.generations_used
            )
    for counts in used.values():
        ordered = sorted(counts)
        same = [n for a, n in pairwise(ordered) if counts[a] == counts[n]]
        if same:
            found.append(
                f"--per-lang {', '.join(map(str, same))} folds in no more generated queries "
                "than the value below it: the generation run has fewer per passage and "
                "language, so those points repeat an earlier one"
            )
            break
    return found
