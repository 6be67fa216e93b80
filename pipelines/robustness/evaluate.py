"""The robustness evaluation: clean vs attacked queries, per system, language and attack.

For every system (an index or xQG index run; the first is the baseline) the clean queries of
one split and each attack's variants of them are searched (held-out queries of any system's
generation run are left out everywhere, so every system answers the same queries). Per
query, the drop is what the attack costs, variant paired with its original: ``clean -
attacked`` for scores, ``attacked - clean`` for the ``Confusion@*`` rates (lower is better);
the systems' drops are compared per language with the evaluation's paired tests and
corrections (the family of one attack and measure: every system x language cell). The clean
searches are also compared as an evaluation (:func:`pipelines.evaluate.build_report`), which
with no attack at all is the whole report: e.g. the hypotheses of one label as queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import numpy as np

from pipelines.encoders.base import Encoder, EncoderConfig
from pipelines.errors import InputError
from pipelines.evaluate import (
    ComparisonJson,
    EvaluationJson,
    EvaluationReport,
    build_report,
    check_measures,
    per_query_values,
)
from pipelines.ingest.xnli import LABELS
from pipelines.metrics import measures as registry
from pipelines.metrics.paired import ALPHA, POOLED, Comparison, compare_scores, correct
from pipelines.metrics.significance import CORRECTIONS, TESTS, Correction, Test
from pipelines.progress import SILENT, Progress
from pipelines.robustness.confusion import confusion_measure, confusion_values
from pipelines.robustness.success import SuccessRate, rate, recall_measure, success_values
from pipelines.search import held_out_by, search
from pipelines.steps import require_done, run_step
from store import collections, results, runs
from store.db import Store
from store.records import Query, Run

DEFAULT_MEASURES = registry.ROBUSTNESS_MEASURES
ATTACK_KINDS = ("perturb", "attack")
ADAPTIVE = "adaptive"


class AttackSettings(TypedDict):
    """An attack run's attack: which, how strong, with which seed. A model-aware attack's
    strength is its budget, and it names its ``target`` (``adaptive`` for the attacks
    crafted against each system itself)."""

    attack: str
    strength: float
    seed: int
    target: str | None


class SystemSummary(TypedDict):
    """A system's means over every attack x language cell of one measure."""

    clean: float
    drop: float
    relative_drop: float


class RobustnessJson(TypedDict):
    """A robustness report as written to ``--json`` files (:meth:`RobustnessReport.to_json`).

    ``scores`` are :class:`AttackScore` fields with ``drop`` and ``relative_drop``; ``tests``
    are :class:`Comparison` fields with their ``attack``.
    """

    systems: list[str]
    attacks: list[str]
    attack_settings: dict[str, AttackSettings]
    split: str
    languages: list[str]
    measures: list[str]
    seconds: float | None
    test: str
    correction: str
    alpha: float
    scores: list[ComparisonJson]
    tests: list[ComparisonJson]
    summary: dict[str, dict[str, SystemSummary]]
    clean: EvaluationJson | None
    success: list[dict[str, Any]]
    success_tests: list[ComparisonJson]


class RobustnessSummary(TypedDict):
    """The summary a robustness run records."""

    searches: int


@dataclass
class AttackScore:
    """One system under one attack in one language, for one measure."""

    system: str
    attack: str
    language: str
    measure: str
    n: int
    clean: float
    attacked: float

    @property
    def drop(self) -> float:
        """Absolute drop: clean - attacked (attacked - clean for a confusion rate)."""
        return registry.measure(self.measure).loss(self.clean, self.attacked)

    @property
    def relative_drop(self) -> float | None:
        """Drop as a share of the clean score (None when the clean score is 0, and for
        confusion rates, whose clean value is near 0 and whose relative rise says little)."""
        if registry.measure(self.measure).lower_is_better or not self.clean:
            return None
        return self.drop / self.clean


