"""The evaluate step: per-query values into the store, then per-language tables and tests.

Measures: R@<n>kt (answer strings, official XOR-Retrieve definition) and qrels measures
(MRR@k, nDCG@k, Recall@k, P@k through ir_measures). Every per-query value is stored in
``query_metrics`` so that any two runs can be compared later. The first run is the
baseline; every other run is compared with it per language by a paired t-test on the
queries both answered, with Holm's correction across languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pipelines.errors import InputError
from pipelines.metrics.qrels import is_qrels_measure, parse_measure, qrels_measures
from pipelines.metrics.r_at_kt import TokenCache, r_at_kt
from pipelines.metrics.significance import holm, paired_t_test
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from store import collections, results, runs
from store.db import Store
from store.records import Run

DEFAULT_MEASURES = ("MRR@10", "nDCG@10", "Recall@1", "Recall@10", "Recall@100")
DEFAULT_KT = (100, 500, 2000, 5000)
ALPHA = 0.05
TEST = "paired t-test (two-sided)"
CORRECTION = "Holm across languages"


def kt_measure(kt: int) -> str:
    """R@kt name as the paper writes it: 2000 -> ``R@2kt``, 100 -> ``R@0.1kt``."""
    return f"R@{kt // 1000}kt" if kt % 1000 == 0 else f"R@{kt / 1000:g}kt"


def kt_tokens(name: str) -> int | None:
    """Token budget of an R@kt measure name, or None for other measures."""
    match = re.fullmatch(r"R@([\d.]+)kt", name)
    return None if match is None else round(float(match.group(1)) * 1000)


@dataclass
class Comparison:
    """One system against the baseline for one measure and language."""

    run: str
    measure: str
    language: str
    n: int
    baseline: float
    system: float
    delta: float
    p_value: float
    p_holm: float | None
    significant: bool


@dataclass
class EvaluationReport:
    """Per-language means for each run, and the comparisons with the baseline."""

    runs: list[str]
    measures: list[str]
    languages: list[str]
    metrics: dict[str, dict[str, dict[str, float]]]
    queries: dict[str, dict[str, int]]
    tests: list[Comparison] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        """The run every other run is compared with."""
        return self.runs[0]

    def comparison(self, run: str, measure: str, language: str) -> Comparison | None:
        """The test of ``run`` against the baseline, if there is one."""
        for test in self.tests:
            if (test.run, test.measure, test.language) == (run, measure, language):
                return test
        return None

    def to_json(self) -> dict[str, Any]:
        """``{"metrics": {run: {lang: {measure: value}, "avg": ...}}, "tests": ...}``."""
        tests: dict[str, Any] = {
            "test": TEST,
            "correction": CORRECTION,
            "alpha": ALPHA,
            "baseline": self.baseline,
            "comparisons": {},
        }
        for test in self.tests:
            row = {k: v for k, v in asdict(test).items() if k not in ("run", "measure", "language")}
            tests["comparisons"].setdefault(test.run, {}).setdefault(test.language, {})[
                test.measure
            ] = row
        return {
            "runs": self.runs,
            "measures": self.measures,
            "languages": self.languages,
            "metrics": self.metrics,
            "queries": self.queries,
            "tests": tests,
            "warnings": self.warnings,
        }


def evaluate(
    store: Store,
    search_runs: Sequence[str | int],
    *,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kt: Sequence[int] = DEFAULT_KT,
    name: str | None = None,
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Evaluate search runs (the first is the baseline) and compare them per language."""
    if not search_runs:
        raise InputError("name at least one search run to evaluate")
    chosen = [require_done(runs.get_run(store, ref, kind="search")) for ref in search_runs]
    if len({run.id for run in chosen}) != len(chosen):
        raise InputError("a search run is named twice")
    if len({run.collection_id for run in chosen}) != 1:
        raise InputError("the search runs ranked different collections; compare runs of one")
    for measure in measures:
        parse_measure(measure)
    names = [kt_measure(k) for k in kt] + list(measures)
    params = {"runs": [run.name for run in chosen], "measures": names}

    def body(run: Run) -> dict[str, Any]:
        for search_run in chosen:
            values = per_query_values(store, search_run, names, progress)
            results.put_query_metrics(
                store,
                run.id,
                [
                    (search_run.id, query_id, measure, value)
                    for measure, by_query in values.items()
                    for query_id, value in by_query.items()
                ],
            )
        return {"runs": len(chosen), "measures": names}

    run_step(
        store,
        "evaluate",
        params,
        body,
        name=name,
        default_name=f"eval-{chosen[0].name}",
        parents=[("baseline" if i == 0 else "system", r.id) for i, r in enumerate(chosen)],
        collection_id=chosen[0].collection_id,
        progress=progress,
    )
    return build_report(store, chosen, names)


