"""The perturb step: seeded, perturbed copies of a collection's queries, linked to them.

A variant's qid and split are its original's with ``~{attack}@{strength}#{seed}`` appended;
it keeps the original's language, parallel id, qrels and answers, and ``original_id`` points
at the original, so clean and attacked results pair query by query.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from pipelines.robustness.perturb import ATTACK_NAMES, Perturbation
from pipelines.steps import run_step
from store import collections
from store.db import Store
from store.records import Query, Run, VariantRecord

CONTRADICTION = "contradiction"
CONTRADICTION_SPLIT = "hypothesis-contradiction"
ALL_ATTACKS = (*ATTACK_NAMES, CONTRADICTION)


def variant_tag(attack: str, strength: float, seed: int) -> str:
    """The suffix that names a perturbation, e.g. ``~char-noise@0.1#1``."""
    return f"~{attack}@{strength:g}#{seed}"


def perturb_queries(
    store: Store,
    collection: str,
    attack: str,
    *,
    strength: float,
    seed: int = 1,
    splits: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Add one perturbed copy of every chosen (original) query; returns the perturb run."""
    if attack not in ALL_ATTACKS:
        raise InputError(f"unknown attack {attack!r}; expected one of {list(ALL_ATTACKS)}")
    if not 0 <= strength <= 1:
        raise InputError(f"strength must lie in [0, 1], got {strength}")
    found = collections.get_collection(store, collection)
    every = collections.get_queries(store, found.id)
    originals = [
        q
        for q in every
        if q.original_id is None
        and (splits is None or q.split in splits)
        and (languages is None or q.language in languages)
    ]
    if not originals:
        raise InputError("no queries to perturb (check --split and --langs)")
    tag = variant_tag(attack, strength, seed)
    params = {
        "collection": found.name,
        "attack": attack,
        "strength": strength,
        "seed": seed,
        "splits": sorted(splits) if splits else None,
        "languages": sorted(languages) if languages else None,
        "tag": tag,
    }

    def body(run: Run) -> dict[str, Any]:
        texts = _perturbed_texts(
            store, found.id, every, originals, Perturbation(attack, strength, seed)
        )
        records = [
            VariantRecord(q.id, q.qid + tag, text, q.split + tag)
            for q, text in zip(originals, texts, strict=True)
        ]
        with progress.task(f"writing {tag[1:]} variants", len(records)) as advance:
            added = collections.add_variants(store, found.id, records)
            advance(len(records))
        changed = [q.language for q, text in zip(originals, texts, strict=True) if text != q.text]
        return {
            "variants": len(records),
            "added": added,
            "changed": len(changed),
            "changed_per_language": dict(sorted(Counter(changed).items())),
            "splits": sorted({q.split + tag for q in originals}),
        }

    return run_step(
        store,
        "perturb",
        params,
        body,
        name=name,
        default_name=f"perturb-{found.name}{tag}",
        collection_id=found.id,
        progress=progress,
    )


def _perturbed_texts(
    store: Store,
    collection_id: int,
    every: list[Query],
    originals: list[Query],
    perturbation: Perturbation,
) -> list[str]:
    if perturbation.attack == CONTRADICTION:
        return _contradictions(store, every, originals, perturbation)
    english = {
        q.parallel_id: q.text
        for q in every
        if q.language == "en" and q.parallel_id and q.original_id is None
    }
    if perturbation.attack == "code-switch" and not english:
        raise InputError(
            "code-switching needs the English version of each query (an English "
            "query with the same parallel id); this collection has none"
        )
    return [
        perturbation.apply(q.text, q.qid, english.get(q.parallel_id or "", "")) for q in originals
    ]


def _contradictions(
    store: Store, every: list[Query], originals: list[Query], perturbation: Perturbation
) -> list[str]:
    """Swap a share ``strength`` of the queries for the contradicting hypothesis (same
    language, same premise) that XNLI provides for them."""
    qrels = collections.qrels_for(store, [q.id for q in every])
    contradiction = {
        (q.language, passage): q.text
        for q in every
        if q.split == CONTRADICTION_SPLIT and q.original_id is None
        for passage in qrels.get(q.id, {})
    }
    if not contradiction:
        raise InputError(
            "the contradiction attack needs XNLI's contradicting hypotheses "
            f"(queries of split {CONTRADICTION_SPLIT!r}); ingest XNLI first"
        )
    texts = []
    for query in originals:
        rng = random.Random(
            f"{perturbation.seed}:{CONTRADICTION}:{perturbation.strength}:{query.qid}"
        )
        swap = next(
            (
                contradiction[(query.language, p)]
                for p in qrels.get(query.id, {})
                if (query.language, p) in contradiction
            ),
            None,
        )
        texts.append(
            swap if swap is not None and rng.random() < perturbation.strength else query.text
        )
    return texts