@dataclass
class DropTest:
    """A system's per-query drops against the baseline's under one attack.

    ``comparison.baseline`` and ``comparison.system`` are the mean drops, ``delta`` their
    difference (negative: the system loses less), with the test, correction, bootstrap CI and
    effect size of the evaluation machinery.
    """

    attack: str
    comparison: Comparison


@dataclass
class RobustnessReport:
    """Scores, drops and drop tests of a robustness evaluation."""

    systems: list[str]
    attacks: list[str]
    languages: list[str]
    measures: list[str]
    scores: list[AttackScore] = field(default_factory=list)
    tests: list[DropTest] = field(default_factory=list)
    test: Test = "t"
    correction: Correction = "holm"
    alpha: float = ALPHA
    # attack run name -> its perturbation: attack, strength, seed
    settings: dict[str, AttackSettings] = field(default_factory=dict)
    split: str = "premise"
    clean: EvaluationReport | None = None
    seconds: float | None = None
    success: list[SuccessRate] = field(default_factory=list)
    success_tests: list[DropTest] = field(default_factory=list)

    def score(self, system: str, attack: str, language: str, measure: str) -> AttackScore | None:
        """The score of one cell, if there is one."""
        return next(
            (
                s
                for s in self.scores
                if (s.system, s.attack, s.language, s.measure)
                == (system, attack, language, measure)
            ),
            None,
        )

    def attack_title(self, attack: str) -> str:
        """``char-noise (char-noise @ 0.2, seed 1)``: the run and what it did."""
        settings = self.settings.get(attack)
        if not settings:
            return attack
        if settings["target"] is not None:
            return (
                f"{attack} ({settings['attack']}, budget {settings['strength']:g}, against "
                f"{settings['target']}, seed {settings['seed']})"
            )
        return (
            f"{attack} ({settings['attack']} @ {settings['strength']:g}, seed {settings['seed']})"
        )

    def mode(self, system: str, attack: str) -> str:
        """How an attack relates to a system: ``adaptive`` (crafted against it), ``transfer
        from <target>``, or ``random`` (a perturbation that looks at no model)."""
        settings = self.settings.get(attack)
        target = None if settings is None else settings["target"]
        if target is None:
            return "random"
        return ADAPTIVE if target in (system, ADAPTIVE) else f"transfer from {target}"

    def success_rate(
        self, system: str, attack: str, language: str, measure: str
    ) -> SuccessRate | None:
        """The success rate of one cell, if there is one."""
        return next(
            (
                s
                for s in self.success
                if (s.system, s.attack, s.language, s.measure)
                == (system, attack, language, measure)
            ),
            None,
        )

    def summary(self, measure: str) -> dict[str, SystemSummary]:
        """Per system: mean clean score, mean drop and mean relative drop over all
        attack x language cells (the pooled ``all`` rows left out)."""
        found = {}
        for system in self.systems:
            cells = [
                s
                for s in self.scores
                if s.system == system and s.measure == measure and s.language != POOLED
            ]
            relative = [s.relative_drop for s in cells if s.relative_drop is not None]
            found[system] = SystemSummary(
                clean=float(np.mean([s.clean for s in cells])),
                drop=float(np.mean([s.drop for s in cells])),
                relative_drop=float(np.mean(relative)) if relative else 0.0,
            )
        return found

    def to_json(self) -> RobustnessJson:
        """Everything as plain JSON."""
        return {
            "systems": self.systems,
            "attacks": self.attacks,
            "attack_settings": self.settings,
            "split": self.split,
            "languages": self.languages,
            "measures": self.measures,
            "seconds": self.seconds,
            "test": TESTS[self.test] + " on per-query drops",
            "correction": CORRECTIONS[self.correction],
            "alpha": self.alpha,
            "scores": [
                {**asdict(s), "drop": s.drop, "relative_drop": s.relative_drop} for s in self.scores
            ],
            "tests": [{"attack": t.attack, **asdict(t.comparison)} for t in self.tests],
            "summary": {m: self.summary(m) for m in self.measures} if self.attacks else {},
            "clean": None if self.clean is None else self.clean.to_json(),
            "success": [{**asdict(s), "mode": self.mode(s.system, s.attack)} for s in self.success],
            "success_tests": [
                {"attack": t.attack, **asdict(t.comparison)} for t in self.success_tests
            ],
        }


