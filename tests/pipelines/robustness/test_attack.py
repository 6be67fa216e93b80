"""Model-aware attacks end to end on real XNLI with real e5-small: what the attack stores,
that the evaluation's own searches agree with what the attacker saw, transfer and adaptive
cells, and success rates with their bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from pipelines.errors import InputError
from pipelines.progress import SILENT
from pipelines.robustness.adversarial import Settings, attack
from pipelines.robustness.attack import attack_queries, attack_tag, load_target
from pipelines.robustness.evaluate import build_robustness_report
from pipelines.robustness.moves import expand, start
from store import open_store
from store.adversarial import get_adversarial
from store.collections import get_queries, qrels_for
from store.results import get_results
from store.runs import get_run, parent_runs
from tests.conftest import ATTACK_SETTINGS, ATTACKED_LANGUAGES, ATTACKED_PREMISES, copy_database

pytestmark = pytest.mark.slow
ATTACKED = ATTACKED_PREMISES * len(ATTACKED_LANGUAGES)
TAG = attack_tag("base", Settings("code-mix", **ATTACK_SETTINGS))


def test_each_adversarial_query_is_a_variant_with_its_cost_and_ranks(attacked_db: Path) -> None:
    with open_store(attacked_db) as store:
        run = get_run(store, "mix-base")
        records = get_adversarial(store, run.id)
        queries = {q.id: q for q in get_queries(store, run.collection_id or 0)}
    assert TAG.startswith("~code-mix>base@2#1.")  # the candidates differ from the default
    assert run.kind == "attack" and run.params["tag"] == TAG
    assert len(records) == ATTACKED == run.summary["queries"]
    assert sum(r.model_calls for r in records) == run.summary["model_calls"]
    for record in records:
        variant = queries[record.query_id]
        original = queries[variant.original_id or 0]
        assert variant.qid == original.qid + TAG
        assert variant.split == "premise" + TAG
        assert len(record.moves) == record.edits <= 2
        assert (variant.text == original.text) == (record.edits == 0)
        assert record.rank_after >= record.rank_before or record.edits == 0
        assert record.model_calls >= 1 + (record.edits > 0)
    assert {queries[r.query_id].language for r in records} == set(ATTACKED_LANGUAGES)


def test_the_evaluation_finds_the_ranks_the_attacker_saw(attacked_db: Path) -> None:
    """The robustness run searches clean and adversarial queries with the search step; the
    relevant premise's rank there is the rank the attack recorded against its target."""
    with open_store(attacked_db) as store:
        for system in ("base", "xqg"):
            records = get_adversarial(store, get_run(store, f"mix-{system}").id)
            searches = {p.name: p for _, p in parent_runs(store, get_run(store, "rob-adv").id)}
            clean = get_results(store, searches[f"rob-adv:{system}:clean"].id)
            attacked = get_results(store, searches[f"rob-adv:{system}:mix-{system}"].id)
            queries = {q.id: q for q in get_queries(store, 1)}
            qrels = qrels_for(store, [r.query_id for r in records])
            for record in records:
                relevant = next(iter(qrels[record.query_id]))
                original = queries[record.query_id].original_id or 0
                assert _rank(clean[original], relevant) == _capped(record.rank_before)
                assert _rank(attacked[record.query_id], relevant) == _capped(record.rank_after)


def _rank(hits: list[tuple[int, float]], passage: int) -> int | None:
    return next((i + 1 for i, (p, _) in enumerate(hits) if p == passage), None)


def _capped(rank: int, depth: int = 20) -> int | None:
    return rank if rank <= depth else None


def test_greedy_takes_the_best_single_code_mix_of_real_e5(attacked_db: Path) -> None:
    """Budget 1 on a real German premise: every single code-mix is encoded on its own and
    scored by hand (relevant premise minus best other passage); the attack picks the
    lowest."""
    with open_store(attacked_db) as store:
        system = get_run(store, "base")
        target = load_target(store, system)
        queries = get_queries(store, system.collection_id or 0, splits=["premise"])
        query = next(q for q in queries if q.language == "de" and q.original_id is None)
        relevant = next(iter(qrels_for(store, [query.id])[query.id]))
        donors = {q.language: q.text for q in queries if q.parallel_id == query.parallel_id}
        donors.pop("de")
    column = int(np.flatnonzero(target.keys == relevant)[0])
    texts = list(
        dict.fromkeys(s.text for s in expand("code-mix", start("code-mix", query.text), donors))
    )
    margins = {}
    for text, vector in zip(texts, target.encode(texts), strict=True):
        scores = target.passages @ vector
        margins[text] = scores[column] - np.delete(scores, column).max()
    best = min(margins, key=lambda text: margins[text])
    found = attack(
        target, query.text, relevant, Settings("code-mix", budget=1, goal=1), donors=donors
    )
    assert len(margins) > 10
    assert found.state.text == best
    assert found.scored.margin == pytest.approx(float(margins[best]), abs=1e-5)


