"""Generated queries from a seq2seq model (the xQG method): the ``generate`` step.

Every passage gets ``per_language`` sampled queries in each target language, written to
the generations table under a ``generate`` run with ``source: model`` and every setting in
its parameters. The work is cut into fixed batches (:mod:`pipelines.generations.plan`);
each batch is committed with its record in ``generation_batches`` in one transaction, so
a run killed at any point is continued (``resume``, or the same ``name`` and settings)
without duplicates or gaps, shards of one run write side by side, and the run is marked
done by whichever process stores its last batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.errors import InputError
from pipelines.generations.engines import Engine, EngineName, make_engine
from pipelines.generations.fulltext import with_text_index
from pipelines.generations.plan import Shard, batch_sizes, parse_shard, plan_batches
from pipelines.generations.prompts import trained_template
from pipelines.generations.settings import GenerationSettings
from pipelines.generations.writer import BatchWriter
from pipelines.progress import SILENT, Progress, counting_task
from pipelines.steps import claim_run
from store import collections, generations, lifecycle, runs
from store.db import Store
from store.records import Collection, Run


def generate_queries(
    store: Store,
    collection: str | None = None,
    *,
    model: str | None = None,
    languages: Sequence[str] | None = None,
    per_language: int | None = None,
    template: str | None = None,
    top_k: int | None = None,
    max_new_tokens: int | None = None,
    max_input_length: int | None = None,
    seed: int | None = None,
    batch_size: int | None = None,
    guards: bool | None = None,
    trust_remote_code: bool | None = None,
    device: str = "auto",
    dtype: str = "auto",
    threads: int | None = None,
    shard: str | Shard | None = None,
    engine: EngineName = "local",
    actors: int | None = None,
    name: str | None = None,
    resume: str | None = None,
    fts: bool = False,
    progress: Progress = SILENT,
) -> Run:
    """Generate queries for a collection (or the shard ``i/N`` of it) with a seq2seq model.

    Settings left at None take the defaults of :class:`GenerationSettings`; with ``resume``
    they come from that run, and a setting that is given must equal the run's. Every check
    (collection, languages, template, model, tokenizer) happens before anything is written.

    Args:
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``auto`` (bfloat16 on a GPU that has it, else float32) or a torch dtype name.
        threads: CPU threads (default: OMP_NUM_THREADS, else every CPU); per actor with Ray.
        shard: ``i/N``: only the batches whose number is ``i - 1`` modulo ``N``.
        engine: ``local`` (this process) or ``ray`` (Ray Data, one model copy per actor).
        actors: Ray actors (default: one per GPU of the cluster, else one).
        name: run name; a run of that name with the same settings is continued or reused.
        resume: name or id of a run to continue with its own settings.
        fts: put the run's queries into the word index once the run is done (see
            :mod:`pipelines.generations.fulltext`; ``xqg generate fts RUN`` does it later).

    Returns:
        The run: ``done`` once every batch is stored, ``running`` while other shards work.
    """
    if template is None and model is not None:
        template = trained_template(model)
    given: dict[str, Any] = {
        "model": model,
        "languages": None if languages is None else tuple(languages),
        "per_language": per_language,
        "template": template,
        "top_k": top_k,
        "max_new_tokens": max_new_tokens,
        "max_input_length": max_input_length,
        "seed": seed,
        "batch_size": batch_size,
        "guards": guards,
        "trust_remote_code": trust_remote_code,
    }
    given = {key: value for key, value in given.items() if value is not None}
    if threads is not None and threads < 1:
        raise InputError(f"--threads must be at least 1, got {threads}")
    if resume is not None:
        target: Run | None = _resumable(store, resume, collection, given)
        assert target is not None
        if name is not None and name != target.name:
            raise InputError(f"--name {name} and --resume {resume} name different runs")
        settings = GenerationSettings.from_params(target.params)
        collection, name = target.params["collection"], target.name
    elif collection is None:
        raise InputError("--collection is required (or --resume RUN to continue a run)")
    else:
        settings = GenerationSettings(**given).checked()
        target = None if name is None else runs.find_run(store, name)
    found = collections.get_collection(store, collection)
    params = settings.to_params(found.name, _passages(store, found))
    part = shard if isinstance(shard, Shard) else parse_shard(shard)
    run = _Generation(store, found, settings, params, part, progress).run(
        target,
        name,
        resuming=resume is not None,
        engine=engine,
        device=device,
        dtype=dtype,
        threads=threads,
        actors=actors,
    )
    return with_text_index(store, run) if fts else run


def _resumable(store: Store, ref: str, collection: str | None, given: dict[str, Any]) -> Run:
    run = runs.get_run(store, ref, kind="generate")
    if run.params.get("source") != "model":
        raise InputError(
            f"run {run.name!r} holds {run.params.get('source')} generations, not model "
            "output; only `xqg generate model` runs can be resumed"
        )
    recorded = GenerationSettings.from_params(run.params)
    wanted = GenerationSettings(**{**vars(recorded), **given}).checked()
    differ = sorted(k for k in given if getattr(wanted, k) != getattr(recorded, k))
    if differ:
        raise InputError(
            f"run {run.name!r} was started with other {', '.join(differ)}; --resume takes "
            "the run's own settings, so leave those options out"
        )
    if collection is not None and collection != run.params["collection"]:
        raise InputError(
            f"run {run.name!r} generates for collection {run.params['collection']!r}, "
            f"not {collection!r}"
        )
    return run


def _passages(store: Store, found: Collection) -> int:
    count = collections.passage_count(store, found.id)
    if count == 0:
        raise InputError(f"collection {found.name!r} has no passages; ingest some first")
    return count


class _Generation:
    """One process's share of a generation run: attach, generate, write, maybe finish."""

    def __init__(
        self,
        store: Store,
        found: Collection,
        settings: GenerationSettings,
        params: dict[str, Any],
        shard: Shard,
        progress: Progress,
    ) -> None:
        self.store, self.found, self.settings = store, found, settings
        self.params, self.shard, self.progress = params, shard, progress
        self.sizes = batch_sizes(params["passages"], settings.batch_size)

    def run(
        self,
        target: Run | None,
        name: str | None,
        *,
        resuming: bool,
        engine: EngineName,
        device: str,
        dtype: str,
        threads: int | None,
        actors: int | None,
    ) -> Run:
        """Attach to (or start) the run, generate this shard's missing batches, finish."""
        same = target is not None and self._same(target, resuming=resuming)
        if target is not None and same:
            if target.status == "done":
                self.progress.note(f"generate {target.name!r} is already done (run {target.id})")
                return target
            if not self._todo(target):
                return self._finish(target)
        worker = make_engine(
            engine, self.settings, device=device, dtype=dtype, threads=threads, actors=actors
        )
        claim = claim_run(
            self.store,
            "generate",
            self.params,
            name=name,
            default_name=f"model-{self.found.name}",
            collection_id=self.found.id,
            resumable=True,
            note=self.progress.note,
        )
        if claim.reused:  # another process finished it meanwhile
            return claim.run
        run, todo = claim.run, self._todo(claim.run)
        try:
            with lifecycle.supervised(claim):
                skip = set(generations.done_batches(self.store, run.id))
                self._generate(run, worker, skip=skip, total=sum(self.sizes[n] for n in todo))
        except BaseException:
            again = f"--resume {run.name}" + (
                f" --shard {self.shard}" if self.shard.total > 1 else ""
            )
            self.progress.note(
                f"stopped; the stored batches are kept: `xqg generate model {again}` continues"
            )
            raise
        return self._finish(run)

    def _todo(self, run: Run) -> list[int]:
        """This shard's batch numbers that the run has not stored yet."""
        done = generations.done_batches(self.store, run.id)
        return [n for n in range(len(self.sizes)) if self.shard.takes(n) and n not in done]

    def _generate(self, run: Run, worker: Engine, *, skip: set[int], total: int) -> None:
        """Generate this shard's batches that are not in ``skip``; commit each one."""
        batches = plan_batches(
            self.store, self.found.id, self.settings.batch_size, self.shard, skip
        )
        with (
            BatchWriter(self.store.path, run.id, str(self.shard)) as writer,
            counting_task(self.progress, "passages", total, "queries") as advance,
        ):
            for batch, output in worker.outputs(self.store, batches):
                writer.put(batch, output)
                advance(len(batch.passage_ids), len(output.records))

    def _same(self, target: Run, *, resuming: bool) -> bool:
        """Whether ``target`` is this generation (same settings); with ``resuming`` it must be."""
        if target.kind == "generate" and target.params == self.params:
            return True
        if resuming:
            differ = sorted(
                key
                for key in {*target.params, *self.params}
                if target.params.get(key) != self.params.get(key)
            )
            raise InputError(
                f"run {target.name!r} cannot be continued: its {', '.join(differ)} differ from "
                "now (was a passage added to the collection?); start a new run"
            )
        return False

    def _finish(self, run: Run) -> Run:
        stored = generations.done_batches(self.store, run.id)
        if len(stored) < len(self.sizes):
            self.progress.note(
                f"shard {self.shard} is done; {len(stored)} of {len(self.sizes)} batches of run "
                f"{run.name!r} are stored, and it is marked done when the other shards finish"
            )
            return runs.get_run(self.store, run.id)
        return runs.finish_run(self.store, run.id, _summary(self.store, run.id))


def _summary(store: Store, run_id: int) -> dict[str, Any]:
    totals = generations.batch_totals(store, run_id)
    seconds = float(totals["seconds"])
    return {
        "generations": totals["generations"],
        "passages": totals["passages"],
        "samples": totals["samples"],
        "per_language": generations.generation_languages(store, run_id),
        "dropped_empty": totals["dropped_empty"],
        "dropped_copies": totals["dropped_copies"],
        "dropped_duplicates": totals["dropped_duplicates"],
        "batches": totals["batches"],
        "shards": totals["shards"],
        "devices": totals["devices"],
        "generation_seconds": round(seconds, 2),
        "queries_per_second": round(totals["generations"] / seconds, 1) if seconds else 0.0,
    }
