"""Adversarial examples of a robustness run: each model-aware attack's queries next to their
originals, with the relevant passage's rank before and after on every system."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.robustness.evaluate import adaptive_name
from store import adversarial, collections, runs
from store.db import Store
from store.records import Run


@dataclass
class Example:
    """One adversarial query: its target, text before and after, moves, and per system the
    relevant passage's rank on the clean and on the adversarial query (None: below the
    searched depth)."""

    target: str
    language: str
    original: str
    adversarial: str
    moves: list[str]
    ranks: dict[str, tuple[int | None, int | None]]


def adversarial_examples(store: Store, run: Run, attack: str) -> list[Example]:
    """The adversarial queries of one attack of a robustness run (an ``adaptive`` attack:
    those of the attack crafted against each system), changed ones first, then by the rank
    they cost the target; empty for a random perturbation."""
    searches = {
        parent.name.removeprefix(f"{run.name}:"): parent
        for _, parent in runs.parent_runs(store, run.id)
        if parent.kind == "search"
    }
    members = [
        parent
        for _, parent in runs.parent_runs(store, run.id)
        if parent.kind == "attack" and (parent.name == attack or adaptive_name(parent) == attack)
    ]
    systems: list[str] = run.params["systems"]
    clean = {s: adversarial.relevant_ranks(store, searches[f"{s}:clean"].id) for s in systems}
    queries = {q.id: q for q in collections.get_queries(store, run.collection_id or 0)}
    found = []
    for member in members:
        attacked = {
            s: adversarial.relevant_ranks(store, searches[f"{s}:{member.name}"].id) for s in systems
        }
        for record in adversarial.get_adversarial(store, member.id):
            variant = queries[record.query_id]
            original = queries[variant.original_id or 0]
            found.append(
                Example(
                    member.params["target"],
                    variant.language,
                    original.text,
                    variant.text,
                    record.moves,
                    {s: (clean[s].get(original.id), attacked[s].get(variant.id)) for s in systems},
                )
            )
    return sorted(found, key=lambda e: (not e.moves, -_cost(e)))


def _cost(example: Example) -> int:
    before, after = example.ranks.get(example.target, (None, None))
    depth = 10**9
    return (after or depth) - (before or depth)