def per_query_values(
    store: Store, search_run: Run, measures: Sequence[str], progress: Progress = SILENT
) -> dict[str, dict[int, float]]:
    """Measure -> {query id: value} for one search run."""
    ranked = {
        q: [p for p, _ in hits] for q, hits in results.get_results(store, search_run.id).items()
    }
    values: dict[str, dict[int, float]] = {}
    qrels_names = [m for m in measures if is_qrels_measure(m)]
    if qrels_names:
        judged = collections.qrels_for(store, ranked)
        values.update(qrels_measures(qrels_names, judged, ranked))
    budgets = {m: tokens for m in measures if (tokens := kt_tokens(m)) is not None}
    if budgets:
        answers = collections.answers_for(store, ranked)
        texts = collections.passage_texts(store, {p for hits in ranked.values() for p in hits})
        cache = TokenCache(texts)
        with progress.task(f"R@kt of {search_run.name}", len(ranked)) as advance:
            values.update({measure: {} for measure in budgets})
            for query_id, passage_ids in ranked.items():
                for measure, budget in budgets.items():
                    value = r_at_kt(
                        (cache[p] for p in passage_ids), answers.get(query_id, ()), budget
                    )
                    if value is not None:
                        values[measure][query_id] = value
                advance(1)
    return values


def build_report(
    store: Store, search_runs: Sequence[Run], measures: Sequence[str]
) -> EvaluationReport:
    """Per-language means and baseline comparisons from stored per-query values."""
    language_of = {
        q.id: q.language for q in collections.get_queries(store, search_runs[0].collection_id or 0)
    }
    stored = {run.name: results.get_query_metrics(store, run.id, measures) for run in search_runs}
    stored, warnings = _on_common_queries(stored)
    languages = sorted(
        {
            language_of[q]
            for by_measure in stored.values()
            for by_query in by_measure.values()
            for q in by_query
        }
    )
    report = EvaluationReport(
        runs=[run.name for run in search_runs],
        measures=list(measures),
        languages=languages,
        metrics={},
        queries={},
        warnings=warnings,
    )
    for run_name, by_measure in stored.items():
        report.metrics[run_name] = _means(by_measure, language_of, languages, measures)
        report.queries[run_name] = _counts(by_measure, language_of, languages)
    for run_name in report.runs[1:]:
        for measure in measures:
            report.tests.extend(
                _compare(
                    stored[report.baseline].get(measure, {}),
                    stored[run_name].get(measure, {}),
                    language_of,
                    languages,
                    run_name,
                    measure,
                )
            )
    return report


def _on_common_queries(
    stored: dict[str, dict[str, dict[int, float]]],
) -> tuple[dict[str, dict[str, dict[int, float]]], list[str]]:
    """Keep only the queries every run answered, so that means are comparable."""
    answered = {
        run: {q for by_query in by_measure.values() for q in by_query}
        for run, by_measure in stored.items()
    }
    common = set.intersection(*answered.values())
    if all(queries == common for queries in answered.values()):
        return stored, []
    counts = ", ".join(f"{run}: {len(queries)}" for run, queries in answered.items())
    warning = (
        f"the runs answered different queries ({counts}); every number here is over the "
        f"{len(common)} queries all of them answered. Search the baseline with "
        "--exclude-heldout RUN when the other runs come from a heldout generation run"
    )
    kept = {
        run: {m: {q: v for q, v in by_query.items() if q in common} for m, by_query in bm.items()}
        for run, bm in stored.items()
    }
    return kept, [warning]


def _means(
    by_measure: dict[str, dict[int, float]],
    language_of: dict[int, str],
    languages: list[str],
    measures: Sequence[str],
) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for language in languages:
        table[language] = {}
        for measure in measures:
            scores = [
                v for q, v in by_measure.get(measure, {}).items() if language_of[q] == language
            ]
            if scores:
                table[language][measure] = float(np.mean(scores))
    table["avg"] = {
        measure: float(
            np.mean([table[lang][measure] for lang in languages if measure in table[lang]])
        )
        for measure in measures
        if any(measure in table[lang] for lang in languages)
    }
    return table


def _counts(
    by_measure: dict[str, dict[int, float]], language_of: dict[int, str], languages: list[str]
) -> dict[str, int]:
    answered = {q for by_query in by_measure.values() for q in by_query}
    return {lang: sum(1 for q in answered if language_of[q] == lang) for lang in languages}


def _compare(
    baseline: dict[int, float],
    system: dict[int, float],
    language_of: dict[int, str],
    languages: list[str],
    run_name: str,
    measure: str,
) -> list[Comparison]:
    found = []
    for language in [*languages, "all"]:
        common = sorted(
            q
            for q in baseline.keys() & system.keys()
            if language == "all" or language_of[q] == language
        )
        if not common:
            continue
        a = [baseline[q] for q in common]
        b = [system[q] for q in common]
        test = paired_t_test(a, b)
        found.append(
            Comparison(
                run_name,
                measure,
                language,
                test.n,
                float(np.mean(a)),
                float(np.mean(b)),
                test.delta,
                test.p_value,
                None,
                False,
            )
        )
    family = [c for c in found if c.language != "all"]
    for comparison, adjusted in zip(family, holm([c.p_value for c in family]), strict=True):
        comparison.p_holm = adjusted
        comparison.significant = adjusted < ALPHA
    for comparison in found:
        if comparison.language == "all":
            comparison.significant = comparison.p_value < ALPHA
    return found
