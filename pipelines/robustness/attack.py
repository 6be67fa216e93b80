"""The attack step: model-aware adversarial queries, searched against one system's index.

For every chosen (original) query, :func:`pipelines.robustness.adversarial.attack` searches
edits within the budget that push its relevant passage down the target system's ranking.
Each adversarial query is stored as a variant, as the random perturbations store theirs
(qid and split with the attack's tag appended, ``original_id`` pointing at the original),
so ``robustness evaluate`` replays it on every system; and ``adversarial_queries`` records
what the attack did and spent on it: the moves, the encoder calls and texts encoded, and
the relevant passage's rank and margin before and after, against the target.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from pipelines.errors import InputError
from pipelines.progress import SILENT, Progress
from pipelines.robustness.adversarial import Outcome, Settings, Target, attack
from pipelines.robustness.moves import MOVE_FAMILIES
from pipelines.search import INDEX_KINDS
from pipelines.steps import BAD_INPUT, claim_run, require_done
from store import collections, lifecycle, runs, vectors
from store.adversarial import AdversarialRecord, add_adversarial, get_adversarial
from store.db import Store
from store.records import Query, Run, VariantRecord

# Queries attacked and written per transaction.
CHUNK = 32
DEFAULTS = asdict(Settings("char"))


def attack_tag(target: str, settings: Settings) -> str:
    """The suffix of the adversarial queries' qids and splits, e.g. ``~code-mix>base@3#1``
    (settings other than the defaults add a short digest, so two attacks never share one)."""
    tag = f"~{settings.family}>{target}@{settings.budget}#{settings.seed}"
    other = {
        k: v
        for k, v in asdict(settings).items()
        if k not in ("family", "budget", "seed") and v != DEFAULTS[k]
    }
    if not other:
        return tag
    digest = hashlib.sha256(json.dumps(other, sort_keys=True).encode()).hexdigest()[:6]
    return f"{tag}.{digest}"


def load_target(store: Store, system: Run) -> Target:
    """The attacker's view of a system: its query encoder and every passage vector."""
    from pipelines.encoders.base import index_encoder_config, load_encoder

    vector_set = vectors.run_vector_set(store, system.id, "passages")
    index = vectors.open_index(store, vector_set)
    keys = np.sort(np.asarray(index.keys, dtype=np.int64))
    encoder = load_encoder(index_encoder_config(vector_set, system))
    return Target(encoder.encode_queries, vectors.load_vectors(index, keys), keys)