def evaluate_robustness(
    store: Store,
    systems: Sequence[str | int],
    attacks: Sequence[str | int],
    *,
    split: str = "premise",
    languages: Sequence[str] | None = None,
    depth: int = 100,
    measures: Sequence[str] = DEFAULT_MEASURES,
    name: str | None = None,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    progress: Progress = SILENT,
) -> RobustnessReport:
    """Search clean and attacked queries with every system, store per-query values, report.

    With no ``attacks``, only the clean queries of ``split`` are searched and compared.
    """
    confusions = [confusion_measure(label) for label in LABELS]
    scored = check_measures([m for m in measures if m not in confusions])  # before any work
    indexes = [require_done(runs.get_run(store, ref)) for ref in systems]
    perturbs = [require_done(attack_run(store, ref)) for ref in attacks]
    if not indexes:
        raise InputError("name at least one system (an index or augment run)")
    collection_ids = {r.collection_id for r in [*indexes, *perturbs]}
    if len(collection_ids) != 1:
        raise InputError("systems and attacks must belong to one collection")
    excluded = sorted({r.name for index in indexes for r in held_out_by(store, index, ())})
    if languages is None:
        # Cross-lingual by default: English queries are the English passages' own text.
        every = collections.get_queries(store, indexes[0].collection_id or 0)
        languages = sorted({q.language for q in every} - {"en"})
    params = {
        "systems": [r.name for r in indexes],
        "attacks": [r.name for r in perturbs],
        "split": split,
        "languages": sorted(languages) if languages else None,
        "depth": depth,
        "measures": list(measures),
        "held_out_by": excluded,
    }

    # Success@k needs Recall@k of every search, asked for or not.
    stored = list(dict.fromkeys([*scored, *map(recall_measure, registry.SUCCESS_MEASURES)]))

    def body(run: Run) -> RobustnessSummary:
        searched = _search_all(store, indexes, perturbs, params, run.name, progress)
        runs.add_parents(store, run.id, [("search", r.id) for r in searched.values()])
        _store_values(store, run, list(searched.values()), stored, progress)
        return {"searches": len(searched)}

    run = run_step(
        store,
        "robustness",
        params,
        body,
        name=name,
        default_name=f"robustness-{split}",
        parents=[("system", r.id) for r in indexes] + [("attack", r.id) for r in perturbs],
        collection_id=collection_ids.pop(),
        progress=progress,
    )
    return build_robustness_report(store, run, test=test, correction=correction, alpha=alpha)


def attack_run(store: Store, ref: str | int) -> Run:
    """A perturb or attack run by name or id."""
    run = runs.get_run(store, ref)
    if run.kind not in ATTACK_KINDS:
        raise InputError(
            f"run {run.name!r} is a {run.kind} run; --attacks takes perturb or attack runs"
        )
    return run


def _search_all(
    store: Store,
    indexes: list[Run],
    perturbs: list[Run],
    params: dict[str, Any],
    name: str,
    progress: Progress,
) -> dict[tuple[str, str], Run]:
    searched = {}
    encoders: dict[EncoderConfig, Encoder] = {}  # each loaded once, not once per attack
    splits = {"clean": params["split"]} | {
        p.name: params["split"] + p.params["tag"] for p in perturbs
    }
    for index in indexes:
        for attack, split in splits.items():
            searched[(index.name, attack)] = search(
                store,
                index.name,
                splits=[split],
                languages=params["languages"],
                depth=params["depth"],
                exclude=params["held_out_by"],
                name=f"{name}:{index.name}:{attack}",
                progress=progress,
                encoders=encoders,
            )
    return searched


def _store_values(
    store: Store, run: Run, searched: list[Run], measures: Sequence[str], progress: Progress
) -> None:
    for search_run in searched:
        values = per_query_values(store, search_run, measures, progress)
        values.update(_confusions(store, search_run))
        results.put_query_metrics(
            store,
            run.id,
            [
                (search_run.id, query_id, measure, value)
                for measure, by_query in values.items()
                for query_id, value in by_query.items()
            ],
        )


