"""The optional word index of generated queries (trigram FTS5, ``generations_fts``).

Not written while a run stores its rows: at 630M generated queries it would cost about
twice their bytes and slow the writes (``benchmarks/bench_store.py``). A finished run is
indexed once, by ``--fts`` on the step that made it or by ``xqg generate fts RUN`` later;
word searches of generated queries (the app's filter, Datasette) see only indexed runs.
"""

from __future__ import annotations

from pipelines.steps import require_done
from store import generations, runs
from store.db import Store
from store.records import Run


def with_text_index(store: Store, run: Run) -> Run:
    """Index a finished generation run's queries (nothing for an unfinished shard, or a run
    indexed already); returns the run."""
    if run.status == "done":
        generations.index_text(store, run.id)
    return run


def build_text_index(store: Store, run_ref: str | int) -> tuple[Run, int]:
    """Index the generated queries of a finished generation run; returns the run and how
    many queries went in (0 when it was indexed already).

    Raises:
        InputError: the run is not finished.
        NotFoundError: no generation run has that name or id.
    """
    run = require_done(runs.get_run(store, run_ref, kind="generate"))
    return run, generations.index_text(store, run.id)