def attack_queries(
    store: Store,
    system: str | int,
    settings: Settings,
    *,
    splits: Sequence[str] = ("premise",),
    languages: Sequence[str] | None = None,
    premises: int | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Attack every chosen query against ``system`` (an index or augment run); returns the
    attack run. ``premises`` keeps the first n parallel ids (the same sentences in every
    language); ``languages`` defaults to all but English."""
    _check(settings)
    target_run = require_done(runs.get_run(store, system))
    if target_run.kind not in INDEX_KINDS:
        raise InputError(f"run {target_run.name!r} is a {target_run.kind} run; attack an index")
    collection_id = target_run.collection_id or 0
    every = collections.get_queries(store, collection_id)
    chosen = _chosen(every, splits, languages, premises)
    tag = attack_tag(target_run.name, settings)
    params = {
        "target": target_run.name,
        **asdict(settings),
        "splits": sorted(splits),
        "languages": sorted({q.language for q in chosen}),
        "premises": premises,
        "tag": tag,
    }

    def body(run: Run) -> dict[str, Any]:
        started = time.perf_counter()
        target = load_target(store, target_run)
        donors = _donors(every)
        relevant = _relevant(store, chosen)
        done = {queries[r.query_id].original_id for r in get_adversarial(store, run.id)}
        todo = [q for q in chosen if q.id not in done]
        if done:
            progress.note(
                f"{len(done)} queries were attacked before; attacking the other {len(todo)}"
            )
        with progress.task(f"attacking {target_run.name}", len(todo)) as advance:
            for begin in range(0, len(todo), CHUNK):
                batch = todo[begin : begin + CHUNK]
                found = [
                    attack(
                        target,
                        q.text,
                        relevant[q.id],
                        settings,
                        donors={
                            k: v
                            for k, v in donors.get(q.parallel_id or "", {}).items()
                            if k != q.language
                        },
                        key=q.qid,
                    )
                    for q in batch
                ]
                _write(store, run, collection_id, batch, found, tag)
                advance(len(batch))
        return _summary(store, run, chosen, time.perf_counter() - started, tag)

    queries = {q.id: q for q in every}
    claim = claim_run(
        store,
        "attack",
        params,
        name=name,
        default_name=f"attack{tag.replace('~', '-')}",
        parents=[("target", target_run.id)],
        collection_id=collection_id,
        resumable=True,
        note=progress.note,
    )
    if claim.reused:
        return claim.run
    with lifecycle.supervised(claim, discard=BAD_INPUT):
        return claim.finish(body(claim.run))


def _check(settings: Settings) -> None:
    if settings.family not in MOVE_FAMILIES:
        raise InputError(
            f"unknown moves {settings.family!r}; expected one of {list(MOVE_FAMILIES)}"
        )
    for field in ("budget", "beam", "goal", "candidates", "batch"):
        if getattr(settings, field) < 1:
            raise InputError(f"--{field} must be at least 1, got {getattr(settings, field)}")
    if settings.window < 0:
        raise InputError(f"--window must be 0 or more, got {settings.window}")


def _chosen(
    every: list[Query],
    splits: Sequence[str],
    languages: Sequence[str] | None,
    premises: int | None,
) -> list[Query]:
    chosen = [
        q
        for q in every
        if q.original_id is None
        and q.split in splits
        and (q.language in languages if languages else q.language != "en")
    ]
    if premises is not None:
        kept = sorted({q.parallel_id or q.qid for q in chosen}, key=_natural)[:premises]
        chosen = [q for q in chosen if (q.parallel_id or q.qid) in set(kept)]
    if not chosen:
        raise InputError("no queries to attack (check --split, --langs and --premises)")
    return chosen


def _natural(key: str) -> tuple[int, str]:
    """XNLI parallel ids (``12/premise``) in promptID order."""
    head = key.split("/", 1)[0]
    return (int(head), key) if head.isdigit() else (2**62, key)


def _donors(every: list[Query]) -> dict[str, dict[str, str]]:
    """Parallel id -> language -> the original sentence (code-mixing's donors)."""
    found: dict[str, dict[str, str]] = {}
    for q in every:
        if q.original_id is None and q.parallel_id:
            found.setdefault(q.parallel_id, {}).setdefault(q.language, q.text)
    return found


def _relevant(store: Store, chosen: list[Query]) -> dict[int, int]:
    """Query id -> its relevant passage (the most relevant; the lowest id among equals)."""
    qrels = collections.qrels_for(store, [q.id for q in chosen])
    missing = [q.qid for q in chosen if not qrels.get(q.id)]
    if missing:
        raise InputError(
            f"{len(missing)} queries have no relevant passage (e.g. {missing[:3]}); an attack "
            "pushes the relevant passage down, so attack judged queries only (--split)"
        )
    return {q: min(docs, key=lambda p: (-docs[p], p)) for q, docs in qrels.items()}


def _write(
    store: Store,
    run: Run,
    collection_id: int,
    batch: list[Query],
    found: list[Outcome],
    tag: str,
) -> None:
    with store.transaction():  # a query's variant and its record, or neither
        collections.add_variants(
            store,
            collection_id,
            [
                VariantRecord(q.id, q.qid + tag, o.state.text, q.split + tag)
                for q, o in zip(batch, found, strict=True)
            ],
        )
        ids = _variant_ids(store, collection_id, [q.qid + tag for q in batch])
        add_adversarial(
            store,
            run.id,
            [
                AdversarialRecord(
                    ids[q.qid + tag],
                    [m.describe() for m in o.state.moves],
                    len(o.state.moves),
                    o.calls,
                    o.encoded,
                    o.clean.rank,
                    o.scored.rank,
                    o.clean.margin,
                    o.scored.margin,
                )
                for q, o in zip(batch, found, strict=True)
            ],
        )


def _variant_ids(store: Store, collection_id: int, qids: list[str]) -> dict[str, int]:
    marks = ",".join("?" * len(qids))
    rows = store.execute(
        f"SELECT qid, id FROM queries WHERE collection_id = ? AND qid IN ({marks})",
        (collection_id, *qids),
    )
    return {qid: int(query_id) for qid, query_id in rows}


def _summary(
    store: Store, run: Run, chosen: list[Query], seconds: float, tag: str
) -> dict[str, Any]:
    """What the whole attack did, over every record of the run (a resumed run's too)."""
    records = get_adversarial(store, run.id)
    before = np.array([r.rank_before for r in records])
    after = np.array([r.rank_after for r in records])
    return {
        "queries": len(records),
        "changed": sum(r.edits > 0 for r in records),
        "model_calls": sum(r.model_calls for r in records),
        "encoded": sum(r.encoded for r in records),
        "left_rank_1": int(((before == 1) & (after > 1)).sum()),
        "left_top_10": int(((before <= 10) & (after > 10)).sum()),
        "mean_edits": float(np.mean([r.edits for r in records])),
        "seconds": round(seconds, 1),
        "splits": sorted({q.split + tag for q in chosen}),
    }