def _confusions(store: Store, search_run: Run) -> dict[str, dict[int, float]]:
    ranked = {
        q: [p for p, _ in hits] for q, hits in results.get_results(store, search_run.id).items()
    }
    judged = collections.qrels_for(store, ranked)
    passages = {p for hits in ranked.values() for p in hits} | {
        p for docs in judged.values() for p in docs
    }
    docid_of = collections.docids(store, passages)
    premise_of = {q: docid_of[p] for q, docs in judged.items() for p in docs}
    found = confusion_values(ranked, premise_of, docid_of)
    return {measure: values for measure, values in found.items() if values}


def build_robustness_report(
    store: Store,
    run: Run,
    *,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
) -> RobustnessReport:
    """The report of a finished robustness run, from the per-query values it stored."""
    queries = {q.id: q for q in collections.get_queries(store, run.collection_id or 0)}
    prefix = f"{run.name}:"
    values = {
        tuple(parent.name.removeprefix(prefix).rsplit(":", 1)): results.get_query_metrics(
            store, parent.id
        )
        for _, parent in runs.parent_runs(store, run.id)
        if parent.kind == "search"
    }
    requested = set(run.params["measures"])
    measures = sorted(
        {
            m
            for by_measure in values.values()
            for m in by_measure
            if m in requested or registry.measure(m).family == "confusion"
        }
    )
    settings = {
        parent.name: _settings(parent)
        for _, parent in runs.parent_runs(store, run.id)
        if parent.kind in ATTACK_KINDS
    }
    adaptive = _adaptive(store, run, run.params["systems"])
    for name, by_system in adaptive.items():
        for system, attack in by_system.items():
            values[(system, name)] = values[(system, attack)]
        settings[name] = {**settings[attack], "target": ADAPTIVE}
    report = RobustnessReport(
        systems=run.params["systems"],
        attacks=[*run.params["attacks"], *adaptive],
        languages=[],
        measures=measures,
        test=test,
        correction=correction,
        alpha=alpha,
        settings=settings,
        split=run.params["split"],
        seconds=_seconds(run),
    )
    clean = {
        parent.name.removeprefix(prefix).rsplit(":", 1)[0]: parent
        for _, parent in runs.parent_runs(store, run.id)
        if parent.kind == "search" and parent.name.endswith(":clean")
    }
    report.clean = build_report(
        store,
        [clean[system] for system in report.systems],
        measures,
        test=test,
        correction=correction,
        alpha=alpha,
    ).renamed({clean[system].name: system for system in report.systems})
    for attack in report.attacks:
        for measure in measures:
            drops = {
                system: _drops(report, values, queries, system, attack, measure)
                for system in report.systems
            }
            tests = [
                DropTest(attack, comparison)
                for comparison in _drop_tests(drops, queries, report, measure)
            ]
            correct([t.comparison for t in tests], correction, alpha)
            report.tests.extend(tests)
        _success(report, values, queries, attack)
    report.languages = sorted(
        {s.language for s in report.scores} - {POOLED} or set(report.clean.languages)
    )
    return report


def _settings(run: Run) -> AttackSettings:
    if run.kind == "perturb":
        return AttackSettings(
            attack=run.params["attack"],
            strength=run.params["strength"],
            seed=run.params["seed"],
            target=None,
        )
    return AttackSettings(
        attack=run.params["family"],
        strength=run.params["budget"],
        seed=run.params["seed"],
        target=run.params["target"],
    )


def adaptive_name(attack: Run) -> str:
    """The adaptive attack an attack run belongs to: its tag without the target, e.g.
    ``adaptive code-mix@2#1`` for ``~code-mix>base@2#1``."""
    tag = attack.params["tag"].replace(f">{attack.params['target']}", "", 1)
    return f"{ADAPTIVE} {tag.lstrip('~')}"