def test_transfer_and_adaptive_cells_and_success_rates(attacked_db: Path) -> None:
    with open_store(attacked_db) as store:
        report = build_robustness_report(store, get_run(store, "rob-adv"))
        records = {
            system: get_adversarial(store, get_run(store, f"mix-{system}").id)
            for system in ("base", "xqg")
        }
    adaptive = "adaptive " + TAG.replace(">base", "").lstrip("~")
    assert report.attacks == ["mix-base", "mix-xqg", adaptive]
    assert report.mode("base", "mix-base") == "adaptive"
    assert report.mode("xqg", "mix-base") == "transfer from base"
    assert report.mode("xqg", adaptive) == "adaptive"
    assert report.attack_title("mix-base") == (
        "mix-base (code-mix, budget 2, against base, seed 1)"
    )
    for system in ("base", "xqg"):
        mine = records[system]
        first = [r for r in mine if r.rank_before == 1]
        expected = sum(r.rank_after > 1 for r in first) / len(first)
        for attack_name in (f"mix-{system}", adaptive):
            cell = report.success_rate(system, attack_name, "all", "Success@1")
            assert cell is not None
            assert (cell.n, cell.rate) == (len(first), pytest.approx(expected))
            assert cell.ci_low <= cell.rate <= cell.ci_high
        same = report.score(system, adaptive, "all", "MRR@10")
        own = report.score(system, f"mix-{system}", "all", "MRR@10")
        assert same is not None and own is not None and same.drop == own.drop
    tested = {(t.attack, t.comparison.measure, t.comparison.language) for t in report.success_tests}
    assert (adaptive, "Success@1", "all") in tested
    assert report.to_json()["success"][0]["mode"] in ("adaptive", "transfer from base")


def test_success_interval_agrees_with_scipy() -> None:
    from scipy import stats

    from pipelines.robustness.success import rate

    values = {i: float(i % 3 == 0) for i in range(40)}
    cell = rate(values, "s", "a", "all", "Success@1")
    theirs = stats.bootstrap(
        (np.array(list(values.values())),),
        np.mean,
        confidence_level=0.95,
        n_resamples=10_000,
        method="percentile",
        random_state=np.random.default_rng(0),
    ).confidence_interval
    assert cell.rate == pytest.approx(14 / 40)
    assert cell.ci_low == pytest.approx(theirs.low, abs=0.03)
    assert cell.ci_high == pytest.approx(theirs.high, abs=0.03)


def test_bad_settings_stop_before_any_work(attacked_db: Path, tmp_path: Path) -> None:
    with open_store(attacked_db) as store:
        with pytest.raises(InputError, match="--budget must be at least 1"):
            attack_queries(store, "base", Settings("char", budget=0))
        with pytest.raises(InputError, match="unknown moves"):
            attack_queries(store, "base", Settings("typo"))  # type: ignore[arg-type]
        with pytest.raises(InputError, match="attack an index"):
            attack_queries(store, "mix-base", Settings("char"))
        with pytest.raises(InputError, match="no queries to attack"):
            attack_queries(store, "base", Settings("char"), languages=["xx"])


class StopAfterFirst:
    """A progress sink that interrupts the step after its first chunk, as Ctrl-C would."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        def advance(_: int) -> None:
            raise KeyboardInterrupt

        yield advance

    def note(self, message: str) -> None:
        self.said = message


def test_an_interrupted_attack_resumes_without_losing_or_repeating_queries(
    robustness_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.robustness.attack as step

    monkeypatch.setattr(step, "CHUNK", 1)
    settings = Settings("char", budget=1, candidates=4)
    options = {"languages": ["de"], "premises": 3, "name": "typo"}
    with open_store(copy_database(robustness_db, tmp_path / "xqg.db")) as store:
        with pytest.raises(KeyboardInterrupt):
            attack_queries(store, "base", settings, progress=StopAfterFirst(), **options)
        first = get_adversarial(store, get_run(store, "typo").id)
        assert len(first) == 1 and get_run(store, "typo").status == "failed"
        progress = StopAfterFirst()
        progress.task = SILENT.task  # type: ignore[method-assign]
        run = attack_queries(store, "base", settings, progress=progress, **options)
        records = get_adversarial(store, run.id)
    assert progress.said == "1 queries were attacked before; attacking the other 2"
    assert run.status == "done" and len(records) == 3 == run.summary["queries"]
    assert first[0] in records
    assert run.summary["model_calls"] == sum(r.model_calls for r in records) == 6
