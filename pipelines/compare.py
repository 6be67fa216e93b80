"""Compare any number of search runs with one baseline, from stored per-query values.

``evaluate`` computes per-query values and stores them; ``compare`` reads them, so a
comparison of runs evaluated earlier costs no retrieval metric at all. A run that lacks a
measure asked for is evaluated first (an ``evaluate`` run records it), so the result is
the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipelines.errors import InputError
from pipelines.evaluate import (
    EvaluationReport,
    build_report,
    check_measures,
    check_runs,
    check_statistics,
    evaluate,
)
from pipelines.metrics import measures as registry
from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES
from pipelines.metrics.paired import ALPHA
from pipelines.metrics.significance import Correction, Test
from pipelines.progress import SILENT, Progress
from store import results, runs
from store.db import Store


def compare(
    store: Store,
    search_runs: Sequence[str | int],
    *,
    baseline: str | int | None = None,
    measures: Sequence[str] | None = None,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Compare search runs with a baseline (the first run unless ``baseline`` names one).

    Args:
        search_runs: the runs, by name or id.
        baseline: the run the others are compared with; added if not among the runs.
        measures: measure names (``MRR@10``, ``R@2kt``, ...); by default every measure
            stored for all the runs, or the evaluate defaults when they share none.
        test: ``t``, ``wilcoxon`` or ``permutation`` decides the significance marks.
        correction: ``holm``, ``bh`` or ``none``, across languages and systems.
        alpha: the significance level.
    """
    check_statistics(test, correction, alpha)
    chosen = check_runs(store, _with_baseline(store, search_runs, baseline))
    if len(chosen) < 2:
        raise InputError("compare needs a baseline and at least one other search run")
    stored = {run.id: results.stored_measures(store, run.id) for run in chosen}
    names = check_measures(measures) if measures else _shared_measures(stored.values())
    for run in chosen:
        missing = [m for m in names if m not in stored[run.id]]
        if missing:
            progress.note(f"{run.name} has no stored {', '.join(missing)}; evaluating it first")
            kt = [m.cutoff or 0 for m in registry.of_family(missing, "r_at_kt")]
            qrels = [m.name for m in registry.of_family(missing, "qrels")]
            evaluate(store, [run.id], measures=qrels, kt=kt, progress=progress)
    return build_report(store, chosen, names, test=test, correction=correction, alpha=alpha)


def _with_baseline(
    store: Store, search_runs: Sequence[str | int], baseline: str | int | None
) -> list[str | int]:
    """The runs with the baseline first (moved there, or added)."""
    if baseline is None:
        return list(search_runs)
    base = runs.get_run(store, baseline, kind="search")
    others = [ref for ref in search_runs if runs.get_run(store, ref, kind="search").id != base.id]
    return [base.id, *others]


def _shared_measures(stored: Iterable[set[str]]) -> list[str]:
    """Measures stored for every run, R@kt first by budget; the defaults when none."""
    sets = list(stored)
    shared = set.intersection(*sets) if sets else set()
    if not shared:
        return [registry.r_at_kt(k).name for k in DEFAULT_KT] + list(DEFAULT_MEASURES)
    by_budget = sorted(registry.of_family(sorted(shared), "r_at_kt"), key=lambda m: m.cutoff or 0)
    kt = [m.name for m in by_budget]
    known = [m for m in DEFAULT_MEASURES if m in shared]
    others = sorted(shared - set(kt) - set(known))
    return kt + known + others