def _adaptive(store: Store, run: Run, systems: list[str]) -> dict[str, dict[str, str]]:
    """``adaptive <tag>`` -> system -> the attack crafted against that system, for every
    group of attack runs alike but for their target that covers all the systems."""
    groups: dict[str, dict[str, str]] = {}
    for _, parent in runs.parent_runs(store, run.id):
        if parent.kind == "attack":
            groups.setdefault(adaptive_name(parent), {})[parent.params["target"]] = parent.name
    return {
        name: {system: by_target[system] for system in systems}
        for name, by_target in sorted(groups.items())
        if set(systems) <= set(by_target) and len(systems) > 1
    }


def _success(
    report: RobustnessReport,
    values: dict[tuple[str, ...], dict[str, dict[int, float]]],
    queries: dict[int, Query],
    attack: str,
) -> None:
    """Success rates per system and language, and their paired tests against the baseline."""
    original_of = {q.id: q.original_id for q in queries.values() if q.original_id is not None}
    for measure in registry.SUCCESS_MEASURES:
        recall = recall_measure(measure)
        found = {
            system: success_values(
                values[(system, "clean")].get(recall, {}),
                values[(system, attack)].get(recall, {}),
                original_of,
            )
            for system in report.systems
        }
        if not any(found.values()):
            continue
        for system, by_query in found.items():
            for language in [*sorted({queries[q].language for q in by_query}), POOLED]:
                chosen = {
                    q: v
                    for q, v in by_query.items()
                    if language == POOLED or queries[q].language == language
                }
                report.success.append(rate(chosen, system, attack, language, measure))
        tests = [DropTest(attack, c) for c in _drop_tests(found, queries, report, measure)]
        correct([t.comparison for t in tests], report.correction, report.alpha)
        report.success_tests.extend(tests)


def _seconds(run: Run) -> float | None:
    """Wall time of a finished run."""
    from datetime import datetime

    if not run.ended_at:
        return None
    ended, started = datetime.fromisoformat(run.ended_at), datetime.fromisoformat(run.started_at)
    return (ended - started).total_seconds()


def _drops(
    report: RobustnessReport,
    values: dict[tuple[str, ...], dict[str, dict[int, float]]],
    queries: dict[int, Query],
    system: str,
    attack: str,
    measure: str,
) -> dict[int, float]:
    """Original query id -> clean minus attacked value; adds the per-language scores."""
    clean = values[(system, "clean")].get(measure, {})
    attacked = values[(system, attack)].get(measure, {})
    pairs = {}
    for variant, value in attacked.items():
        original = queries[variant].original_id
        if original is not None and original in clean:
            pairs[original] = (clean[original], value)
    for language in sorted({queries[q].language for q in pairs}):
        mine = [pair for q, pair in pairs.items() if queries[q].language == language]
        report.scores.append(
            AttackScore(
                system,
                attack,
                language,
                measure,
                len(mine),
                float(np.mean([c for c, _ in mine])),
                float(np.mean([a for _, a in mine])),
            )
        )
    if pairs:
        report.scores.append(
            AttackScore(
                system,
                attack,
                POOLED,
                measure,
                len(pairs),
                float(np.mean([c for c, _ in pairs.values()])),
                float(np.mean([a for _, a in pairs.values()])),
            )
        )
    loss = registry.measure(measure).loss
    return {q: loss(c, a) for q, (c, a) in pairs.items()}


def _drop_tests(
    drops: dict[str, dict[int, float]],
    queries: dict[int, Query],
    report: RobustnessReport,
    measure: str,
) -> list[Comparison]:
    baseline = drops[report.systems[0]]
    found = []
    for system in report.systems[1:]:
        common = baseline.keys() & drops[system].keys()
        for language in [*sorted({queries[q].language for q in common}), POOLED]:
            chosen = sorted(
                q for q in common if language == POOLED or queries[q].language == language
            )
            found.append(
                compare_scores(
                    system,
                    measure,
                    language,
                    [baseline[q] for q in chosen],
                    [drops[system][q] for q in chosen],
                    test=report.test,
                )
            )
    return found
