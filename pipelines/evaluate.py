"""The evaluate step: per-query values into the store, then per-language tables and tests.

Measures: R@<n>kt (answer strings, official XOR-Retrieve definition) and qrels measures
(MRR@k, nDCG@k, Recall@k, P@k through ir_measures). Every per-query value is stored in
``query_metrics`` so that any runs can be compared later without recomputing
(:func:`build_report` reads them; ``xqg compare`` is built on it). The first run is the
baseline; every other run is compared with it per language and on the pooled queries, on
the queries both answered: a paired test (t-test by default, Wilcoxon or randomisation),
a bootstrap confidence interval of the difference, Cohen's d_z, wins/ties/losses, and a
correction for testing many languages (and systems) at once (Holm by default, or BH).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TypedDict

import numpy as np

from pipelines.errors import InputError
from pipelines.metrics import measures as registry
from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES
from pipelines.metrics.paired import ALPHA, POOLED, Comparison, compare_scores, correct, family_text
from pipelines.metrics.qrels import qrels_measures
from pipelines.metrics.r_at_kt import TokenCache, english_word_tokenize, r_at_kt_values
from pipelines.metrics.significance import (
    CONFIDENCE,
    CORRECTIONS,
    RESAMPLES,
    SEED,
    TESTS,
    Correction,
    Test,
)
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done, run_step
from store import collections, results, runs
from store.db import Store
from store.records import Run

TEST = TESTS["t"]
CORRECTION = "Holm across languages"
__all__ = [
    "ALPHA",
    "CORRECTION",
    "DEFAULT_KT",
    "DEFAULT_MEASURES",
    "TEST",
    "Comparison",
    "EvaluationReport",
    "build_report",
    "check_measures",
    "check_runs",
    "check_statistics",
    "evaluate",
    "kt_measure",
    "kt_tokens",
    "per_query_values",
]


def kt_measure(kt: int) -> str:
    """R@kt name as the paper writes it: 2000 -> ``R@2kt``, 100 -> ``R@0.1kt``."""
    return registry.r_at_kt(kt).name


def kt_tokens(name: str) -> int | None:
    """Token budget of an R@kt measure name, or None for other measures."""
    found = registry.known(name)
    return found.cutoff if found is not None and found.family == "r_at_kt" else None


def check_measures(names: Sequence[str]) -> list[str]:
    """The names, checked: R@<n>kt or a qrels measure (raises InputError otherwise)."""
    return registry.check_measures(names, ["r_at_kt", "qrels"])


# One comparison's statistics in the JSON report: the fields of :class:`Comparison` but its
# run, measure and language (they are the keys above it).
ComparisonJson = dict[str, float | int | str | bool | None]


class BootstrapJson(TypedDict):
    """How the confidence intervals were drawn."""

    confidence: float
    resamples: int
    method: str
    seed: int


class PermutationJson(TypedDict):
    """How the randomisation test was drawn."""

    resamples: int
    seed: int


class TestsJson(TypedDict):
    """The ``tests`` part of a JSON report: how significance was decided, and every
    comparison as ``comparisons[run][language][measure]``."""

    test: str
    correction: str
    alpha: float
    baseline: str
    test_key: str
    correction_key: str
    correction_method: str
    pooled: str
    bootstrap: BootstrapJson
    permutation: PermutationJson
    effect_size: str
    comparisons: dict[str, dict[str, dict[str, ComparisonJson]]]


class EvaluationJson(TypedDict):
    """An evaluation report as written to ``--json`` files (:meth:`EvaluationReport.to_json`)."""

    runs: list[str]
    measures: list[str]
    languages: list[str]
    metrics: dict[str, dict[str, dict[str, float]]]
    queries: dict[str, dict[str, int]]
    counts: dict[str, dict[str, dict[str, int]]]
    tests: TestsJson
    warnings: list[str]


class Statistics(TypedDict):
    """How an evaluation marks significance."""

    test: Test
    correction: Correction
    alpha: float


class EvaluateSummary(TypedDict):
    """The summary an evaluate run records: how many runs, which measures, and how its
    values are marked significant (read by the app)."""

    runs: int
    measures: list[str]
    statistics: Statistics


@dataclass
class EvaluationReport:
    """Per-language means for each run, and the comparisons with the baseline.

    ``metrics[run][language][measure]`` is the mean over the queries every run answered;
    ``metrics[run]["avg"]`` the macro average over languages. ``tests`` holds one
    :class:`Comparison` per (system, measure, language) plus the pooled ``all`` cell.
    """

    runs: list[str]
    measures: list[str]
    languages: list[str]
    metrics: dict[str, dict[str, dict[str, float]]]
    queries: dict[str, dict[str, int]]
    tests: list[Comparison] = field(default_factory=list)
    # run -> measure -> language -> queries with a value (R@kt skips yes/no-only questions,
    # qrels measures unjudged ones, so the counts of one run can differ by measure)
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    test: Test = "t"
    correction: Correction = "holm"
    alpha: float = ALPHA
    resamples: int = RESAMPLES
    seed: int = SEED

    def count(self, run: str, measure: str, language: str) -> int | None:
        """How many queries the run's ``measure`` values of ``language`` (``avg``: of every
        language) are over; None when it has none there."""
        by_language = self.counts.get(run, {}).get(measure, {})
        if language == "avg":
            return sum(by_language.values()) if by_language else None
        return by_language.get(language) or None

    def renamed(self, names: dict[str, str]) -> EvaluationReport:
        """The same report with runs called by other names (e.g. the systems behind search
        runs); runs missing from ``names`` keep theirs."""

        def name(run: str) -> str:
            return names.get(run, run)

        return replace(
            self,
            runs=[name(run) for run in self.runs],
            metrics={name(run): table for run, table in self.metrics.items()},
            queries={name(run): counts for run, counts in self.queries.items()},
            counts={name(run): counts for run, counts in self.counts.items()},
            tests=[replace(test, run=name(test.run)) for test in self.tests],
        )

    @property
    def measured(self) -> list[str]:
        """The measures with a value for some run (a collection without qrels or answers
        leaves some without any: the report's warnings say why)."""
        return [
            m
            for m in self.measures
            if any(m in table.get("avg", {}) for table in self.metrics.values())
        ]

    @property
    def baseline(self) -> str:
        """The run every other run is compared with."""
        return self.runs[0]

    @property
    def systems(self) -> list[str]:
        """The runs compared with the baseline."""
        return self.runs[1:]

    @property
    def test_name(self) -> str:
        """The significance test in words, e.g. ``paired t-test (two-sided)``."""
        return TESTS[self.test]

    @property
    def correction_text(self) -> str:
        """The multiple-testing correction and its family, in words."""
        return family_text(self.correction, len(self.systems), len(self.languages))

    def comparison(self, run: str, measure: str, language: str) -> Comparison | None:
        """The test of ``run`` against the baseline, if there is one."""
        for test in self.tests:
            if (test.run, test.measure, test.language) == (run, measure, language):
                return test
        return None

    def to_json(self) -> EvaluationJson:
        """``{"metrics": {run: {lang: {measure: value}, "avg": ...}}, "tests": ...}``."""
        tests: TestsJson = {
            "test": self.test_name,
            "correction": self.correction_text,
            "alpha": self.alpha,
            "baseline": self.baseline,
            "test_key": self.test,
            "correction_key": self.correction,
            "correction_method": CORRECTIONS[self.correction],
            "pooled": f"'{POOLED}': every query pooled; corrected across systems",
            "bootstrap": {
                "confidence": CONFIDENCE,
                "resamples": self.resamples,
                "method": "percentile",
                "seed": self.seed,
            },
            "permutation": {"resamples": self.resamples, "seed": self.seed},
            "effect_size": "Cohen's d_z (mean difference / its standard deviation)",
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
            "counts": self.counts,
            "tests": tests,
            "warnings": self.warnings,
        }


def evaluate(
    store: Store,
    search_runs: Sequence[str | int],
    *,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kt: Sequence[int] | None = None,
    name: str | None = None,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    complete: bool = False,
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Evaluate search runs (the first is the baseline), store every per-query value, and
    compare the runs per language.

    ``measures`` may name R@<n>kt too; ``kt`` adds token budgets (None: the default budgets
    when the collection has answer strings, none otherwise). R@kt's Punkt data is checked
    before any work. A family the collection cannot measure (no qrels, no answers) is said
    in a warning of the report. ``test``, ``correction``
    and ``alpha`` decide the significance marks (they change no stored value). Qrels
    measures follow trec_eval: a judged query without results is left out of the means,
    unless ``complete`` (``trec_eval -c``) scores it 0.
    """
    check_statistics(test, correction, alpha)
    chosen = check_runs(store, search_runs)
    collection_id = chosen[0].collection_id or 0
    if kt is None:
        kt = DEFAULT_KT if collections.holds(store, collection_id, "answers") else ()
    names = check_measures([kt_measure(k) for k in kt] + list(measures))
    if registry.of_family(names, "r_at_kt"):
        english_word_tokenize()  # a missing Punkt stops here, in one line, before any work
    unmeasurable = _unmeasurable(store, collection_id, names)
    params = {"runs": [run.name for run in chosen], "measures": names}

    def body(run: Run) -> EvaluateSummary:
        # Every value first, then one transaction: a failure stores none of them.
        rows = [
            (search_run.id, query_id, measure, value)
            for search_run in chosen
            for measure, by_query in per_query_values(store, search_run, names, progress).items()
            for query_id, value in by_query.items()
        ]
        results.put_query_metrics(store, run.id, rows)
        # How this evaluation marks significance, for readers of the stored values (the app).
        statistics: Statistics = {"test": test, "correction": correction, "alpha": alpha}
        return {"runs": len(chosen), "measures": names, "statistics": statistics}

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
    report = build_report(
        store, chosen, names, test=test, correction=correction, alpha=alpha, complete=complete
    )
    report.warnings[:0] = unmeasurable
    return report


def _unmeasurable(store: Store, collection_id: int, names: Sequence[str]) -> list[str]:
    """A sentence for each family of ``names`` the collection holds nothing to measure with."""
    found = []
    name = collections.get_collection(store, collection_id).name
    needs: list[tuple[registry.Family, str, str]] = [
        ("qrels", "qrels", "relevance judgements"),
        ("r_at_kt", "answers", "answer strings"),
    ]
    for family, table, what in needs:
        asked = [m.name for m in registry.of_family(names, family)]
        if asked and not collections.holds(store, collection_id, table):
            found.append(
                f"collection {name!r} has no {table} ({what}), so {', '.join(asked)} "
                f"{'has' if len(asked) == 1 else 'have'} no values; ingest them or ask "
                "for other measures with --measures/--kt"
            )
    return found


def check_statistics(test: str, correction: str, alpha: float) -> None:
    """Refuse an unknown test or correction, or a level outside (0, 1)."""
    if test not in TESTS:
        raise InputError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    if correction not in CORRECTIONS:
        raise InputError(f"unknown correction {correction!r}; expected holm, bh or none")
    if not 0 < alpha < 1:
        raise InputError(f"the significance level must lie between 0 and 1, got {alpha}")


def check_runs(store: Store, search_runs: Sequence[str | int]) -> list[Run]:
    """The named search runs: finished, distinct, and of one collection."""
    if not search_runs:
        raise InputError("name at least one search run to evaluate")
    chosen = [require_done(runs.get_run(store, ref, kind="search")) for ref in search_runs]
    if len({run.id for run in chosen}) != len(chosen):
        raise InputError("a search run is named twice")
    if len({run.collection_id for run in chosen}) != 1:
        raise InputError("the search runs ranked different collections; compare runs of one")
    return chosen


def per_query_values(
    store: Store, search_run: Run, measures: Sequence[str], progress: Progress = SILENT
) -> dict[str, dict[int, float]]:
    """Measure -> {query id: value} for one search run."""
    # Unknown passages (None, imported runs) stay in place for the qrels measures; they have
    # no text, so they add no tokens to R@kt (as if they were not there).
    ranked_all = {
        q: [p for p, _ in hits] for q, hits in results.get_rankings(store, search_run.id).items()
    }
    values: dict[str, dict[int, float]] = {}
    qrels_names = [m.name for m in registry.of_family(measures, "qrels")]
    if qrels_names:
        judged = collections.qrels_for(store, ranked_all)
        values.update(qrels_measures(qrels_names, judged, ranked_all))
    budgets = {m.name: m.cutoff or 0 for m in registry.of_family(measures, "r_at_kt")}
    if budgets:
        # a query whose passages are all unknown is ranked, with no tokens: R@kt 0
        ranked = {q: [p for p in hits if p is not None] for q, hits in ranked_all.items()}
        answers = collections.answers_for(store, ranked)
        texts = collections.passage_texts(store, {p for hits in ranked.values() for p in hits})
        with progress.task(f"R@kt of {search_run.name}", len(ranked)) as advance:
            cache = TokenCache(texts)
            hits = r_at_kt_values(ranked, answers, cache, list(budgets.values()), advance)
        values.update({measure: hits[budget] for measure, budget in budgets.items()})
    return values


def build_report(
    store: Store,
    search_runs: Sequence[Run],
    measures: Sequence[str],
    *,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    complete: bool = False,
) -> EvaluationReport:
    """Per-language means and baseline comparisons from stored per-query values.

    The first run is the baseline. Every number is over the queries all runs answered
    (a warning says so when they answered different ones). Qrels measures are over the
    judged queries a run ranked (trec_eval's default); ``complete`` adds every other judged
    query of the collection with the value 0 (``trec_eval -c``).
    """
    check_statistics(test, correction, alpha)
    collection_id = search_runs[0].collection_id or 0
    language_of = {q.id: q.language for q in collections.get_queries(store, collection_id)}
    stored = {run.name: results.get_query_metrics(store, run.id, measures) for run in search_runs}
    if complete:
        _complete(stored, measures, collections.judged_query_ids(store, collection_id))
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
        test=test,
        correction=correction,
        alpha=alpha,
        resamples=resamples,
        seed=seed,
    )
    for run_name, by_measure in stored.items():
        report.metrics[run_name] = _means(by_measure, language_of, languages, measures)
        report.queries[run_name] = _counts(by_measure, language_of, languages)
        report.counts[run_name] = {
            measure: _counts({measure: by_measure.get(measure, {})}, language_of, languages)
            for measure in measures
        }
    for run_name in report.systems:
        for measure in measures:
            report.tests.extend(
                _compare(
                    stored[report.baseline].get(measure, {}),
                    stored[run_name].get(measure, {}),
                    language_of,
                    languages,
                    (run_name, measure),
                    report,
                )
            )
    correct(report.tests, correction, alpha)
    return report


def _complete(
    stored: dict[str, dict[str, dict[int, float]]], measures: Sequence[str], judged: set[int]
) -> None:
    """Judged queries without a value score 0 in every qrels measure (``trec_eval -c``)."""
    for by_measure in stored.values():
        for measure in registry.of_family(measures, "qrels"):
            values = by_measure.setdefault(measure.name, {})
            for query_id in judged - values.keys():
                values[query_id] = 0.0


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
    cell: tuple[str, str],
    report: EvaluationReport,
) -> list[Comparison]:
    found = []
    for language in [*languages, POOLED]:
        common = sorted(
            q
            for q in baseline.keys() & system.keys()
            if language == POOLED or language_of[q] == language
        )
        if common:
            found.append(
                compare_scores(
                    *cell,
                    language,
                    [baseline[q] for q in common],
                    [system[q] for q in common],
                    test=report.test,
                    resamples=report.resamples,
                    seed=report.seed,
                )
            )
    return found
